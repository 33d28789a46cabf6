package billingrun_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/integrations/payments/sandbox"
	"remit/processes/billingrun"
)

// describe is what a user reads of an invoice: client, lines, totals,
// method, collection date (no number: a dry run reserves none).
func describe(names map[uuid.UUID]string, st invoice.State) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s issued %s due %s method %s collect %s:", st.ID, names[st.ClientID], st.IssueDate, st.DueDate, st.PaymentMethodID, st.Collection.Date)
	for _, l := range st.Lines {
		fmt.Fprintf(&b, " [%s %s x %s tax %s%% = %s]", l.Description, l.Quantity, l.UnitPrice, l.TaxRate, l.Amounts.Gross)
	}
	fmt.Fprintf(&b, " net %s tax %s gross %s", st.Totals.Net, st.Totals.Tax, st.Totals.Gross)
	return b.String()
}

// TestDryRunWritesNothingAndTheRunDoesWhatItSaid: a dry run as of a date
// appends nothing (the store's head is unchanged), and lists the invoices
// the run would issue (the clients, lines, totals, methods and collection
// dates) and the payments collection would take, among them an instant bill
// issued days before whose collection falls due that day. The real run then
// issues exactly those invoices, and collection charges exactly those
// payments.
func TestDryRunWritesNothingAndTheRunDoesWhatItSaid(t *testing.T) {
	day := domain.MustDate(2025, 3, 3)
	f := newFixture(t, day)
	f.MustSetUpFirm(true, 3) // once-off invoices are collected 3 days after issue
	ctx := context.Background()

	acme := f.MustClient("Acme", sandbox.TokenCardSucceeds)
	bare := f.MustClient("Bare", "")
	lines := []billing.InstantLine{{Description: "Advice", Quantity: dec("1"), UnitPrice: dec("1450"), TaxRate: dec("10")}}
	instant := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: acme, Lines: lines}, staff())).ID
	asOf := day.AddDays(3)
	f.MustService(acme, "Bookkeeping", every(domain.FrequencyMonths, asOf), true)
	f.MustService(acme, "Payroll", every(domain.FrequencyMonths, asOf), true)
	f.MustService(bare, "Advice retainer", every(domain.FrequencyMonths, day.AddDays(-31)), true) // a catch-up and today's
	f.clk.setDay(asOf)

	before := f.head()
	rep, err := billingrun.Run(ctx, f.store, f.svc, asOf, billingrun.Options{Index: f.index(), DryRun: true})
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if h := f.head(); h != before {
		t.Fatalf("the dry run moved the store's head from %d to %d; it must write nothing", before, h)
	}
	if rep.Issued != 0 || rep.CollectionsScheduled != 0 || len(rep.Errors) != 0 || rep.Preview == nil {
		t.Fatalf("dry run report %+v; want a preview, nothing issued", rep)
	}
	p := rep.Preview
	var said []string
	for _, pi := range p.Invoices {
		if pi.Invoice.Number != "" {
			t.Errorf("planned invoice has number %q; numbers are given when issued", pi.Invoice.Number)
		}
		if pi.ClientName != f.names[pi.Invoice.ClientID] {
			t.Errorf("planned invoice names client %q, want %q", pi.ClientName, f.names[pi.Invoice.ClientID])
		}
		said = append(said, describe(f.names, pi.Invoice))
	}
	if len(said) != 2 || rep.Groups != 2 {
		t.Fatalf("dry run would issue %d invoices (groups %d), want 2 (Acme's two services together, Bare's two months together):\n%s", len(said), rep.Groups, strings.Join(said, "\n"))
	}
	var collected []uuid.UUID
	for _, c := range p.Collections {
		collected = append(collected, c.InvoiceID)
	}
	acmeNew := p.Invoices[slices.IndexFunc(p.Invoices, func(pi billingrun.PlannedInvoice) bool { return pi.Invoice.ClientID == acme })]
	if acmeNew.PaymentMethod != "visa ending 4242" || acmeNew.Invoice.Collection.Date != asOf || len(acmeNew.Invoice.Lines) != 2 {
		t.Errorf("Acme's planned invoice: method %q, collection %s, %d lines; want visa ending 4242, collected %s, 2 lines", acmeNew.PaymentMethod, acmeNew.Invoice.Collection.Date, len(acmeNew.Invoice.Lines), asOf)
	}
	slices.SortFunc(collected, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	want := []uuid.UUID{instant, acmeNew.Invoice.ID}
	slices.SortFunc(want, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	if !slices.Equal(collected, want) {
		t.Fatalf("dry run would collect %v, want the instant bill %s and Acme's new invoice %s", collected, instant, acmeNew.Invoice.ID)
	}
	// Running the preview again says the same: nothing was reserved.
	again, err := billingrun.Run(ctx, f.store, f.svc, asOf, billingrun.Options{Index: f.index(), DryRun: true})
	if err != nil || len(again.Preview.Invoices) != 2 || f.head() != before {
		t.Fatalf("second dry run: %v, %d invoices, head %d; want the same 2 and head %d", err, len(again.Preview.Invoices), f.head(), before)
	}

	// The real run issues exactly what the dry run said.
	from := f.head()
	real := f.MustRun(asOf)
	if real.Issued != 2 {
		t.Fatalf("the run issued %d invoices, want the 2 the dry run listed", real.Issued)
	}
	var did []string
	for _, id := range f.invoiceIDs() {
		if id != instant {
			st := f.mustInvoice(id)
			if st.Number == "" {
				t.Errorf("issued invoice %s has no number", id)
			}
			did = append(did, describe(f.names, st))
		}
	}
	slices.Sort(said)
	slices.Sort(did)
	if !slices.Equal(said, did) {
		t.Fatalf("the run issued\n%s\nbut the dry run said\n%s", strings.Join(did, "\n"), strings.Join(said, "\n"))
	}
	// And collection charges exactly the payments the dry run listed.
	crep := f.MustCollect(asOf)
	if crep.Succeeded != len(want) || f.charges() != len(want) {
		t.Fatalf("collection: %+v, %d charges; want the %d the dry run listed", crep, f.charges(), len(want))
	}
	for _, id := range want {
		if st := f.mustInvoice(id); st.Status != invoice.StatusPaid {
			t.Errorf("invoice %s is %s, want paid as the dry run said", st.Number, st.Status)
		}
	}
	if len(f.happenings(from)) == 0 {
		t.Error("the real run appended nothing")
	}
}
