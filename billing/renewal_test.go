package billing_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
)

// renewalLines are a monthly service (on the 1st) and a yearly one, both
// from the proposal's start date.
func renewalLines(monthly string) []proposal.Line {
	return []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: dec(monthly), Quantity: dec("1"), TaxRate: dec("10"), Automatic: true,
			BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, AnchorDay: 1, Start: domain.StartOnProposalStart, End: domain.EndNever}},
		{Name: "Annual accounts", UnitPrice: dec("1200"), Quantity: dec("1"), TaxRate: dec("10"), Automatic: true,
			BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 12, AnchorDay: 1, Start: domain.StartOnProposalStart, End: domain.EndNever}},
	}
}

// billingDates lists a service's items through 2027-06-30 as "date status".
func billingDates(f *fixture, id uuid.UUID) []string {
	st := f.MustSnapshot().services[id]
	var out []string
	for _, it := range st.Schedule(domain.MustDate(2026, time.June, 30)) {
		if it.Date.Before(domain.MustDate(2026, time.January, 1)) {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s", it.Date, it.Status))
	}
	return out
}

// TestBulkRenewalOfFiveClients previews the renewal of five clients'
// proposals at +5 % rounded to the dollar (writing nothing), makes and
// sends them, and accepts one: its old services end the day before the
// renewal starts, so the monthly and the yearly service bill with neither
// gap nor overlap.
func TestBulkRenewalOfFiveClients(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.mustSetUpFirm()
	start := domain.MustDate(2025, time.April, 1)
	var olds []uuid.UUID
	for i := 1; i <= 5; i++ {
		c := f.mustCreateClient(fmt.Sprintf("Client %d", i))
		key := fmt.Sprintf("c%d", i)
		p := f.ok(f.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: c, Title: "Services 2025", StartDate: start, Lines: renewalLines(fmt.Sprint(100 * i))}, meta("draft-"+key))).ID
		f.ok(f.svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: p, RecipientEmail: key + "@client.test"}, meta("send-"+key)))
		f.ok(f.svc.AcceptProposal(ctx, billing.AcceptProposalRequest{ProposalID: p, AcceptedByName: "Alice", AcceptedByEmail: key + "@client.test", SignatureName: "Alice"}, meta("accept-"+key)))
		olds = append(olds, p)
	}
	f.advance(328 * 24 * time.Hour) // 2026-02-01
	req := billing.RenewalsRequest{
		ProposalIDs: olds, DryRun: true, Send: true,
		Price: billing.PriceChange{Kind: proposal.PricePercent, Percent: dec("5"), Rounding: proposal.RoundDollar},
	}
	head := f.head()
	preview, err := f.svc.RenewProposals(ctx, req, meta("renew-preview"))
	if err != nil {
		t.Fatal(err)
	}
	if h := f.head(); h != head {
		t.Fatalf("the dry run moved the store's head from %d to %d", head, h)
	}
	if len(preview.Renewals) != 5 {
		t.Fatalf("%d renewals previewed, want 5", len(preview.Renewals))
	}
	for i, r := range preview.Renewals {
		n := i + 1
		// Monthly 100n + 10 % tax = 110n; yearly 1,200 + 10 % = 1,320.
		// After +5 % to the dollar: 105n → 115.50n; 1,260 → 1,386.
		oldMonth, newMonth := 110*n, 115.5*float64(n)
		want := []string{
			fmt.Sprintf("old a month %.2f", float64(oldMonth)), "old a year 1320.00",
			fmt.Sprintf("new a month %.2f", newMonth), "new a year 1386.00",
			fmt.Sprintf("old per year %.2f", float64(oldMonth*12+1320)),
			fmt.Sprintf("new per year %.2f", newMonth*12+1386),
		}
		got := []string{
			"old " + r.OldPerPeriod[0].Cadence + " " + r.OldPerPeriod[0].Gross.Amount.StringFixed(2),
			"old " + r.OldPerPeriod[1].Cadence + " " + r.OldPerPeriod[1].Gross.Amount.StringFixed(2),
			"new " + r.NewPerPeriod[0].Cadence + " " + r.NewPerPeriod[0].Gross.Amount.StringFixed(2),
			"new " + r.NewPerPeriod[1].Cadence + " " + r.NewPerPeriod[1].Gross.Amount.StringFixed(2),
			"old per year " + r.OldPerYear.Amount.StringFixed(2),
			"new per year " + r.NewPerYear.Amount.StringFixed(2),
		}
		if strings.Join(got, "; ") != strings.Join(want, "; ") {
			t.Errorf("client %d:\n got %s\nwant %s", n, strings.Join(got, "; "), strings.Join(want, "; "))
		}
		if r.ClientName != fmt.Sprintf("Client %d", n) || r.StartDate != domain.MustDate(2026, time.April, 1) || r.Status != "" {
			t.Errorf("row %d: %+v", n, r)
		}
	}

	req.DryRun = false
	req.BatchID = preview.BatchID
	made, err := f.svc.RenewProposals(ctx, req, meta("renew"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range made.Renewals {
		if r.Status != proposal.StatusSent || r.RenewalID != proposal.RenewalID(r.ProposalID, preview.BatchID) {
			t.Fatalf("renewal %+v, want it sent with the previewed id", r)
		}
	}
	head = f.head()
	if _, err := f.svc.RenewProposals(ctx, req, meta("renew-again")); err != nil || f.head() != head {
		t.Fatalf("the same batch again: %v, head %d → %d; want nothing written", err, head, f.head())
	}

	// Client 1 accepts its renewal.
	old, renewal := olds[0], made.Renewals[0].RenewalID
	before := map[string][]string{}
	for _, id := range servicesOf(f, old) {
		before[f.MustSnapshot().services[id].Name] = billingDates(f, id)
	}
	f.ok(f.svc.AcceptProposal(ctx, billing.AcceptProposalRequest{ProposalID: renewal, AcceptedByName: "Alice", AcceptedByEmail: "c1@client.test", SignatureName: "Alice"}, meta("accept-renewal")))
	after := map[string][]string{}
	for _, id := range servicesOf(f, old) {
		after[f.MustSnapshot().services[id].Name] = billingDates(f, id)
	}
	for _, id := range servicesOf(f, renewal) {
		after["new "+f.MustSnapshot().services[id].Name] = billingDates(f, id)
	}
	t.Logf("before: %v\nafter: %v", before, after)
	want := map[string]string{
		"Bookkeeping":         "2026-01-01 scheduled, 2026-02-01 scheduled, 2026-03-01 scheduled, 2026-04-01 archived, 2026-05-01 archived, 2026-06-01 archived",
		"Annual accounts":     "2026-04-01 archived",
		"new Bookkeeping":     "2026-04-01 scheduled, 2026-05-01 scheduled, 2026-06-01 scheduled",
		"new Annual accounts": "2026-04-01 scheduled",
	}
	for name, w := range want {
		if got := strings.Join(after[name], ", "); got != w {
			t.Errorf("%s bills\n %s\nwant\n %s", name, got, w)
		}
	}
	if got := strings.Join(before["Annual accounts"], ", "); got != "2026-04-01 scheduled" {
		t.Errorf("before the renewal the yearly service billed %s", got)
	}
}

// servicesOf lists the services activated from a proposal.
func servicesOf(f *fixture, proposalID uuid.UUID) []uuid.UUID {
	var out []uuid.UUID
	for id, st := range f.MustSnapshot().services {
		if st.Source.ProposalID == proposalID {
			out = append(out, id)
		}
	}
	return out
}
