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
	"remit/domain/decidertest"
	"remit/domain/service"
	"remit/projections/rmdb"
)

func servicesDate(y int, m time.Month, d int) domain.Date { return domain.MustDate(y, m, d) }

var servicesDec = decidertest.Dec

// Fixture ids and day, as the old model tests had them.
var (
	servicesAUD                       = domain.MustCurrency("AUD")
	servicesAcme, servicesBeta        = id("client/acme"), id("client/beta")
	servicesVisa                      = id("pm/visa")
	servicesProp1                     = id("proposal/1")
	servicesBookkeeping               = id("service/bookkeeping")
	servicesPayroll, servicesTax      = id("service/payroll"), id("service/tax-return")
	servicesAdvice, servicesOld       = id("service/advice"), id("service/old")
	servicesInv1, servicesInv2        = id("invoice/1"), id("invoice/2")
	servicesToday                     = servicesDate(2025, 6, 15)
	servicesNone                      = id("service/none")
	servicesCakes, servicesBetaSvcZed = id("service/cakes"), id("service/zed")
)

// servicesLog numbers events as the store does: a global position, and a
// revision per stream from 0.
type servicesLog struct {
	pos uint64
	rev map[string]uint64
}

func (l *servicesLog) events(stream string, data ...domain.Event) []Event {
	if l.rev == nil {
		l.rev = map[string]uint64{}
	}
	out := make([]Event, len(data))
	for i, d := range data {
		l.pos++
		rev, seen := l.rev[stream]
		if seen {
			rev++
		}
		l.rev[stream] = rev
		out[i] = Event{ID: uuid.New(), Position: l.pos, Stream: stream, Revision: rev, Type: d.EventType(), Data: d}
	}
	return out
}

