package ui_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
)

// TestProposalShowsTheProRataFirstBilling: a proposal line billed monthly on
// the 1st from the proposal's start, 15 March 2025, its first period pro
// rata, says on the staff page and on the client's acceptance page, before
// the client signs, what its first billing will be: A$690 × 17/31 =
// A$378.39 on 15 March for 15 – 31 March.
func TestProposalShowsTheProRataFirstBilling(t *testing.T) {
	a, _ := newLinkApp(t)
	acme := a.mustClient("Acme")
	ctx := context.Background()
	rule := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnProposalStart, AnchorDay: 1, End: domain.EndNever, ProRataFirst: true}
	res, err := a.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: acme, Title: "Year one", StartDate: domain.MustDate(2025, 3, 15), Lines: []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: decimal.RequireFromString("690"), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), BillingRule: rule, Automatic: true},
	}}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	pid := res.ID
	res, err = a.svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: pid, RecipientEmail: "ada@acme.test"}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)
	note := "First billing 15 Mar 2025: A$378.39 × 1 for 15 – 31 March 2025, pro rata 17/31 days"
	staff := a.get("/proposals/" + pid.String())
	mustContain(t, staff, "Monthly on day 1, first period pro rata", note)
	mustContain(t, a.get(linkOn(t, staff, "client-link")), note)
}
