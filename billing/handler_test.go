package billing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/numbering"
	"remit/eventstore"
)

func clientDecider(decide func(client.State, client.Command) ([]domain.Event, error)) billing.Decider[client.State, client.Command] {
	return billing.Decider[client.State, client.Command]{Evolve: client.Evolve, Decide: decide}
}

func TestHandle(t *testing.T) {
	ctx := context.Background()
	id := uuid.MustParse("0195a0c4-0000-7000-8000-000000000001")
	stream := client.StreamName(id)
	create := client.CreateClient{ClientID: id, Name: "Acme", Kind: client.KindBusiness,
		Contacts: []client.Contact{{ID: uuid.New(), Name: "Alice", Email: "alice@acme.test"}}, Currency: domain.MustCurrency("AUD")}

	t.Run("OK", func(t *testing.T) {
		f := newFixture(t)
		env := billing.Env{Store: f.store, Catalog: catalog.New()}
		out, err := billing.Handle(ctx, env, clientDecider(client.Decide), stream, client.Command(create), meta("c1"))
		if err != nil {
			t.Fatal(err)
		}
		if out.Revision != 0 || out.Appended != 1 || out.State.Name != "Acme" {
			t.Fatalf("outcome %+v", out.Result)
		}
		recs := f.events()
		if len(recs) != 1 || recs[0].ID != billing.EventID("c1", stream, 0) || recs[0].SchemaVersion != 1 || recs[0].Type != "ClientCreated" {
			t.Fatalf("stored %+v", recs)
		}
		var e client.ClientCreated
		if err := json.Unmarshal(recs[0].Data, &e); err != nil || e.Name != "Acme" {
			t.Fatalf("data %s: %v", recs[0].Data, err)
		}
		want := eventstore.Metadata{Actor: "staff@firm.test", CommandID: "c1", CorrelationID: "corr-c1", CausationID: "c1"}
		got := recs[0].Metadata
		got.RecordedAt = want.RecordedAt
		if got != want {
			t.Fatalf("metadata %+v, want %+v", got, want)
		}
	})

	t.Run("RetriesOnConflict", func(t *testing.T) {
		f := newFixture(t)
		env := billing.Env{Store: f.store, Catalog: catalog.New()}
		if _, err := billing.Handle(ctx, env, clientDecider(client.Decide), stream, client.Command(create), meta("c1")); err != nil {
			t.Fatal(err)
		}
		// The first decision races with another writer that renames the
		// client; the retry must decide on the renamed client.
		calls := 0
		var seen []string
		decide := func(s client.State, c client.Command) ([]domain.Event, error) {
			calls++
			seen = append(seen, s.Name)
			if calls == 1 {
				rename := client.ChangeClientDetails{ClientID: id, Name: "Acme Pty", Kind: client.KindBusiness, Currency: s.Currency}
				if _, err := billing.Handle(ctx, env, clientDecider(client.Decide), stream, client.Command(rename), meta("other")); err != nil {
					t.Fatal(err)
				}
			}
			return client.Decide(s, c)
		}
		out, err := billing.Handle(ctx, env, clientDecider(decide), stream, client.Command(client.AddContact{ClientID: id, Contact: client.Contact{ID: uuid.New(), Name: "Bob"}}), meta("c2"))
		if err != nil {
			t.Fatal(err)
		}
		if calls != 2 || !slices.Equal(seen, []string{"Acme", "Acme Pty"}) || out.Revision != 2 {
			t.Fatalf("calls %d, saw %v, revision %d", calls, seen, out.Revision)
		}
	})

	t.Run("ErrConflictAfterMaxAttempts", func(t *testing.T) {
		f := newFixture(t)
		env := billing.Env{Store: f.store, Catalog: catalog.New()}
		if _, err := billing.Handle(ctx, env, clientDecider(client.Decide), stream, client.Command(create), meta("c1")); err != nil {
			t.Fatal(err)
		}
		calls := 0
		decide := func(s client.State, c client.Command) ([]domain.Event, error) {
			calls++
			name := fmt.Sprintf("Acme %d", calls)
			rename := client.ChangeClientDetails{ClientID: id, Name: name, Kind: client.KindBusiness, Currency: s.Currency}
			if _, err := billing.Handle(ctx, env, clientDecider(client.Decide), stream, client.Command(rename), meta(name)); err != nil {
				t.Fatal(err)
			}
			return client.Decide(s, c)
		}
		_, err := billing.Handle(ctx, env, clientDecider(decide), stream, client.Command(client.AddContact{ClientID: id, Contact: client.Contact{ID: uuid.New(), Name: "Bob"}}), meta("c2"))
		if domain.ErrorCode(err) != domain.ECONFLICT || calls != billing.MaxAttempts {
			t.Fatalf("err %v (code %s) after %d calls, want %s after %d", err, domain.ErrorCode(err), calls, domain.ECONFLICT, billing.MaxAttempts)
		}
	})

	t.Run("ErrRefusedAppendsNothing", func(t *testing.T) {
		f := newFixture(t)
		env := billing.Env{Store: f.store, Catalog: catalog.New()}
		_, err := billing.Handle(ctx, env, clientDecider(client.Decide), stream, client.Command(client.RestoreClient{ClientID: id}), meta("c1"))
		f.refused(err, domain.ENOTFOUND, 0)
	})
}

