package billing_test

import (
	"context"
	"errors"
	"strings"
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
	"remit/eventstore/sqlite"
	"remit/eventstore/storetest"
)

// dying returns a Service over f's store that dies before each issue.
func (f *fixture) dying() *billing.Service {
	return billing.New(billing.Config{Store: storetest.DiesAt{Store: f.store, Type: "InvoiceIssued"}, Now: f.clock, NewID: f.newID})
}

// numberEvents reads the numbering stream, decoded.
func (f *fixture) numberEvents() []domain.Event {
	f.tb.Helper()
	recs, err := f.store.ReadStream(context.Background(), numbering.StreamName(), 0, eventstore.Forward, 0)
	if err != nil {
		f.tb.Fatal(err)
	}
	cat := catalog.New()
	var out []domain.Event
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			f.tb.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func instantBill(clientID uuid.UUID, lines int, description string) billing.IssueInvoiceRequest {
	r := billing.IssueInvoiceRequest{ClientID: clientID}
	for range lines {
		r.Lines = append(r.Lines, billing.InstantLine{Description: description, Quantity: dec("1"), UnitPrice: dec("100"), TaxRate: dec("10")})
	}
	return r
}

// TestOversizeInvoiceBurnsNoNumber: an instant bill whose InvoiceIssued
// would be over the store's event size limit is refused (422 naming the
// lines) before its number is reserved, so the next invoice takes the first
// number. (It used to reserve INV-000001, then fail to append with a 500.)
func TestOversizeInvoiceBurnsNoNumber(t *testing.T) {
	f := &fixture{tb: t, dir: t.TempDir(), clk: &testClock{now: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)}}
	st, err := sqlite.Open(f.dir, sqlite.Options{MaxEventSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.store, f.svc = st, billing.New(billing.Config{Store: st, Now: f.clock, NewID: f.newID})
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	ctx := context.Background()

	head := f.head()
	_, err = f.svc.IssueInvoice(ctx, instantBill(c, 60, strings.Repeat("Advice on the annual accounts. ", 12)), meta("too-big"))
	f.refused(err, domain.EINVALID, head)
	var de *domain.Error
	if !errors.As(err, &de) || de.Field != "lines" || !strings.Contains(de.Message, "over the limit of 16384 bytes") {
		t.Fatalf("refusal %v, want a problem with lines naming the limit", err)
	}
	if evs := f.numberEvents(); len(evs) != 0 {
		t.Fatalf("numbering after a refused invoice: %v", evs)
	}
	id := f.ok(f.svc.IssueInvoice(ctx, instantBill(c, 2, "Advice"), meta("fits"))).ID
	if got := invoiceState(t, f, id).Number; got != "INV-000001" {
		t.Fatalf("the next invoice is %s, want INV-000001", got)
	}
}

// TestStrandedNumberIsVoided: an instant bill whose process dies between
// reserving its number and issuing it leaves a number no one can use (the
// request's lines are nowhere in the log). VoidStrandedNumber records it as
// void with its reason, once, and only once the reservation is old enough;
// the invoice can then never be issued with it.
func TestStrandedNumberIsVoided(t *testing.T) {
	f := newFixture(t)
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	ctx := context.Background()

	_, err := f.dying().IssueInvoice(ctx, instantBill(c, 1, "Advice"), meta("bill-1"))
	if err == nil {
		t.Fatal("the dying issue succeeded")
	}
	evs := f.numberEvents()
	if len(evs) != 1 {
		t.Fatalf("numbering: %v, want one reservation", evs)
	}
	stranded := evs[0].(numbering.InvoiceNumberReserved)
	req := billing.VoidNumberRequest{InvoiceID: stranded.InvoiceID, Reason: "the request that reserved it stopped before issuing the invoice"}

	t.Run("ErrTooSoon", func(t *testing.T) {
		f := f.in(t)
		f.advance(numbering.VoidAfter - time.Second)
		head := f.head()
		_, err := f.svc.VoidStrandedNumber(ctx, req, billing.Meta{Actor: "billing-run"})
		f.refused(err, domain.ECONFLICT, head)
	})
	t.Run("OK", func(t *testing.T) {
		f := f.in(t)
		f.advance(time.Second)
		res := f.ok(f.svc.VoidStrandedNumber(ctx, req, billing.Meta{Actor: "billing-run"}))
		if res.Appended != 1 || res.AlreadyApplied {
			t.Fatalf("void: %+v", res)
		}
		if got := f.last(invoice.StreamName(stranded.InvoiceID)); got != "InvoiceAbandoned" {
			t.Fatalf("the invoice's stream ends with %s, want InvoiceAbandoned", got)
		}
		evs := f.numberEvents()
		v, ok := evs[len(evs)-1].(numbering.InvoiceNumberVoided)
		if !ok || v.Number != "INV-000001" || v.InvoiceID != stranded.InvoiceID || v.Reason != req.Reason {
			t.Fatalf("numbering ends with %+v, want INV-000001 voided with its reason", evs[len(evs)-1])
		}
	})
	t.Run("OnceOnly", func(t *testing.T) {
		f := f.in(t)
		head := f.head()
		res := f.ok(f.svc.VoidStrandedNumber(ctx, req, billing.Meta{Actor: "another-run"}))
		if !res.AlreadyApplied || f.head() != head {
			t.Fatalf("a second void appended: %+v, head %d → %d", res, head, f.head())
		}
	})
	t.Run("RetriedRequestCannotUseIt", func(t *testing.T) {
		f := f.in(t)
		head := f.head()
		_, err := f.svc.IssueInvoice(ctx, instantBill(c, 1, "Advice"), meta("bill-1"))
		f.refused(err, domain.ECONFLICT, head)
		if !strings.Contains(err.Error(), "INV-000001 was voided") {
			t.Fatalf("refusal %q does not say the number was voided", err)
		}
	})
	t.Run("NextInvoiceTakesTheNextNumber", func(t *testing.T) {
		f := f.in(t)
		id := f.ok(f.svc.IssueInvoice(ctx, instantBill(c, 1, "Advice"), meta("bill-2"))).ID
		if got := invoiceState(t, f, id).Number; got != "INV-000002" {
			t.Fatalf("next invoice %s, want INV-000002", got)
		}
	})
	t.Run("ErrIssuedNumberIsNotVoided", func(t *testing.T) {
		f := f.in(t)
		id := f.ok(f.svc.IssueInvoice(ctx, instantBill(c, 1, "Advice"), meta("bill-3"))).ID
		f.advance(time.Hour)
		head := f.head()
		_, err := f.svc.VoidStrandedNumber(ctx, billing.VoidNumberRequest{InvoiceID: id, Reason: "never issued"}, billing.Meta{Actor: "billing-run"})
		f.refused(err, domain.ECONFLICT, head)
	})
	t.Run("ErrNoNumber", func(t *testing.T) {
		f := f.in(t)
		head := f.head()
		_, err := f.svc.VoidStrandedNumber(ctx, billing.VoidNumberRequest{InvoiceID: uuid.New(), Reason: "never issued"}, billing.Meta{Actor: "billing-run"})
		f.refused(err, domain.ENOTFOUND, head)
	})
}

// TestStrandedItemNumberIsVoidedAndItemReleased: "Bill now" on a manual item
// dies after marking the item and reserving the number; voiding the number
// releases the item, which is then billed on a new invoice with the next
// number.
func TestStrandedItemNumberIsVoidedAndItemReleased(t *testing.T) {
	f := newFixture(t)
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	s := f.mustActivate(c, "Advisory", false)
	key := service.ItemKey(s, 1)
	ctx := context.Background()

	if _, err := f.dying().BillItemNow(ctx, billing.BillItemRequest{ItemKey: key}, meta("bill-now")); err == nil {
		t.Fatal("the dying bill succeeded")
	}
	stranded := f.numberEvents()[0].(numbering.InvoiceNumberReserved)
	f.advance(numbering.VoidAfter)
	f.ok(f.svc.VoidStrandedNumber(ctx, billing.VoidNumberRequest{InvoiceID: stranded.InvoiceID, ItemKeys: []string{key}, Reason: "stopped before issuing"}, billing.Meta{Actor: "billing-run"}))
	if got := f.last(service.StreamName(s)); got != "ScheduleItemReleased" {
		t.Fatalf("the service's stream ends with %s, want the item released", got)
	}
	id := f.ok(f.svc.BillItemNow(ctx, billing.BillItemRequest{ItemKey: key}, meta("bill-now-again"))).ID
	inv := invoiceState(t, f, id)
	if id == stranded.InvoiceID || inv.Number != "INV-000002" || len(inv.Lines) != 1 || inv.Lines[0].ItemKey != key {
		t.Fatalf("billed again as %s (%s), want a new invoice INV-000002 with the item", inv.Number, id)
	}
}
