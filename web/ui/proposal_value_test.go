package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
)

// TestProposalAmountsPerCadence: a proposal's prices are in the app's money
// format, and its totals are per cadence (a monthly, a yearly and a one-off
// amount are never added up), with a first-year value: on the staff page,
// in the client's proposals list and on the client's acceptance page.
func TestProposalAmountsPerCadence(t *testing.T) {
	a, _ := newLinkApp(t)
	acme := a.mustClient("Acme")
	rule := func(f domain.Frequency, n int) domain.BillingRule {
		return domain.BillingRule{Frequency: f, Interval: n, Start: domain.StartOnAcceptance, End: domain.EndNever}
	}
	line := func(name, price string, r domain.BillingRule) proposal.Line {
		return proposal.Line{Name: name, UnitPrice: decimal.RequireFromString(price), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), BillingRule: r, Automatic: true}
	}
	ctx := context.Background()
	res, err := a.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: acme, Title: "Year one", Lines: []proposal.Line{
		line("Bookkeeping", "690", rule(domain.FrequencyMonths, 1)),
		line("Annual accounts", "3200", rule(domain.FrequencyMonths, 12)),
		line("Set-up", "2000", rule(domain.FrequencyOnce, 0)),
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

	perCadence := "A$759.00 a month, A$3,520.00 a year, A$2,200.00 once"
	firstYear := "A$14,828.00" // 12 × 759 + 3,520 + 2,200
	staff := a.get("/proposals/" + pid.String())
	mustContain(t, staff, "A$690.00 × 1", "A$3,200.00 × 1", perCadence, "First-year value", firstYear)
	for _, raw := range []string{"690 AUD", "3200 AUD", "6,479.00"} {
		if strings.Contains(staff.Body, raw) {
			t.Errorf("the staff page shows %q", raw)
		}
	}
	summary := a.get("/clients/" + acme.String())
	mustContain(t, summary, perCadence, firstYear)
	if strings.Contains(summary.Body, "A$5,890.00") {
		t.Error("the proposals list adds a monthly, a yearly and a one-off price together")
	}
	accept := a.get(linkOn(t, staff, "client-link"))
	mustContain(t, accept, "A$690.00 × 1", perCadence, firstYear)
	if strings.Contains(accept.Body, "A$6,479.00") || strings.Contains(accept.Body, "per billing") {
		t.Error("the acceptance page adds amounts of different cadences together")
	}
}
