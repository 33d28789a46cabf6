package billingrun_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/invoice"
	"remit/domain/numbering"
	"remit/domain/service"
	"remit/eventstore"
	"remit/eventstore/storetest"
	"remit/integrations/payments/sandbox"
	"remit/processes/billingrun"
	"remit/projections"
)

// numbersUsed reads the numbering stream and the invoices issued, and
// returns the numbers reserved (to the invoice), issued and voided.
func numbersUsed(tb testing.TB, store eventstore.Store) (reserved map[string]uuid.UUID, issued map[string]invoice.InvoiceIssued, voided map[string]string) {
	tb.Helper()
	recs, err := store.ReadAll(context.Background(), 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"InvoiceNumberReserved", "InvoiceNumbersReserved", "InvoiceNumberVoided", "InvoiceIssued"}})
	if err != nil {
		tb.Fatal(err)
	}
	reserved, issued, voided = map[string]uuid.UUID{}, map[string]invoice.InvoiceIssued{}, map[string]string{}
	cat := catalog.New()
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			tb.Fatal(err)
		}
		switch e := e.(type) {
		case numbering.InvoiceNumberReserved:
			reserved[e.Number] = e.InvoiceID
		case numbering.InvoiceNumbersReserved:
			for _, r := range e.Reservations() {
				reserved[r.Number] = r.InvoiceID
			}
		case numbering.InvoiceNumberVoided:
			voided[e.Number] = e.Reason
		case invoice.InvoiceIssued:
			issued[e.Number] = e
		}
	}
	return reserved, issued, voided
}

// TestRunVoidsNumbersOfDeadRequests: staff issue an instant bill and an
// automatic item by hand, and the process dies after reserving each number
// and before appending the invoice. A billing run within 10 minutes leaves
// them (the requests may still be issuing); the next run after that records
// both numbers as void with their reason, releases the item and bills it on a
// new invoice with the next number; reconcile agrees; a third run does
// nothing more. (Before, the item stayed billed on an invoice that was never
// issued, so it was never invoiced, and both numbers were unexplained gaps.)
func TestRunVoidsNumbersOfDeadRequests(t *testing.T) {
	day := domain.MustDate(2026, 3, 2)
	f := newFixture(t, day)
	f.MustSetUpFirm(true, 0)
	acme := f.MustClient("Acme", sandbox.TokenCardSucceeds)
	svcID := f.MustService(acme, "Bookkeeping", every(domain.FrequencyMonths, day), true)
	key := service.ItemKey(svcID, 1)
	ctx := context.Background()

	dying := billing.New(billing.Config{Store: storetest.DiesAt{Store: f.store, Type: "InvoiceIssued"}, Now: f.clk.Now, NewID: f.clk.newID})
	if _, err := dying.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: acme,
		Lines: []billing.InstantLine{{Description: "Advice", Quantity: dec("1"), UnitPrice: dec("300"), TaxRate: dec("10")}}}, staff()); err == nil {
		t.Fatal("the dying instant bill succeeded")
	}
	if _, err := dying.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: acme, ItemKeys: []string{key}}, staff()); err == nil {
		t.Fatal("the dying item bill succeeded")
	}
	if reserved, issued, _ := numbersUsed(t, f.store); len(reserved) != 2 || len(issued) != 0 {
		t.Fatalf("after the deaths: reserved %v, issued %v", reserved, issued)
	}

	rep := f.MustRun(day)
	if rep.NumbersVoided != 0 || rep.Issued != 0 {
		t.Fatalf("a run within minutes of the deaths: %+v", rep)
	}

	f.clk.mu.Lock()
	f.clk.now = f.clk.now.Add(numbering.VoidAfter + time.Minute)
	f.clk.mu.Unlock()
	rep = f.MustRun(day)
	if rep.NumbersVoided != 2 || rep.Issued != 1 {
		t.Fatalf("the run after: %d numbers voided, %d invoices issued; want 2 and 1 (the released item)", rep.NumbersVoided, rep.Issued)
	}
	reserved, issued, voided := numbersUsed(t, f.store)
	for number := range reserved {
		_, isIssued := issued[number]
		_, isVoided := voided[number]
		if isIssued == isVoided {
			t.Errorf("%s: issued %v, voided %v; want exactly one", number, isIssued, isVoided)
		}
	}
	if inv, ok := issued["INV-000003"]; !ok || len(issued) != 1 || len(inv.Lines) != 1 || inv.Lines[0].ItemKey != key {
		t.Fatalf("issued %v, want the item alone on INV-000003", issued)
	}
	for number, reason := range voided {
		if reason == "" {
			t.Errorf("%s voided without a reason", number)
		}
	}

	m, _, err := projections.BuildAsOf(ctx, f.store, projections.Bound{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	crep, err := projections.Reconcile(ctx, f.store, m)
	if err != nil || !crep.OK() || crep.Numbers != 3 || crep.NumbersVoided != 2 {
		t.Fatalf("reconcile: %+v, %v", crep, err)
	}

	head := f.head()
	if rep := f.MustRun(day); rep.NumbersVoided != 0 || rep.Issued != 0 || f.head() != head {
		t.Fatalf("a third run: %+v, head %d → %d", rep, head, f.head())
	}
}

// TestRunReservesNumbersInOneBlock: a run on the wall clock (each invoice
// planned at its own instant) records its numbers in one block event, not
// one event per invoice.
func TestRunReservesNumbersInOneBlock(t *testing.T) {
	day := domain.MustDate(2026, 3, 2)
	f := newFixture(t, day)
	f.MustSetUpFirm(true, 0)
	for i := range 5 {
		c := f.MustClient(fmt.Sprintf("Client %d", i), sandbox.TokenCardSucceeds)
		f.MustService(c, "Bookkeeping", every(domain.FrequencyMonths, day), true)
	}
	var ticks atomic.Int64
	ticking := func() time.Time { return f.clk.Now().Add(time.Duration(ticks.Add(1)) * time.Microsecond) }
	svc := billing.New(billing.Config{Store: f.store, Now: ticking, NewID: f.clk.newID})
	rep, err := billingrun.Run(context.Background(), f.store, svc, day, billingrun.Options{})
	if err != nil || rep.Issued != 5 {
		t.Fatalf("run: %+v, %v", rep, err)
	}
	recs, err := f.store.ReadStream(context.Background(), numbering.StreamName(), 0, eventstore.Forward, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Type != "InvoiceNumbersReserved" {
		t.Fatalf("%d numbering events for 5 invoices (first %s), want one block", len(recs), recs[0].Type)
	}
}