// servicesWriter creates generation 1 of the services tables, serves it,
// and returns its writer.
func servicesWriter(t testing.TB, db *rmdb.DB) *Services {
	t.Helper()
	p := newServices(db, 1)
	err := db.WriteTx(context.Background(), func(tx *rmdb.Tx) error {
		tx.CreateTables(1, p.Tables())
		tx.ServeViews(1, p.Tables())
		return tx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// servicesApply applies one batch of events with p, as the runner does.
func servicesApply(t testing.TB, db *rmdb.DB, p *Services, events ...Event) {
	t.Helper()
	tx, err := db.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		p.Apply(tx, e)
	}
	p.Flush(tx)
	if err := tx.Commit(); err != nil {
		p.Discard()
		t.Fatalf("apply: %v", err)
	}
}

func servicesMonthly(from domain.Date) domain.BillingRule {
	return domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnDate, StartDate: from, End: domain.EndNever}
}

func servicesActivated(svc, cl uuid.UUID, name, price string, rule domain.BillingRule, first domain.Date, mode service.BillingMode) service.ServiceActivated {
	return service.ServiceActivated{ServiceID: svc, ClientID: cl, Source: service.Source{InstantBill: true}, Name: name,
		UnitPrice: servicesDec(price), Quantity: servicesDec("1"), TaxRate: servicesDec("10"), Currency: servicesAUD, BillingRule: rule, FirstDate: first, Mode: mode}
}

func servicesBilled(svc uuid.UUID, seq int, inv uuid.UUID, d domain.Date, price string) service.ScheduleItemBilled {
	return service.ScheduleItemBilled{ServiceID: svc, ItemKey: service.ItemKey(svc, seq), InvoiceID: inv, Date: d,
		Description: "Bookkeeping", Quantity: servicesDec("1"), UnitPrice: servicesDec(price), TaxRate: servicesDec("10"), Mode: service.Automatic, PaymentMethodID: servicesVisa}
}

// servicesFixture applies the services of the old model tests' fixture, in
// the order and batches the log had them: Acme's five services, an edit,
// and two billings of bookkeeping.
func servicesFixture(t testing.TB, db *rmdb.DB, p *Services, l *servicesLog) {
	t.Helper()
	var batch []Event
	bk := servicesActivated(servicesBookkeeping, servicesAcme, "Bookkeeping", "100", servicesMonthly(servicesDate(2025, 5, 1)), servicesDate(2025, 5, 1), service.Automatic)
	bk.Source = service.Source{ProposalID: servicesProp1, ProposalLineID: id("pline/1")}
	batch = append(batch, l.events(service.StreamName(servicesBookkeeping), bk)...)
	// Payroll bills on the same days from the same card: one billing group.
	batch = append(batch, l.events(service.StreamName(servicesPayroll), servicesActivated(servicesPayroll, servicesAcme, "Payroll", "50",
		servicesMonthly(servicesDate(2025, 7, 1)), servicesDate(2025, 7, 1), service.Automatic))...)
	batch = append(batch, l.events(service.StreamName(servicesTax), servicesActivated(servicesTax, servicesAcme, "Tax return", "500",
		domain.BillingRule{Frequency: domain.FrequencyOnCompletion}, domain.Date{}, service.Manual))...)
	servicesApply(t, db, p, batch...)
	// Advice is manual and monthly: its May item is overdue by mid-June.
	batch = l.events(service.StreamName(servicesAdvice), servicesActivated(servicesAdvice, servicesAcme, "Advice", "80",
		servicesMonthly(servicesDate(2025, 5, 10)), servicesDate(2025, 5, 10), service.Manual))
	batch = append(batch, l.events(service.StreamName(servicesOld),
		servicesActivated(servicesOld, servicesAcme, "Old filing", "30", servicesMonthly(servicesDate(2025, 2, 1)), servicesDate(2025, 2, 1), service.Automatic),
		service.ServiceEnded{ServiceID: servicesOld, EndDate: servicesDate(2025, 3, 31), Reason: "no longer needed"},
		service.ScheduleItemSkipped{ServiceID: servicesOld, ItemKey: service.ItemKey(servicesOld, 1)},
		service.ScheduleItemSkipped{ServiceID: servicesOld, ItemKey: service.ItemKey(servicesOld, 2)},
		service.ScheduleItemSkipped{ServiceID: servicesOld, ItemKey: service.ItemKey(servicesOld, 3)},
	)...)
	newPrice := servicesDec("120")
	batch = append(batch, l.events(service.StreamName(servicesBookkeeping),
		service.ServiceEdited{ServiceID: servicesBookkeeping, EffectiveFrom: servicesDate(2025, 8, 1), Changes: service.Changes{UnitPrice: &newPrice}, NotifyClientOfPriceChange: true})...)
	servicesApply(t, db, p, batch...)
	servicesApply(t, db, p, l.events(service.StreamName(servicesBookkeeping), servicesBilled(servicesBookkeeping, 1, servicesInv1, servicesDate(2025, 5, 1), "100"))...)
	servicesApply(t, db, p, l.events(service.StreamName(servicesBookkeeping), servicesBilled(servicesBookkeeping, 2, servicesInv2, servicesDate(2025, 6, 1), "100"))...)
}

func servicesNames(views []ServiceView) []string {
	var out []string
	for _, v := range views {
		out = append(out, v.Name)
	}
	return out
}

// TestServicesViews is the old TestClientServices, on the projection.
func TestServicesViews(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		servicesFixture(t, db, servicesWriter(t, db), &servicesLog{})
		q := newServices(db, 0)
		views, err := q.ofClient(ctx, servicesAcme, servicesToday)
		if err != nil {
			t.Fatal(err)
		}
		// In activation order.
		if want := []string{"Bookkeeping", "Payroll", "Tax return", "Advice", "Old filing"}; !slices.Equal(servicesNames(views), want) {
			t.Errorf("services = %v, want %v", servicesNames(views), want)
		}
		// Active and ended as the Services tab splits them.
		var active, ended []string
		for _, v := range views {
			if v.Ended && (v.EndDate.IsZero() || v.EndDate.Before(servicesToday)) {
				ended = append(ended, v.Name)
			} else {
				active = append(active, v.Name)
			}
		}
		slices.Sort(active)
		if want := []string{"Advice", "Bookkeeping", "Payroll", "Tax return"}; !slices.Equal(active, want) {
			t.Errorf("active = %v, want %v", active, want)
		}
		if want := []string{"Old filing"}; !slices.Equal(ended, want) {
			t.Errorf("ended = %v, want %v", ended, want)
		}
		bk, err := q.view(ctx, servicesBookkeeping, servicesToday)
		if err != nil {
			t.Fatal(err)
		}
		// The last edit sets the current price, though it is effective in August.
		if bk.UnitPrice.String() != "AUD 120.00" || bk.Mode != service.Automatic || bk.Source.ProposalID != servicesProp1 {
			t.Errorf("bookkeeping = price %s mode %s source %+v", bk.UnitPrice, bk.Mode, bk.Source)
		}
		if bk.NextBilling == nil || bk.NextBilling.Date != servicesDate(2025, 7, 1) || !bk.NextBilling.UnitPrice.Amount.Equal(servicesDec("100")) {
			t.Errorf("next billing = %+v, want 2025-07-01 at 100 (the new price starts in August)", bk.NextBilling)
		}
		if bk.Revision != 3 || bk.ClientID != servicesAcme || bk.ID != servicesBookkeeping {
			t.Errorf("bookkeeping = revision %d client %s id %s, want revision 3 of acme's bookkeeping", bk.Revision, bk.ClientID, bk.ID)
		}
		if views[0].ID != bk.ID || views[0].Revision != bk.Revision || views[0].UnitPrice.String() != bk.UnitPrice.String() {
			t.Errorf("ofClient and view disagree on bookkeeping: %+v, %+v", views[0], bk)
		}
		old, err := q.view(ctx, servicesOld, servicesToday)
		if err != nil {
			t.Fatal(err)
		}
		if !old.Ended || old.EndDate != servicesDate(2025, 3, 31) || old.EndReason != "no longer needed" || old.NextBilling != nil {
			t.Errorf("old filing = ended %v on %s (%q), next %+v", old.Ended, old.EndDate, old.EndReason, old.NextBilling)
		}
		tax, err := q.view(ctx, servicesTax, servicesToday)
		if err != nil {
			t.Fatal(err)
		}
		if tax.NextBilling == nil || !tax.NextBilling.Date.IsZero() || tax.NextBilling.Mode != service.Manual {
			t.Errorf("tax return next billing = %+v, want the undated manual item", tax.NextBilling)
		}
		if _, err := q.view(ctx, servicesNone, servicesToday); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("unknown service: %v", err)
		}
		if st, ok, err := q.state(ctx, servicesNone); err != nil || ok || st.Activated() {
			t.Errorf("unknown service state = %v, %v, %v", st.ID, ok, err)
		}
		if vs, err := q.ofClient(ctx, servicesBeta, servicesToday); err != nil || len(vs) != 0 {
			t.Errorf("a client without services: %v, %v", vs, err)
		}
		if sts, err := q.states(ctx, servicesBeta); err != nil || len(sts) != 0 {
			t.Errorf("a client without services: %d states, %v", len(sts), err)
		}
	})
}

