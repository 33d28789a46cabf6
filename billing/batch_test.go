package billing_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/numbering"
	"remit/domain/service"
	"remit/eventstore"
)

// storeSnapshot is a billing.Snapshot folded from the store's streams at the
// moment MustSnapshot is called (later changes are not seen: it goes stale).
type storeSnapshot struct {
	firm     firm.State
	clients  map[uuid.UUID]client.State
	services map[uuid.UUID]service.State
	revs     map[uuid.UUID]uint64
	invoices map[uuid.UUID]invoice.State
}

func (s *storeSnapshot) Firm() firm.State { return s.firm }
func (s *storeSnapshot) Client(id uuid.UUID) (client.State, bool) {
	c, ok := s.clients[id]
	return c, ok
}
func (s *storeSnapshot) Service(id uuid.UUID) (service.State, uint64, bool) {
	st, ok := s.services[id]
	return st, s.revs[id], ok
}
func (s *storeSnapshot) Invoice(id uuid.UUID) (invoice.State, bool) {
	st, ok := s.invoices[id]
	return st, ok
}

// MustSnapshot folds the whole store as it is now.
func (f *fixture) MustSnapshot() *storeSnapshot {
	f.tb.Helper()
	cat := catalog.New()
	s := &storeSnapshot{clients: map[uuid.UUID]client.State{}, services: map[uuid.UUID]service.State{}, revs: map[uuid.UUID]uint64{}, invoices: map[uuid.UUID]invoice.State{}}
	for _, r := range f.events() {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			f.tb.Fatal(err)
		}
		switch {
		case r.Stream == firm.StreamName():
			s.firm = firm.Evolve(s.firm, e)
		case len(r.Stream) > 7 && r.Stream[:7] == "client-":
			id := uuid.MustParse(r.Stream[7:])
			s.clients[id] = client.Evolve(s.clients[id], e)
		case len(r.Stream) > 8 && r.Stream[:8] == "service-":
			id := uuid.MustParse(r.Stream[8:])
			s.services[id], s.revs[id] = service.Evolve(s.services[id], e), r.Revision
		case len(r.Stream) > 8 && r.Stream[:8] == "invoice-":
			id := uuid.MustParse(r.Stream[8:])
			s.invoices[id] = invoice.Evolve(s.invoices[id], e)
		}
	}
	return s
}

// count returns how many events of a type the store holds.
func (f *fixture) count(eventType string) int {
	f.tb.Helper()
	recs, err := f.store.ReadAll(context.Background(), 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{eventType}})
	if err != nil {
		f.tb.Fatal(err)
	}
	return len(recs)
}

// numbersReserved counts the invoice numbers given, one at a time or in
// blocks.
func (f *fixture) numbersReserved() int {
	f.tb.Helper()
	n := f.count("InvoiceNumberReserved")
	recs, err := f.store.ReadAll(context.Background(), 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"InvoiceNumbersReserved"}})
	if err != nil {
		f.tb.Fatal(err)
	}
	for _, r := range recs {
		var e numbering.InvoiceNumbersReserved
		if err := json.Unmarshal(r.Data, &e); err != nil {
			f.tb.Fatal(err)
		}
		n += len(e.InvoiceIDs)
	}
	return n
}

func batchOf(clientID uuid.UUID, cmd string, keys ...string) billing.BatchInvoice {
	m := meta(cmd)
	return billing.BatchInvoice{Request: billing.IssueInvoiceRequest{ClientID: clientID, ItemKeys: keys, IssueDate: monthStart}, Meta: m, Collect: &billing.Meta{Actor: m.Actor, CommandID: cmd + "/collect"}}
}

