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
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/integrations/payments/sandbox"
	"remit/projections"
)

// issuedInvoices returns the invoices issued after position from, in order.
func (f *fixture) issuedInvoices(from uint64) []invoice.InvoiceIssued {
	f.tb.Helper()
	recs, err := f.store.ReadAll(context.Background(), from+1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"InvoiceIssued"}})
	if err != nil {
		f.tb.Fatal(err)
	}
	cat := catalog.New()
	var out []invoice.InvoiceIssued
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			f.tb.Fatal(err)
		}
		out = append(out, e.(invoice.InvoiceIssued))
	}
	return out
}

// TestCatchUpInvoicedOnTheRunsDate: a monthly service that started on 31
// January, agreed in December, is billed by the run of 5 December with one
// invoice dated 5 December, due by the payment terms from then, with one
// line per missed month naming the month it covers, collected from 5
// December; re-running the day changes nothing.
func TestCatchUpInvoicedOnTheRunsDate(t *testing.T) {
	today := domain.MustDate(2026, 12, 5)
	f := newFixture(t, today)
	f.MustSetUpFirm(true, 0)
	acme := f.MustClient("Acme", sandbox.TokenCardSucceeds)
	f.MustService(acme, "Monthly bookkeeping", every(domain.FrequencyMonths, domain.MustDate(2026, 1, 31)), true)

	rep := f.MustRun(today)
	if rep.Items != 11 || rep.Groups != 1 || rep.Issued != 1 || rep.CollectionsScheduled != 1 {
		t.Fatalf("report %+v, want 11 items on 1 invoice", rep)
	}
	invs := f.issuedInvoices(0)
	if len(invs) != 1 {
		t.Fatalf("%d invoices issued, want 1", len(invs))
	}
	inv := invs[0]
	if inv.IssueDate != today || inv.DueDate != today.AddDays(14) {
		t.Errorf("issued %s due %s, want issued %s due %s", inv.IssueDate, inv.DueDate, today, today.AddDays(14))
	}
	var got []string
	for _, l := range inv.Lines {
		got = append(got, l.Description)
	}
	var want []string
	for m := 1; m <= 11; m++ {
		want = append(want, fmt.Sprintf("Monthly bookkeeping — %s 2026", domain.MustDate(2026, 1, 1).AddMonthsClamped(m-1, 1).Month()))
	}
	if !slices.Equal(got, want) {
		t.Errorf("lines:\n %s\nwant:\n %s", strings.Join(got, "\n "), strings.Join(want, "\n "))
	}
	if h := f.happenings(0); !slices.Contains(h, "collect Acme on 2026-12-05") {
		t.Errorf("happenings %q: want the collection on 2026-12-05", h)
	}

	head := f.head()
	if rep := f.MustRun(today); rep.Issued != 0 || f.head() != head {
		t.Errorf("re-run: %+v, %d events appended", rep, f.head()-head)
	}
	// The next billing is on its own date.
	f.clk.setDay(domain.MustDate(2026, 12, 31))
	f.MustRun(domain.MustDate(2026, 12, 31))
	if invs := f.issuedInvoices(head); len(invs) != 1 || invs[0].IssueDate != domain.MustDate(2026, 12, 31) || invs[0].Lines[0].Description != "Monthly bookkeeping — December 2026" {
		t.Errorf("31 December: %+v", invs)
	}
}