// TestServicesSchedule is the old TestSchedule's items and its per-service
// schedule, from the folded states the projection returns.
func TestServicesSchedule(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		servicesFixture(t, db, servicesWriter(t, db), &servicesLog{})
		q := newServices(db, 0)
		sq := ScheduleQuery{Today: servicesToday, Through: servicesDate(2025, 8, 31)}
		parts, err := q.parts(ctx, servicesAcme, sq.through())
		if err != nil {
			t.Fatal(err)
		}
		var items []ScheduleItem
		for _, part := range parts {
			items = append(items, scheduleItems(part, sq, servicesVisa)...)
		}
		sortSchedule(items) // as the Billing Schedule tab sorts them
		type row struct {
			date    string
			name    string
			mode    service.BillingMode
			overdue bool
			price   string
		}
		var got []row
		for _, it := range items {
			got = append(got, row{it.Date.String(), it.ServiceName, it.Mode, it.Overdue, it.UnitPrice.Amount.StringFixed(2)})
		}
		want := []row{
			{"2025-05-10", "Advice", service.Manual, true, "80.00"},
			{"2025-06-10", "Advice", service.Manual, true, "80.00"},
			{"2025-07-01", "Bookkeeping", service.Automatic, false, "100.00"},
			{"2025-07-01", "Payroll", service.Automatic, false, "50.00"},
			{"2025-07-10", "Advice", service.Manual, false, "80.00"},
			{"2025-08-01", "Bookkeeping", service.Automatic, false, "120.00"},
			{"2025-08-01", "Payroll", service.Automatic, false, "50.00"},
			{"2025-08-10", "Advice", service.Manual, false, "80.00"},
			{domain.Date{}.String(), "Tax return", service.Manual, false, "500.00"},
		}
		if !slices.Equal(got, want) {
			t.Errorf("items:\n got %v\nwant %v", got, want)
		}
		// Bookkeeping and Payroll on the same day from the same card: one invoice.
		if items[2].GroupKey == "" || items[2].GroupKey != items[3].GroupKey || items[2].GroupKey != service.GroupKey(servicesAcme, servicesDate(2025, 7, 1), servicesVisa) {
			t.Errorf("group keys of the 1 July items = %q, %q", items[2].GroupKey, items[3].GroupKey)
		}
		// One service's schedule.
		st, ok, err := q.state(ctx, servicesAdvice)
		if err != nil || !ok {
			t.Fatalf("advice: %v, %v", ok, err)
		}
		june := ScheduleQuery{Today: servicesToday, Through: servicesDate(2025, 6, 30)}
		if got := scheduleItems(partOf(st, june.through()), june, servicesVisa); len(got) != 2 {
			t.Errorf("advice schedule = %d items", len(got))
		}
		// The billed items of bookkeeping are left out.
		st, _, err = q.state(ctx, servicesBookkeeping)
		if err != nil {
			t.Fatal(err)
		}
		if got := scheduleItems(partOf(st, june.through()), june, servicesVisa); len(got) != 0 {
			t.Errorf("bookkeeping through June = %d items, want none (both billed)", len(got))
		}
	})
}

