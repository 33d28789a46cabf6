package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/numbering"
	"remit/domain/service"
	"remit/eventstore"
	"remit/projections/rmdb"
)

// TestServicesDueFindsOnlyServicesWithAnItemDue checks that the billing
// run's due scan (ServicesDue) returns exactly the services with an item
// due by the day asked, each with its stream's revision, and moves on as
// items are billed; and that ClientsWithServicesDue returns those
// services' clients.
func TestServicesDueFindsOnlyServicesWithAnItemDue(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		e := newEnv(t)
		for c, name := range map[uuid.UUID]string{acme: "Acme Pty Ltd", beta: "Beta Bakery"} {
			e.MustAppend(client.StreamName(c), "staff", client.ClientCreated{ClientID: c, Name: name, Kind: client.KindBusiness, Currency: aud})
		}
		e.MustAppend("service-"+bookkeeping.String(), "staff", activated(bookkeeping, acme, "Bookkeeping", "100", monthly(date(2025, 3, 1)), date(2025, 3, 1), service.Automatic))
		e.MustAppend("service-"+payroll.String(), "staff", activated(payroll, acme, "Payroll", "50", monthly(date(2025, 5, 10)), date(2025, 5, 10), service.Automatic))
		e.MustAppend("service-"+advice.String(), "staff", activated(advice, beta, "Advice", "70", monthly(date(2025, 3, 1)), date(2025, 3, 1), service.Manual))
		m, r := runnerOn(t, e, db)
		ctx := context.Background()
		dueOn := func(d domain.Date) []string {
			t.Helper()
			if err := r.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range ok(m.ServicesDue(ctx, d)) {
				if len(f.State.DueItems(d)) == 0 {
					t.Errorf("%s listed as due on %s with nothing due", f.State.Name, d)
				}
				names = append(names, f.State.Name)
			}
			slices.Sort(names)
			clients := ok(m.ClientsWithServicesDue(ctx, d))
			want := map[uuid.UUID]bool{}
			for _, f := range ok(m.ServicesDue(ctx, d)) {
				want[f.State.ClientID] = true
			}
			for id := range want {
				if _, found := clients[id]; !found {
					t.Errorf("on %s: client %s of a due service is not among the clients with services due", d, id)
				}
			}
			for id, c := range clients {
				if !want[id] {
					t.Errorf("on %s: %s listed with services due, none is", d, c.Name)
				}
			}
			return names
		}
		if got := dueOn(date(2025, 2, 28)); len(got) != 0 {
			t.Errorf("due before any item: %v", got)
		}
		if got := dueOn(date(2025, 5, 10)); !slices.Equal(got, []string{"Bookkeeping", "Payroll"}) {
			t.Errorf("due on 2025-05-10: %v; want Bookkeeping and Payroll (Advice is manual)", got)
		}
		// Bill Bookkeeping's items through May: it is due again on 1 June.
		for seq := 1; seq <= 3; seq++ {
			e.MustAppend("service-"+bookkeeping.String(), "run", service.ScheduleItemBilled{ServiceID: bookkeeping, ItemKey: service.ItemKey(bookkeeping, seq),
				InvoiceID: inv1, Date: date(2025, 3, 1).AddMonthsClamped(seq-1, 1), Mode: service.Automatic})
		}
		if got := dueOn(date(2025, 5, 31)); !slices.Equal(got, []string{"Payroll"}) {
			t.Errorf("due on 2025-05-31 after billing Bookkeeping through May: %v; want Payroll", got)
		}
		f := ok(m.ServicesByID(ctx, []uuid.UUID{bookkeeping}))[bookkeeping]
		if f.Revision != 3 {
			t.Errorf("Bookkeeping's revision = %d, want 3", f.Revision)
		}
		if got := dueOn(date(2025, 6, 1)); !slices.Equal(got, []string{"Bookkeeping", "Payroll"}) {
			t.Errorf("due on 2025-06-01: %v", got)
		}
	})
}

