package billingrun_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/integrations/payments/sandbox"
)

// mustInvoice is an invoice as the runs see it.
func (f *fixture) mustInvoice(id uuid.UUID) invoice.State {
	f.tb.Helper()
	idx := f.index()
	if err := idx.Update(context.Background()); err != nil {
		f.tb.Fatal(err)
	}
	st, ok := idx.Invoice(id)
	if !ok {
		f.tb.Fatalf("no invoice %s", id)
	}
	return st
}

// mustManualItem is the key of the service's first item, which must be
// waiting to be billed by hand.
func (f *fixture) mustManualItem(serviceID uuid.UUID, through domain.Date) string {
	f.tb.Helper()
	idx := f.index()
	if err := idx.Update(context.Background()); err != nil {
		f.tb.Fatal(err)
	}
	st, _, ok := idx.Service(serviceID)
	if !ok {
		f.tb.Fatalf("no service %s", serviceID)
	}
	items := st.Schedule(through)
	if len(items) == 0 {
		f.tb.Fatalf("service %s has no items through %s", serviceID, through)
	}
	return items[0].Key
}

// invoiceIDs lists the issued invoices, in issue order.
func (f *fixture) invoiceIDs() []uuid.UUID {
	f.tb.Helper()
	recs, err := f.store.ReadAll(context.Background(), 1, eventstore.Forward, 0, eventstore.Filter{StreamPrefixes: []string{"invoice-"}})
	if err != nil {
		f.tb.Fatal(err)
	}
	var out []uuid.UUID
	for _, r := range recs {
		if r.Type == "InvoiceIssued" {
			out = append(out, invoiceOf(r.Stream))
		}
	}
	return out
}

// TestInstantBillAndBillNowAreCollected: an instant bill and a manual item
// billed by hand, for a client whose default method is a sandbox card, are
// charged by the collection run on the firm's once-off collection date, not
// before; an instant bill to a client with no method on file is never
// charged.
func TestInstantBillAndBillNowAreCollected(t *testing.T) {
	day := domain.MustDate(2025, 3, 3)
	f := newFixture(t, day)
	f.MustSetUpFirm(true, 3) // once-off invoices are collected 3 days after issue
	ctx := context.Background()

	acme := f.MustClient("Acme", sandbox.TokenCardSucceeds)
	bare := f.MustClient("Bare", "")
	lines := []billing.InstantLine{{Description: "Advice", Quantity: dec("1"), UnitPrice: dec("1450"), TaxRate: dec("10")}}
	instant := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: acme, Lines: lines}, staff())).ID
	noMethod := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: bare, Lines: lines}, staff())).ID

	once := domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnDate, StartDate: day, End: domain.EndNever}
	svc := f.MustService(acme, "Tax return", once, false)
	key := f.mustManualItem(svc, day)
	billed := f.ok(f.svc.BillItemNow(ctx, billing.BillItemRequest{ItemKey: key}, staff())).ID

	collectOn := day.AddDays(3)
	for _, id := range []uuid.UUID{instant, billed} {
		st := f.mustInvoice(id)
		if st.Status != invoice.StatusPaymentScheduled || st.Collection.Date != collectOn {
			t.Fatalf("invoice %s: status %s, collection %+v; want payment scheduled for %s", st.Number, st.Status, st.Collection, collectOn)
		}
	}
	if st := f.mustInvoice(noMethod); st.Status != invoice.StatusAwaitingPayment || !st.Collection.Date.IsZero() {
		t.Fatalf("invoice without a method: status %s, collection %+v; want awaiting payment, nothing scheduled", st.Status, st.Collection)
	}

	// The day's billing run and collection before the date charge nothing.
	for d := day; d.Before(collectOn); d = d.AddDays(1) {
		f.clk.setDay(d)
		f.MustRun(d)
		if rep := f.MustCollect(d); rep.Due != 0 || f.charges() != 0 {
			t.Fatalf("collection on %s: %+v, %d charges; want nothing due before %s", d, rep, f.charges(), collectOn)
		}
	}
	f.clk.setDay(collectOn)
	f.MustRun(collectOn)
	rep := f.MustCollect(collectOn)
	if rep.Due != 2 || rep.Succeeded != 2 || f.charges() != 2 {
		t.Fatalf("collection on %s: %+v, %d charges; want the instant bill and the bill-now invoice charged", collectOn, rep, f.charges())
	}
	for _, id := range []uuid.UUID{instant, billed} {
		if st := f.mustInvoice(id); st.Status != invoice.StatusPaid {
			t.Errorf("invoice %s is %s after its collection date, want paid", st.Number, st.Status)
		}
	}
	if st := f.mustInvoice(noMethod); st.Status != invoice.StatusAwaitingPayment {
		t.Errorf("invoice without a method is %s, want awaiting payment", st.Status)
	}
	// Nothing more to collect, ever.
	f.MustCollect(collectOn.AddDays(30))
	if f.charges() != 2 {
		t.Errorf("%d charges after a later run, want 2", f.charges())
	}
}