// TestServicesActivationOrder: a client's services come in the order they
// were activated (not by name or id), whichever writer applied them, and a
// service's later events do not move it.
func TestServicesActivationOrder(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		var l servicesLog
		rule := servicesMonthly(servicesDate(2025, 1, 1))
		// Ids chosen to sort unlike the activation order.
		ids := []uuid.UUID{
			uuid.MustParse("ffffffff-0000-4000-8000-000000000001"),
			uuid.MustParse("00000000-0000-4000-8000-000000000002"),
			uuid.MustParse("88888888-0000-4000-8000-000000000003"),
			uuid.MustParse("11111111-0000-4000-8000-000000000004"),
		}
		names := []string{"Zulu", "Alpha", "Mike", "Bravo"}
		p := servicesWriter(t, db)
		servicesApply(t, db, p,
			append(l.events(service.StreamName(ids[0]), servicesActivated(ids[0], servicesAcme, names[0], "10", rule, servicesDate(2025, 1, 1), service.Automatic)),
				l.events(service.StreamName(servicesCakes), servicesActivated(servicesCakes, servicesBeta, "Cakes", "10", rule, servicesDate(2025, 1, 1), service.Automatic))...)...)
		servicesApply(t, db, p, l.events(service.StreamName(ids[1]), servicesActivated(ids[1], servicesAcme, names[1], "10", rule, servicesDate(2025, 1, 1), service.Automatic))...)
		// A new writer (a restarted process) knows nothing in memory.
		p = newServices(db, 1)
		servicesApply(t, db, p,
			append(l.events(service.StreamName(ids[0]), service.ServiceSwitchedToManual{ServiceID: ids[0]}),
				l.events(service.StreamName(ids[2]), servicesActivated(ids[2], servicesAcme, names[2], "10", rule, servicesDate(2025, 1, 1), service.Automatic))...)...)
		servicesApply(t, db, p, l.events(service.StreamName(ids[3]), servicesActivated(ids[3], servicesAcme, names[3], "10", rule, servicesDate(2025, 1, 1), service.Automatic))...)
		q := newServices(db, 0)
		states, err := q.states(ctx, servicesAcme)
		if err != nil {
			t.Fatal(err)
		}
		var got []uuid.UUID
		for _, st := range states {
			got = append(got, st.ID)
		}
		if !slices.Equal(got, ids) {
			t.Errorf("states = %v, want %v", got, ids)
		}
		views, err := q.ofClient(ctx, servicesAcme, servicesToday)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(servicesNames(views), names) {
			t.Errorf("views = %v, want %v", servicesNames(views), names)
		}
		if views[0].Mode != service.Manual || views[0].Revision != 1 {
			t.Errorf("Zulu after a new writer's switch = mode %s revision %d, want manual at 1", views[0].Mode, views[0].Revision)
		}
		beta, err := q.states(ctx, servicesBeta)
		if err != nil || len(beta) != 1 || beta[0].ID != servicesCakes {
			t.Errorf("beta's services = %v, %v", beta, err)
		}
	})
}