// TestMissedBillingsSkipped: a firm that skips missed billings has them
// recorded as skipped by the run (visible in the service's activity), not
// invoiced; the billing due on the run's date is invoiced.
func TestMissedBillingsSkipped(t *testing.T) {
	today := domain.MustDate(2026, 12, 31)
	f := newFixture(t, today)
	f.MustSetUpFirm(true, 0)
	skip := firm.MissedSkip
	f.ok(f.svc.ChangeFirmSettings(context.Background(), billing.FirmSettingsRequest{MissedBillings: &skip}, staff()))
	acme := f.MustClient("Acme", sandbox.TokenCardSucceeds)
	svcID := f.MustService(acme, "Monthly bookkeeping", every(domain.FrequencyMonths, domain.MustDate(2026, 1, 31)), true)

	rep := f.MustRun(today)
	if rep.Skipped != 11 || rep.Items != 1 || rep.Issued != 1 {
		t.Fatalf("report %+v, want 11 skipped and December's item invoiced", rep)
	}
	if invs := f.issuedInvoices(0); len(invs) != 1 || len(invs[0].Lines) != 1 || invs[0].IssueDate != today {
		t.Fatalf("invoices %+v, want one of December's item", invs)
	}
	head := f.head()
	if rep := f.MustRun(today); rep.Skipped != 0 || rep.Issued != 0 || f.head() != head {
		t.Errorf("re-run: %+v, %d events appended", rep, f.head()-head)
	}

	m, _, err := projections.BuildAsOf(context.Background(), f.store, projections.Bound{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	act, err := m.ActivityOf(context.Background(), projections.SubjectService, svcID)
	if err != nil {
		t.Fatal(err)
	}
	skipped := 0
	for _, a := range act {
		if strings.Contains(a.Text, "skipped as missed by the billing run of 31 Dec 2026") {
			skipped++
		}
	}
	if skipped != 11 {
		t.Errorf("%d activity entries say an item was skipped as missed, want 11", skipped)
	}
}

// TestScheduleGroupsAreTheRunsInvoices: one service names the client's
// default bank account, another uses "the client's default", a third names
// another method, all on one date, with a missed billing of the first: the
// schedule page's billing groups for that date are exactly the invoices the
// run issues (one for the default account, with the catch-up, one for the
// other method).
func TestScheduleGroupsAreTheRunsInvoices(t *testing.T) {
	day := domain.MustDate(2026, 3, 1)
	f := newFixture(t, day)
	f.MustSetUpFirm(true, 0)
	ctx := context.Background()
	acme := f.MustClient("Acme", sandbox.TokenDebitSettles)
	cl := f.clientState(acme)
	def, _ := cl.DefaultPaymentMethod()
	card := f.ok(f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: acme, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: sandbox.TokenCardSucceeds, Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2030,
	}}, staff())).ID
	activate := func(name string, start domain.Date, method uuid.UUID) {
		f.ok(f.svc.ActivateService(ctx, billing.ServiceRequest{ClientID: acme, Name: name, UnitPrice: dec("100"), Quantity: dec("1"), TaxRate: dec("10"),
			BillingRule: every(domain.FrequencyMonths, start), Automatic: true, PaymentMethodID: method}, staff()))
	}
	activate("Bookkeeping", domain.MustDate(2026, 2, 1), def.ID) // names the default account; February missed
	activate("Payroll", day, uuid.Nil)                           // the client's default
	activate("Advisory", day, card)

	m, _, err := projections.BuildAsOf(ctx, f.store, projections.Bound{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	sch, err := m.Schedule(context.Background(), acme, projections.ScheduleQuery{Today: day})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, g := range sch.Groups {
		if g.Date != day {
			continue
		}
		var keys []string
		for _, it := range g.Items {
			keys = append(keys, it.Key)
		}
		slices.Sort(keys)
		want = append(want, fmt.Sprintf("%s %s %s", g.Date, g.PaymentMethodID, strings.Join(keys, ",")))
	}
	slices.Sort(want)

	rep := f.MustRun(day)
	var got []string
	for _, inv := range f.issuedInvoices(0) {
		var keys []string
		for _, l := range inv.Lines {
			keys = append(keys, l.ItemKey)
		}
		slices.Sort(keys)
		got = append(got, fmt.Sprintf("%s %s %s", inv.IssueDate, inv.PaymentMethodID, strings.Join(keys, ",")))
	}
	slices.Sort(got)
	if len(want) != 2 || !slices.Equal(got, want) {
		t.Fatalf("the run issued (%+v)\n %s\nthe schedule showed\n %s\nwant the same two invoices", rep, strings.Join(got, "\n "), strings.Join(want, "\n "))
	}
	for _, g := range sch.Groups {
		for _, it := range g.Items {
			if it.CatchUp != (it.Date == domain.MustDate(2026, 2, 1)) {
				t.Errorf("item of %s: catch-up %v", it.Date, it.CatchUp)
			}
		}
	}
}

// clientState folds a client's stream.
func (f *fixture) clientState(id uuid.UUID) client.State {
	f.tb.Helper()
	recs, err := f.store.ReadStream(context.Background(), client.StreamName(id), 0, eventstore.Forward, 0)
	if err != nil {
		f.tb.Fatal(err)
	}
	cat := catalog.New()
	var st client.State
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			f.tb.Fatal(err)
		}
		st = client.Evolve(st, e)
	}
	return st
}