// TestIssueBatch: a batch issues its invoices with gapless numbers in order,
// refuses a bad invoice without burning a number or marking its items, and
// is answered "already issued" when run again, even from a stale snapshot.
func TestIssueBatch(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	acme := f.mustCreateClient("Acme")
	f.ok(f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: acme, Method: visa()}, meta("acme-card")))
	book := f.mustActivate(acme, "Bookkeeping", true)
	pay := f.mustActivate(acme, "Payroll", true)
	brick := f.mustCreateClient("Brick")
	// Brick's service is priced in Australian dollars, then Brick is moved
	// to US dollars (a service in another currency than its client's is
	// refused when it is activated): its invoice is refused by the domain.
	usd := f.ok(f.svc.ActivateService(ctx, billing.ServiceRequest{ClientID: brick, Name: "Audit", UnitPrice: dec("100"), Quantity: dec("1"),
		TaxRate: dec("10"), BillingRule: monthly(monthStart), Automatic: true}, meta("activate-aud"))).ID
	f.ok(f.svc.EditClient(ctx, billing.ClientRequest{ClientID: brick, Name: "Brick", Kind: client.KindBusiness, Currency: "USD"}, meta("brick-usd")))

	stale := f.MustSnapshot()
	batch := []billing.BatchInvoice{
		batchOf(acme, "b1", service.ItemKey(book, 1), service.ItemKey(pay, 1)),
		batchOf(brick, "b2", service.ItemKey(usd, 1)),
		batchOf(acme, "b3", service.ItemKey(book, 2)),
	}
	res, err := f.svc.IssueBatch(ctx, stale, batch, billing.BatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[2].Err != nil || res[0].Number != "INV-000001" || res[2].Number != "INV-000002" {
		t.Fatalf("results %+v", res)
	}
	if !res[0].CollectionScheduled || res[0].Invoice.Status != invoice.StatusPaymentScheduled || res[0].ID != billing.InvoiceIDForItems(batch[0].Request.ItemKeys) {
		t.Errorf("first invoice: %+v", res[0])
	}
	if domain.ErrorCode(res[1].Err) != domain.EINVALID {
		t.Errorf("USD invoice: %v, want a validation error", res[1].Err)
	}
	if n := f.numbersReserved(); n != 2 {
		t.Errorf("%d numbers reserved, want 2: the refused invoice burns none", n)
	}
	if n := f.count("ScheduleItemBilled"); n != 3 {
		t.Errorf("%d items marked billed, want 3", n)
	}

	head := f.head()
	again, err := f.svc.IssueBatch(ctx, stale, []billing.BatchInvoice{batch[0], batch[2]}, billing.BatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again {
		if r.Err != nil || !r.AlreadyApplied || r.Number != []string{"INV-000001", "INV-000002"}[i] {
			t.Errorf("again %d: %+v", i, r)
		}
	}
	if h := f.head(); h != head {
		t.Errorf("a repeated batch appended %d events", h-head)
	}
	f.checkMetadata()
}

// TestIssueBatchLosesRace: between the snapshot and the batch, staff bill
// one item of a two-item group on their own invoice. The batch marks the
// other item, finds this one billed elsewhere, answers a conflict, releases
// what it marked and burns no number; the released item is billed later.
func TestIssueBatchLosesRace(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	acme := f.mustCreateClient("Acme")
	book := f.mustActivate(acme, "Bookkeeping", true)
	pay := f.mustActivate(acme, "Payroll", true)
	k1, k2 := service.ItemKey(book, 1), service.ItemKey(pay, 1)

	stale := f.MustSnapshot()
	staffInv := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: acme, ItemKeys: []string{k2}}, meta("staff-bills-payroll")))
	res, err := f.svc.IssueBatch(ctx, stale, []billing.BatchInvoice{batchOf(acme, "run", k1, k2)}, billing.BatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if domain.ErrorCode(res[0].Err) != domain.ECONFLICT {
		t.Fatalf("batch: %+v, want a conflict", res[0])
	}
	if n := f.numbersReserved(); n != 1 {
		t.Errorf("%d numbers reserved, want only the staff invoice's", n)
	}
	if n := f.count("ScheduleItemReleased"); n != 1 {
		t.Errorf("%d items released, want 1 (%s, marked by the batch)", n, k1)
	}
	fresh := f.MustSnapshot()
	if it, _ := fresh.services[book].Item(k1); it.Status == service.ItemBilled {
		t.Errorf("%s stays billed on an invoice that was not issued", k1)
	}
	if it, _ := fresh.services[pay].Item(k2); it.InvoiceID != staffInv.ID {
		t.Errorf("%s billed on %s, want the staff invoice", k2, it.InvoiceID)
	}

	res, err = f.svc.IssueBatch(ctx, fresh, []billing.BatchInvoice{batchOf(acme, "run-2", k1)}, billing.BatchOptions{})
	if err != nil || res[0].Err != nil || res[0].Number != "INV-000002" {
		t.Fatalf("second batch: %v %+v", err, res)
	}
	if res[0].ID == billing.InvoiceIDForItems([]string{k1}) {
		t.Errorf("an item released once is billed on the invoice named for it before its release")
	}
}