// TestUnissuedHoldsInvoicesBegunAndNotIssued checks the "unissued" table:
// an invoice has a row while it has marked items or a reserved number, and
// loses it when issued, or when its items are released and its number
// voided.
func TestUnissuedHoldsInvoicesBegunAndNotIssued(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		e := newEnv(t)
		e.MustAppend("service-"+bookkeeping.String(), "staff", activated(bookkeeping, acme, "Bookkeeping", "100", monthly(date(2025, 3, 1)), date(2025, 3, 1), service.Automatic))
		bill := func(seq int, inv uuid.UUID) {
			e.MustAppend("service-"+bookkeeping.String(), "run", service.ScheduleItemBilled{ServiceID: bookkeeping, ItemKey: service.ItemKey(bookkeeping, seq),
				InvoiceID: inv, Date: date(2025, 3, 1).AddMonthsClamped(seq-1, 1), Mode: service.Automatic, PaymentMethodID: visa})
		}
		at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
		bill(1, inv1)
		bill(2, inv2)
		e.MustAppend(numbering.StreamName(), "run", numbering.InvoiceNumbersReserved{Prefix: "INV-", First: 1, InvoiceIDs: []uuid.UUID{inv1, inv2}, At: at})
		m, r := runnerOn(t, e, db)
		ctx := context.Background()
		rows := func() map[uuid.UUID]UnissuedInvoice {
			t.Helper()
			if err := r.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			out := map[uuid.UUID]UnissuedInvoice{}
			for _, u := range ok(m.UnissuedInvoices(ctx)) {
				out[u.InvoiceID] = u
			}
			return out
		}
		got := rows()
		if len(got) != 2 || got[inv1].Reserved == nil || got[inv1].Reserved.Number != "INV-000001" || got[inv1].Items[service.ItemKey(bookkeeping, 1)] != visa {
			t.Fatalf("rows after marking and reserving = %+v", got)
		}
		e.MustAppend("invoice-"+inv1.String(), "run", issued(t, inv1, acme, "INV-000001", date(2025, 5, 1), date(2025, 5, 15)))
		e.MustAppend("invoice-"+inv2.String(), "run", invoice.InvoiceAbandoned{InvoiceID: inv2, Number: "INV-000002", Reason: "the request died", At: at})
		got = rows()
		if _, ok := got[inv1]; ok || got[inv2].Abandoned == nil {
			t.Fatalf("rows after issuing inv1 and abandoning inv2 = %+v", got)
		}
		if st := ok(m.InvoicesByID(ctx, []uuid.UUID{inv1, inv2})); !st[inv1].Issued() || st[inv2].AbandonedReason != "the request died" {
			t.Errorf("InvoicesByID = %+v", st)
		}
		e.MustAppend("service-"+bookkeeping.String(), "run", service.ScheduleItemReleased{ServiceID: bookkeeping, ItemKey: service.ItemKey(bookkeeping, 2), InvoiceID: inv2})
		if got = rows(); got[inv2].Reserved == nil || len(got[inv2].Items) != 0 {
			t.Fatalf("inv2 after its item was released = %+v; want its number still to void", got[inv2])
		}
		e.MustAppend(numbering.StreamName(), "run", numbering.InvoiceNumberVoided{Number: "INV-000002", Sequence: 2, InvoiceID: inv2, Reason: "the request died", At: at})
		if got = rows(); len(got) != 0 {
			t.Fatalf("rows once everything is issued or voided = %+v", got)
		}

		// An item marked billed on inv1 after its issue (a retried request
		// that found it issued) leaves no row, in a batch of its own or in
		// the one that issued it.
		bill(3, inv1)
		if got = rows(); len(got) != 0 {
			t.Fatalf("rows after an item was marked on issued inv1 = %+v", got)
		}
		e.MustAppend("invoice-"+inv3.String(), "run", issued(t, inv3, acme, "INV-000003", date(2025, 5, 1), date(2025, 5, 15)))
		bill(4, inv3)
		if got = rows(); len(got) != 0 {
			t.Fatalf("rows after an item was marked on inv3 right after its issue = %+v", got)
		}
	})
}