// TestServicesRefold: a service's state is the same whether the writer
// evolved it from its cache, decoded it from the table, or threw away a
// rolled-back batch; and its document encodes to the same JSON once read
// back.
func TestServicesRefold(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		var l servicesLog
		svc := servicesBetaSvcZed
		stream := service.StreamName(svc)
		p := servicesWriter(t, db)
		var all []domain.Event
		apply := func(p *Services, evs ...domain.Event) {
			t.Helper()
			servicesApply(t, db, p, l.events(stream, evs...)...)
			all = append(all, evs...)
		}
		apply(p, servicesActivated(svc, servicesBeta, "Zed", "100", servicesMonthly(servicesDate(2025, 1, 1)), servicesDate(2025, 1, 1), service.Automatic))
		for n := 1; n <= 3; n++ {
			apply(p, servicesBilled(svc, n, id("inv/zed"), servicesDate(2025, time.Month(n), 1), "100"))
		}
		// A batch that rolls back leaves nothing behind, in the table or
		// in the writer's cache.
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range l.events(stream, service.ServiceEnded{ServiceID: svc, EndDate: servicesDate(2025, 3, 31), Reason: "rolled back"}) {
			p.Apply(tx, e)
		}
		p.Flush(tx)
		tx.Rollback()
		p.Discard()
		l.rev[stream]--
		l.pos--
		// The item of 1 February is released (its invoice voided): it is
		// to be billed again.
		apply(p, service.ScheduleItemReleased{ServiceID: svc, ItemKey: service.ItemKey(svc, 2), InvoiceID: id("inv/zed"), Reason: "voided"})
		// A new writer (a restarted process) evolves the state it decodes.
		p = newServices(db, 1)
		apply(p, service.ScheduleItemSkipped{ServiceID: svc, ItemKey: service.ItemKey(svc, 4)})
		apply(p, service.ScheduleItemIssueScheduled{ServiceID: svc, ItemKey: service.ItemKey(svc, 5), IssueOn: servicesDate(2025, 5, 3)})

		q := newServices(db, 0)
		st, ok, err := q.state(ctx, svc)
		if err != nil || !ok {
			t.Fatalf("state: %v, %v", ok, err)
		}
		if st.Ended {
			t.Error("the rolled-back end was applied")
		}
		want := service.Fold(all)
		through := servicesDate(2025, 12, 31)
		gotItems, wantItems := st.Schedule(through), want.Schedule(through)
		gj, _ := json.Marshal(gotItems)
		wj, _ := json.Marshal(wantItems)
		if string(gj) != string(wj) {
			t.Errorf("schedule:\n got %s\nwant %s", gj, wj)
		}
		v, err := q.view(ctx, svc, servicesDate(2025, 1, 15))
		if err != nil {
			t.Fatal(err)
		}
		if v.NextBilling == nil || v.NextBilling.Date != servicesDate(2025, 2, 1) || v.Revision != 6 {
			t.Errorf("next billing = %+v revision %d, want the released 1 February item at revision 6", v.NextBilling, v.Revision)
		}
		// The document read back encodes as it was written.
		var doc string
		if err := db.QueryRow(ctx, "SELECT doc FROM "+rmdb.View("services")+" WHERE key = ?", svc.String()).Scan(&doc); err != nil {
			t.Fatal(err)
		}
		d, _, err := q.load(ctx, svc) // the head and its item rows
		if err != nil {
			t.Fatal(err)
		}
		again, err := json.Marshal(&d)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != doc {
			t.Errorf("document changes when encoded again:\n%s\n%s", doc, again)
		}
		// It stores the state folded from all the events (its own JSON
		// form), not the events.
		if g, w := decidertest.MustJSON(t, d.State), decidertest.MustJSON(t, want); g != w {
			t.Errorf("stored state:\n%s\nwant the fold of the events:\n%s", g, w)
		}
		if d.Revision != 6 || d.Seq == 0 {
			t.Errorf("document revision %d seq %d, want revision 6 and the activation's position", d.Revision, d.Seq)
		}
	})
}