// TestRetryReplacedByStaffChargesOnce: a payment rejected and its retry
// pending; staff change the method and retry now: the pending retry is
// replaced, and the runs charge the new method once, and nothing on the old
// retry date.
func TestRetryReplacedByStaffChargesOnce(t *testing.T) {
	day := domain.MustDate(2025, 3, 3)
	f := newFixture(t, day)
	f.MustSetUpFirm(true, 0)
	ctx := context.Background()
	cl := f.MustClient("Brick", sandbox.TokenCardDeclined)
	inv := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: cl,
		Lines: []billing.InstantLine{{Description: "Advice", Quantity: dec("1"), UnitPrice: dec("100"), TaxRate: dec("10")}}}, staff())).ID
	f.ok(f.svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: inv, Date: day}, staff())) // already so since issue
	rep := f.MustCollect(day)
	if rep.Rejected != 1 || rep.RetriesScheduled != 1 {
		t.Fatalf("first collection: %+v; want one rejection and a retry by policy", rep)
	}
	pending := f.mustInvoice(inv).Collection
	if !pending.Retry || !pending.Date.After(day) {
		t.Fatalf("collection %+v; want a retry pending after %s", pending, day)
	}

	good := f.MustMethod(cl, sandboxCard(""))
	f.ok(f.svc.ScheduleRetry(ctx, billing.InvoiceRequest{InvoiceID: inv, Date: day, PaymentMethodID: good}, staff()))
	// Asked twice (a double click, the client through the link): still one retry.
	f.ok(f.svc.ScheduleRetry(ctx, billing.InvoiceRequest{InvoiceID: inv, Date: day, PaymentMethodID: good}, staff()))
	st := f.mustInvoice(inv)
	if st.Collection.Date != day || st.Collection.PaymentMethodID != good {
		t.Fatalf("collection %+v; want a retry today from the new card", st.Collection)
	}
	before := f.charges()
	for d := day; !d.After(pending.Date.AddDays(10)); d = d.AddDays(1) {
		f.clk.setDay(d)
		f.MustCollect(d)
	}
	if n := f.charges() - before; n != 1 {
		t.Fatalf("%d charges after the retry was replaced, want 1", n)
	}
	if st := f.mustInvoice(inv); st.Status != invoice.StatusPaid {
		t.Fatalf("invoice is %s, want paid", st.Status)
	}
}

// TestCancelledCollectionIsNotCharged: staff cancel a scheduled collection;
// neither the billing run nor collection schedules or charges it again.
func TestCancelledCollectionIsNotCharged(t *testing.T) {
	day := domain.MustDate(2025, 3, 3)
	f := newFixture(t, day)
	f.MustSetUpFirm(true, 0)
	ctx := context.Background()
	cl := f.MustClient("Acme", sandbox.TokenCardSucceeds)
	f.MustService(cl, "Bookkeeping", every(domain.FrequencyMonths, day), true)
	f.MustRun(day)
	runs := f.invoiceIDs()
	if len(runs) != 1 {
		t.Fatalf("the run issued %d invoices, want 1", len(runs))
	}
	fromRun := runs[0]
	inv := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: cl,
		Lines: []billing.InstantLine{{Description: "Advice", Quantity: dec("1"), UnitPrice: dec("100"), TaxRate: dec("10")}}}, staff())).ID
	for _, id := range []uuid.UUID{fromRun, inv} {
		f.ok(f.svc.CancelCollection(ctx, billing.InvoiceRequest{InvoiceID: id, Reason: "Client pays by transfer this month"}, staff()))
	}
	rep := f.MustRun(day)
	if rep.CollectionsScheduled != 0 {
		t.Errorf("the run scheduled %d collections after staff cancelled them", rep.CollectionsScheduled)
	}
	for d := day; !d.After(day.AddDays(5)); d = d.AddDays(1) {
		f.clk.setDay(d)
		f.MustRun(d)
		f.MustCollect(d)
	}
	if f.charges() != 0 {
		t.Fatalf("%d charges after the collections were cancelled", f.charges())
	}
	for _, id := range []uuid.UUID{fromRun, inv} {
		if st := f.mustInvoice(id); st.Status != invoice.StatusAwaitingPayment {
			t.Errorf("invoice %s is %s, want awaiting payment", st.Number, st.Status)
		}
	}
}