func TestIdempotentCommand(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	req := billing.ClientRequest{Name: "Acme", Kind: client.KindBusiness, Contacts: []client.Contact{{Name: "Alice", Email: "alice@acme.test"}}}
	first := f.ok(f.svc.CreateClient(ctx, req, meta("key-1")))
	head := f.head()

	again := f.ok(f.svc.CreateClient(ctx, req, meta("key-1")))
	if !again.AlreadyApplied || again.ID != first.ID || again.Revision != first.Revision || again.Position != first.Position {
		t.Fatalf("retry gave %+v, want the first result %+v", again, first)
	}
	if h := f.head(); h != head {
		t.Fatalf("the retry appended: head %d -> %d", head, h)
	}
	// A later change must not confuse the read-back: the first result stands.
	f.ok(f.svc.AddContact(ctx, billing.ContactRequest{ClientID: first.ID, Contact: client.Contact{Name: "Bob"}}, meta("key-2")))
	head = f.head()
	f.reopen()
	afterRestart := f.ok(f.svc.CreateClient(ctx, req, meta("key-1")))
	if !afterRestart.AlreadyApplied || afterRestart.ID != first.ID || afterRestart.Position != first.Position {
		t.Fatalf("after restart %+v, want %+v", afterRestart, first)
	}
	// Also a command whose effect is now refused (the contact exists).
	f.ok(f.svc.AddContact(ctx, billing.ContactRequest{ClientID: first.ID, Contact: client.Contact{Name: "Bob"}}, meta("key-2")))
	if h := f.head(); h != head {
		t.Fatalf("re-run commands appended: head %d -> %d", head, h)
	}
	f.checkMetadata()
}

func TestIdempotentInvoice(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	req := billing.IssueInvoiceRequest{ClientID: c, Lines: []billing.InstantLine{{Description: "Tax return", Quantity: dec("1"), UnitPrice: dec("450"), TaxRate: dec("10")}}}
	first := f.ok(f.svc.IssueInvoice(ctx, req, meta("inv-1")))
	head := f.head()
	f.reopen()
	again := f.ok(f.svc.IssueInvoice(ctx, req, meta("inv-1")))
	if !again.AlreadyApplied || again.ID != first.ID || again.Position != first.Position {
		t.Fatalf("retry %+v, want %+v", again, first)
	}
	if h := f.head(); h != head {
		t.Fatalf("retry appended: head %d -> %d", head, h)
	}
	second := f.ok(f.svc.IssueInvoice(ctx, req, meta("inv-2")))
	if numbers := f.invoiceNumbers(); !slices.Equal(numbers, []int64{1, 2}) || second.ID == first.ID {
		t.Fatalf("numbers %v", numbers)
	}
}

// invoiceNumbers returns the sequence numbers of the issued invoices, checking
// each matches its reservation.
func (f *fixture) invoiceNumbers() []int64 {
	f.tb.Helper()
	reserved := map[uuid.UUID]numbering.InvoiceNumberReserved{}
	var out []int64
	for _, r := range f.events() {
		switch r.Type {
		case "InvoiceNumberReserved":
			var e numbering.InvoiceNumberReserved
			if err := json.Unmarshal(r.Data, &e); err != nil {
				f.tb.Fatal(err)
			}
			reserved[e.InvoiceID] = e
		case "InvoiceNumbersReserved": // concurrent reservations share a block
			var e numbering.InvoiceNumbersReserved
			if err := json.Unmarshal(r.Data, &e); err != nil {
				f.tb.Fatal(err)
			}
			for _, one := range e.Reservations() {
				reserved[one.InvoiceID] = one
			}
		case "InvoiceIssued":
			var e invoice.InvoiceIssued
			if err := json.Unmarshal(r.Data, &e); err != nil {
				f.tb.Fatal(err)
			}
			rsv, ok := reserved[e.InvoiceID]
			if !ok || rsv.Number != e.Number {
				f.tb.Fatalf("invoice %s issued as %s, reserved %+v", e.InvoiceID, e.Number, rsv)
			}
			out = append(out, rsv.Sequence)
		}
	}
	if len(out) != len(reserved) {
		f.tb.Fatalf("%d numbers reserved for %d invoices", len(reserved), len(out))
	}
	slices.Sort(out)
	return out
}

func TestGaplessNumbersUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	clients := []uuid.UUID{f.mustCreateClient("A"), f.mustCreateClient("B"), f.mustCreateClient("C")}
	const n = 50
	req := func(i int) billing.IssueInvoiceRequest {
		return billing.IssueInvoiceRequest{
			ClientID: clients[i%len(clients)],
			Lines:    []billing.InstantLine{{Description: fmt.Sprintf("Advice %d", i), Quantity: dec("1"), UnitPrice: dec("99.95")}},
		}
	}
	var wg sync.WaitGroup
	results := make([]billing.Result, n)
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			var err error
			results[i], err = f.svc.IssueInvoice(ctx, req(i), meta(fmt.Sprintf("issue-%d", i)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := f.invoiceNumbers()
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("numbers %v, want 1..%d without gap or repeat", got, n)
	}
	// Concurrent reservations share blocks; each command retried after a
	// restart still answers its own invoice and appends nothing.
	head := f.head()
	f.reopen()
	for i := range n {
		again := f.ok(f.svc.IssueInvoice(ctx, req(i), meta(fmt.Sprintf("issue-%d", i))))
		if !again.AlreadyApplied || again.ID != results[i].ID {
			t.Fatalf("retry of issue-%d: %+v, want the first result %+v", i, again, results[i])
		}
	}
	if h := f.head(); h != head {
		t.Fatalf("retries appended: head %d -> %d", head, h)
	}
}

func TestRefusedInvoiceBurnsNoNumber(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	head := f.head()
	_, err := f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c,
		Lines: []billing.InstantLine{{Description: "Nothing", Quantity: dec("0"), UnitPrice: dec("10")}}}, meta("bad"))
	f.refused(err, domain.EINVALID, head)
	f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c,
		Lines: []billing.InstantLine{{Description: "Advice", Quantity: dec("1"), UnitPrice: dec("10")}}}, meta("good")))
	if got := f.invoiceNumbers(); !slices.Equal(got, []int64{1}) {
		t.Fatalf("numbers %v, want [1]", got)
	}
}

func TestItemBilledOnceUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	s1 := f.mustActivate(c, "Bookkeeping", true)
	s2 := f.mustActivate(c, "Payroll", true)
	keys := []string{s1.String() + "/1", s2.String() + "/1"}
	const runs = 8
	var wg sync.WaitGroup
	results := make(chan billing.Result, runs)
	errs := make(chan error, runs)
	for i := range runs {
		wg.Go(func() {
			// Each run lists the items in its own order.
			k := slices.Clone(keys)
			if i%2 == 1 {
				slices.Reverse(k)
			}
			res, err := f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, ItemKeys: k}, meta(fmt.Sprintf("run-%d", i)))
			if err != nil {
				errs <- err
				return
			}
			results <- res
		})
	}
	wg.Wait()
	close(errs)
	close(results)
	for err := range errs {
		t.Fatal(err)
	}
	ids := map[uuid.UUID]bool{}
	for r := range results {
		ids[r.ID] = true
	}
	if len(ids) != 1 {
		t.Fatalf("runs answered %d invoices, want 1", len(ids))
	}
	if got := f.invoiceNumbers(); !slices.Equal(got, []int64{1}) {
		t.Fatalf("numbers %v, want one invoice", got)
	}
	billed := 0
	for _, r := range f.events() {
		if r.Type == "ScheduleItemBilled" {
			billed++
		}
	}
	if billed != 2 {
		t.Fatalf("%d ScheduleItemBilled events, want 2", billed)
	}
	// Billing one of the items on another invoice is refused.
	head := f.head()
	_, err := f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, ItemKeys: keys[:1]}, meta("again"))
	f.refused(err, domain.ECONFLICT, head)
	f.checkMetadata()
}