// TestCollectionColumnsFindWhatCollectionActsOn checks the invoices a
// collection run asks for: collections due by a date, rejected invoices
// (with their rejections since collection was scheduled), and invoices a
// billing run issued without a collection.
func TestCollectionColumnsFindWhatCollectionActsOn(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		e := newEnv(t)
		l := line(t, "Bookkeeping", "100", bookkeeping, "")
		appendAs := func(inv uuid.UUID, commandID, corr string, evs ...domain.Event) {
			t.Helper()
			data := make([]eventstore.EventData, len(evs))
			for i, ev := range evs {
				e.n++
				data[i] = eventstore.EventData{ID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(commandID+ev.EventType())), Type: ev.EventType(), Data: mustJSON(t, ev),
					Metadata: eventstore.Metadata{Actor: "run", CommandID: commandID, CorrelationID: corr}}
			}
			if _, err := e.store.Append(context.Background(), "invoice-"+inv.String(), eventstore.Any, data...); err != nil {
				t.Fatal(err)
			}
		}
		appendAs(inv1, "billing-run/issue/2025-05-01/x", "billing-run/2025-05-01", issued(t, inv1, acme, "INV-1", date(2025, 5, 1), date(2025, 5, 15), l))
		appendAs(inv2, "staff/2", "", issued(t, inv2, acme, "INV-2", date(2025, 5, 1), date(2025, 5, 15), l))
		appendAs(inv3, "billing-run/issue/2025-05-01/y", "billing-run/2025-05-01", issued(t, inv3, beta, "INV-3", date(2025, 5, 1), date(2025, 5, 15), l),
			invoice.InvoiceCollectionScheduled{InvoiceID: inv3, Date: date(2025, 5, 3), PaymentMethodID: visa})
		attempt := uuid.NewSHA1(uuid.NameSpaceOID, []byte("attempt"))
		appendAs(inv4, "billing-run/issue/2025-05-01/z", "billing-run/2025-05-01", issued(t, inv4, beta, "INV-4", date(2025, 5, 1), date(2025, 5, 15), l),
			invoice.InvoiceCollectionScheduled{InvoiceID: inv4, Date: date(2025, 5, 2), PaymentMethodID: visa})
		appendAs(inv4, "collect/"+attempt.String(), "collect/2025-05-02", invoice.InvoicePaymentRejected{InvoiceID: inv4, AttemptID: attempt, PaymentMethodID: visa, DeclineCode: "card_declined"})
		m, r := runnerOn(t, e, db)
		ctx := context.Background()
		if err := r.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		ids := func(sts []invoice.State) []uuid.UUID {
			out := make([]uuid.UUID, len(sts))
			for i, st := range sts {
				out[i] = st.ID
			}
			return out
		}
		if got := ids(ok(m.CollectionsDue(ctx, date(2025, 5, 2)))); len(got) != 0 {
			t.Errorf("collections due on 2025-05-02: %v; want none (INV-3 is on the 3rd, INV-4 was rejected)", got)
		}
		if got := ids(ok(m.CollectionsDue(ctx, date(2025, 5, 3)))); !slices.Equal(got, []uuid.UUID{inv3}) {
			t.Errorf("collections due on 2025-05-03: %v; want INV-3", got)
		}
		var toCollect []invoice.State
		if err := allPages(ctx, m.RunInvoicesToCollectPage, func(p []invoice.State) { toCollect = append(toCollect, p...) }); err != nil {
			t.Fatal(err)
		}
		if got := ids(toCollect); !slices.Equal(got, []uuid.UUID{inv1}) {
			t.Errorf("run invoices to collect: %v; want INV-1 (INV-2 is staff's, INV-3 and INV-4 are scheduled)", got)
		}
		var rej []RejectedInvoice
		if err := allPages(ctx, m.RejectedInvoicesPage, func(p []RejectedInvoice) { rej = append(rej, p...) }); err != nil {
			t.Fatal(err)
		}
		if len(rej) != 1 || rej[0].State.ID != inv4 || len(rej[0].Rejections) != 1 || rej[0].Rejections[0].CorrelationID != "collect/2025-05-02" {
			t.Fatalf("rejected invoices = %+v; want INV-4 with its rejection", rej)
		}
	})
}