// TestServiceRowsStayPut: the services document of a monthly service holds
// its head, which does not grow as its items are billed, and an event
// about one item writes that item's row alone: the rows of the items billed
// before it are not written again. (Before the row form, the document held
// every item ever billed and was encoded whole on every event.)
func TestServiceRowsStayPut(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		var l servicesLog
		svc := servicesBetaSvcZed
		stream := service.StreamName(svc)
		p := servicesWriter(t, db)
		servicesApply(t, db, p, l.events(stream, servicesActivated(svc, servicesBeta, "Zed", "100", servicesMonthly(servicesDate(2023, 1, 1)), servicesDate(2023, 1, 1), service.Automatic))...)
		docLen := func() int {
			t.Helper()
			var doc string
			if err := db.QueryRow(ctx, "SELECT doc FROM "+rmdb.View("services")+" WHERE key = ?", svc.String()).Scan(&doc); err != nil {
				t.Fatal(err)
			}
			return len(doc)
		}
		var sizes []int
		for n := 1; n <= 24; n++ {
			servicesApply(t, db, p, l.events(stream, servicesBilled(svc, n, id(fmt.Sprintf("inv/zed/%d", n)), servicesDate(2023+(n-1)/12, time.Month((n-1)%12+1), 1), "100"))...)
			if n == 2 || n == 24 {
				sizes = append(sizes, docLen())
			}
		}
		if sizes[1] > sizes[0]+16 {
			t.Errorf("the document grew from %d bytes after 2 items billed to %d after 24", sizes[0], sizes[1])
		}
		// The row of item 1, as written when it was billed, is not written
		// again by the events about the items after it: an UPDATE of it
		// would be the only way to change this marker.
		marked := `{"billed":{"date":"2023-01-01","invoice_id":"` + id("inv/zed/1").String() + `","marker":1}}`
		err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
			if n := tx.ExecCount("UPDATE "+rmdb.Stored("service_items", 1)+" SET doc = ? WHERE service = ? AND item = 1", marked, svc.String()); n != 1 {
				t.Errorf("marked %d rows", n)
			}
			return tx.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		servicesApply(t, db, p, l.events(stream, servicesBilled(svc, 25, id("inv/zed/25"), servicesDate(2025, 1, 1), "100"))...)
		var doc string
		if err := db.QueryRow(ctx, "SELECT doc FROM "+rmdb.View("service_items")+" WHERE service = ? AND item = 1", svc.String()).Scan(&doc); err != nil {
			t.Fatal(err)
		}
		if doc != marked {
			t.Errorf("item 1's row was written again by the event about item 25: %s", doc)
		}
	})
}