// TestOverlappingInvoicesLeaveNoItemStranded: runs over different but
// overlapping item sets race; each item ends billed on exactly one invoice
// that was issued, never on an invoice that lost the race.
func TestOverlappingInvoicesLeaveNoItemStranded(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	s1 := f.mustActivate(c, "Bookkeeping", true)
	s2 := f.mustActivate(c, "Payroll", true)
	s3 := f.mustActivate(c, "Advice", true)
	a, b, d := s1.String()+"/1", s2.String()+"/1", s3.String()+"/1"
	sets := [][]string{{a, b}, {b, d}, {d, a}, {a, b, d}}
	var wg sync.WaitGroup
	for i, set := range sets {
		wg.Go(func() {
			// Losers are refused with a conflict; that is expected.
			f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, ItemKeys: set}, meta(fmt.Sprintf("overlap-%d", i)))
		})
	}
	wg.Wait()
	issued := map[uuid.UUID]bool{}
	billedOn := map[string]uuid.UUID{}
	for _, r := range f.events() {
		switch r.Type {
		case "InvoiceIssued":
			var e struct {
				InvoiceID uuid.UUID `json:"invoice_id"`
			}
			mustUnmarshal(t, r.Data, &e)
			issued[e.InvoiceID] = true
		case "ScheduleItemBilled":
			var e struct {
				ItemKey   string    `json:"item_key"`
				InvoiceID uuid.UUID `json:"invoice_id"`
			}
			mustUnmarshal(t, r.Data, &e)
			billedOn[e.ItemKey] = e.InvoiceID
		case "ScheduleItemReleased":
			var e struct {
				ItemKey string `json:"item_key"`
			}
			mustUnmarshal(t, r.Data, &e)
			delete(billedOn, e.ItemKey)
		}
	}
	if len(issued) == 0 {
		t.Fatal("no invoice was issued")
	}
	for key, inv := range billedOn {
		if !issued[inv] {
			t.Errorf("item %s is left billed on invoice %s, which was never issued", key, inv)
		}
	}
	// Every item that is not billed can still be billed.
	for _, key := range []string{a, b, d} {
		if _, ok := billedOn[key]; ok {
			continue
		}
		if _, err := f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, ItemKeys: []string{key}}, meta("rebill-"+key)); err != nil {
			t.Errorf("item %s, released by a losing run, cannot be billed: %v", key, err)
		}
	}
}

func mustUnmarshal(tb testing.TB, data []byte, v any) {
	tb.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		tb.Fatalf("%s: %v", data, err)
	}
}

// TestRebillAfterVoidIssuesANewInvoice: items released by a void are billed
// again on a new invoice with a new number, never on the voided one.
func TestRebillAfterVoidIssuesANewInvoice(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	s1 := f.mustActivate(c, "Bookkeeping", true)
	keys := []string{s1.String() + "/1"}
	first := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, ItemKeys: keys}, meta("bill-1")))
	f.ok(f.svc.VoidInvoice(ctx, billing.InvoiceRequest{InvoiceID: first.ID, Reason: "wrong price"}, meta("void-1")))
	again := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, ItemKeys: keys}, meta("bill-2")))
	if again.ID == first.ID || again.AlreadyApplied {
		t.Fatalf("re-billing after the void answered the voided invoice %s (%+v)", first.ID, again)
	}
	if got := f.invoiceNumbers(); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("numbers %v, want 1 and 2", got)
	}
	// Two runs over the released item still agree on one invoice.
	rerun := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, ItemKeys: keys}, meta("bill-3")))
	if rerun.ID != again.ID {
		t.Fatalf("a second run named invoice %s, the first %s", rerun.ID, again.ID)
	}
}

// TestEventIDIn: a command of no batch keeps EventID's ids; the commands of
// one batch get ids beginning alike and otherwise EventID's, the same each
// time; another batch begins otherwise.
func TestEventIDIn(t *testing.T) {
	if got, want := billing.EventIDIn("", "c1", "client-x", 0), billing.EventID("c1", "client-x", 0); got != want {
		t.Errorf("no batch: %s, want EventID's %s", got, want)
	}
	a := billing.EventIDIn("billing-run/2026-12-07", "c1", "service-x", 0)
	b := billing.EventIDIn("billing-run/2026-12-07", "c2", "invoice-y", 3)
	other := billing.EventIDIn("billing-run/2026-12-08", "c1", "service-x", 0)
	plain := billing.EventID("c1", "service-x", 0)
	switch {
	case a != billing.EventIDIn("billing-run/2026-12-07", "c1", "service-x", 0):
		t.Error("the same command of the same batch got another id")
	case a == b || !bytes.Equal(a[:6], b[:6]):
		t.Errorf("one batch: %s and %s, want two ids beginning alike", a, b)
	case bytes.Equal(a[:6], other[:6]):
		t.Errorf("two batches: %s and %s begin alike", a, other)
	case !bytes.Equal(a[6:], plain[6:]) || a.Version() != 5 || a.Variant() != uuid.RFC4122:
		t.Errorf("%s: want EventID's %s after the batch's six bytes", a, plain)
	}
}