func mustJSON(t testing.TB, ev domain.Event) []byte {
	t.Helper()
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// runnerOn returns models in db and a runner over e's store, closed when
// the test ends.
func runnerOn(t *testing.T, e *env, db *rmdb.DB) (*Models, *Runner) {
	t.Helper()
	m := NewModels(db)
	r, err := NewRunner(context.Background(), e.store, m, RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return m, r
}

// TestCollectionPages reads the invoices a billing run issued without a
// collection, and the rejected invoices, three at a time on each backend:
// every one of them once, in key order, the pages after the first
// included.
func TestCollectionPages(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		e := newEnv(t)
		l := line(t, "Bookkeeping", "100", bookkeeping, "")
		appendAs := func(inv uuid.UUID, commandID string, evs ...domain.Event) {
			t.Helper()
			data := make([]eventstore.EventData, len(evs))
			for i, ev := range evs {
				data[i] = eventstore.EventData{ID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(commandID+ev.EventType())), Type: ev.EventType(), Data: mustJSON(t, ev),
					Metadata: eventstore.Metadata{Actor: "run", CommandID: commandID}}
			}
			if _, err := e.store.Append(context.Background(), "invoice-"+inv.String(), eventstore.Any, data...); err != nil {
				t.Fatal(err)
			}
		}
		var uncollected, rejected []string
		for i := range 7 {
			a, b := uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprintf("run-%d", i))), uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprintf("rej-%d", i)))
			uncollected, rejected = append(uncollected, a.String()), append(rejected, b.String())
			appendAs(a, "billing-run/issue/2025-05-01/"+a.String(), issued(t, a, acme, fmt.Sprintf("INV-A%d", i), date(2025, 5, 1), date(2025, 5, 15), l))
			attempt := uuid.NewSHA1(uuid.NameSpaceOID, []byte(b.String()+"/attempt"))
			appendAs(b, "staff/"+b.String(), issued(t, b, beta, fmt.Sprintf("INV-B%d", i), date(2025, 5, 1), date(2025, 5, 15), l),
				invoice.InvoiceCollectionScheduled{InvoiceID: b, Date: date(2025, 5, 2), PaymentMethodID: visa},
				invoice.InvoicePaymentRejected{InvoiceID: b, AttemptID: attempt, PaymentMethodID: visa, DeclineCode: "card_declined"})
		}
		slices.Sort(uncollected)
		slices.Sort(rejected)
		m, r := runnerOn(t, e, db)
		ctx := context.Background()
		if err := r.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		var got []string
		after := ""
		for range 10 {
			page, next, err := m.RunInvoicesToCollectPage(ctx, after, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range page {
				got = append(got, st.ID.String())
			}
			if len(page) < 3 {
				break
			}
			after = next
		}
		if !slices.Equal(got, uncollected) {
			t.Errorf("pages of run invoices to collect gave\n%v\nwant\n%v", got, uncollected)
		}
		got, after = nil, ""
		for range 10 {
			page, next, err := m.RejectedInvoicesPage(ctx, after, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, ri := range page {
				if len(ri.Rejections) != 1 {
					t.Errorf("rejected invoice %s with %d rejections, want 1", ri.State.ID, len(ri.Rejections))
				}
				got = append(got, ri.State.ID.String())
			}
			if len(page) < 3 {
				break
			}
			after = next
		}
		if !slices.Equal(got, rejected) {
			t.Errorf("pages of rejected invoices gave\n%v\nwant\n%v", got, rejected)
		}
	})
}
