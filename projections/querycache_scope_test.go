package projections

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/service"
	"remit/eventstore/postgres/pgtest"
	"remit/projections/rmdb"
)

// clientPage reads every cached part of a client's page.
func clientPage(m *Models, cl uuid.UUID, day domain.Date) []any {
	ctx := context.Background()
	return []any{
		ok(m.Summary(ctx, cl, day)),
		ok(m.ClientServices(ctx, cl, day)),
		ok(m.Schedule(ctx, cl, ScheduleQuery{Today: day})),
		ok(m.ListInvoices(ctx, InvoiceQuery{ClientID: cl, Today: day})),
		ok(m.ActivityPage(ctx, SubjectClient, cl, ActivityQuery{Newest: true})),
	}
}

// clientPageParts is how many cached queries clientPage asks.
const clientPageParts = 5

// appendAndWait appends events to a stream and waits until the live
// models applied them, as the API does before it answers a command.
func appendAndWait(t *testing.T, e *env, r *Runner, stream string, events ...domain.Event) {
	t.Helper()
	if err := r.WaitFor(waitCtx(t), e.MustAppend(stream, "user:alice", events...)); err != nil {
		t.Fatal(err)
	}
}

// Writes to one client (its details, a service, an invoice) keep every
// other client's cached page: asked again, each part is a hit, and the
// same as the tables say. The firm-wide list is read again (it shows the
// written client).
func TestQueryCacheKeepsOtherClientsAnswers(t *testing.T) {
	e, m, r := fixtureModels(t, RunnerOptions{})
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := clientPage(m, acme, today)
	ok(m.ListClients(context.Background(), ClientQuery{Today: today}))

	newSvc, newInv := id("service/beta-audit"), id("invoice/beta-cache")
	appendAndWait(t, e, r, client.StreamName(beta), client.ClientDetailsChanged{ClientID: beta, Name: "Beta Bakehouse", Kind: client.KindBusiness, Currency: aud})
	appendAndWait(t, e, r, service.StreamName(newSvc), activated(newSvc, beta, "Audit", "90", monthly(date(2025, 7, 1)), date(2025, 7, 1), service.Automatic))
	appendAndWait(t, e, r, invoice.StreamName(newInv), issued(t, newInv, beta, "INV-0901", today, today.AddDays(14), line(t, "Audit", "90", newSvc, "beta-cache")))
	appendAndWait(t, e, r, invoice.StreamName(inv5), invoice.InvoicePaymentRecorded{InvoiceID: inv5, PaymentID: id("payment/5"), Method: invoice.PaidByBankTransfer, Amount: aus("100"), Date: today})

	before := m.QueryCacheStats()
	again := clientPage(m, acme, today)
	got := m.QueryCacheStats()
	if got.Hits != before.Hits+clientPageParts || got.Misses != before.Misses {
		t.Fatalf("Acme's page after writes to Beta: stats %+v then %+v, want %d hits and no miss", before, got, clientPageParts)
	}
	if !reflect.DeepEqual(first, again) {
		t.Fatalf("Acme's cached page changed:\n%+v\n%+v", first, again)
	}
	if fresh := clientPage(NewModels(m.DB()), acme, today); !reflect.DeepEqual(fresh, again) {
		t.Fatalf("Acme's cached page differs from the tables':\n%+v\n%+v", again, fresh)
	}
	list := ok(m.ListClients(context.Background(), ClientQuery{Today: today}))
	if s := m.QueryCacheStats(); s.Misses != got.Misses+1 {
		t.Fatalf("the clients list after writes was given from the cache: %+v then %+v", got, s)
	}
	if !slicesContainName(list.Items, "Beta Bakehouse") {
		t.Fatalf("the clients list does not show Beta's new name: %+v", list.Items)
	}
}

func slicesContainName(items []ClientListItem, name string) bool {
	for _, it := range items {
		if it.Name == name {
			return true
		}
	}
	return false
}

// A write to a client (to its service, its invoice, its own stream, or a
// proposal of it) drops that client's cached page: each part is read
// again, and equals what the tables say.
func TestQueryCacheDropsTheWrittenClientsAnswers(t *testing.T) {
	e, m, r := fixtureModels(t, RunnerOptions{})
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	writes := []struct {
		name   string
		stream string
		event  domain.Event
	}{
		{"service", service.StreamName(advice), service.ServiceSwitchedToAutomatic{ServiceID: advice}},
		{"invoice", invoice.StreamName(inv2), invoice.InvoicePaymentRecorded{InvoiceID: inv2, PaymentID: id("payment/2"), Method: invoice.PaidByBankTransfer, Amount: aus("10"), Date: today}},
		{"client", client.StreamName(acme), client.ClientContactRemoved{ClientID: acme, ContactID: bob}},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			cached := clientPage(m, acme, today)
			clientPage(m, acme, today)
			appendAndWait(t, e, r, w.stream, w.event)
			before := m.QueryCacheStats()
			after := clientPage(m, acme, today)
			if got := m.QueryCacheStats(); got.Misses != before.Misses+clientPageParts {
				t.Fatalf("Acme's page after a write to its %s: stats %+v then %+v, want %d misses", w.name, before, got, clientPageParts)
			}
			if fresh := clientPage(NewModels(m.DB()), acme, today); !reflect.DeepEqual(fresh, after) {
				t.Fatalf("Acme's page differs from the tables':\n%+v\n%+v", after, fresh)
			}
			if reflect.DeepEqual(cached, after) {
				t.Fatalf("Acme's page did not change with the write to its %s", w.name)
			}
		})
	}
}

// Read-your-writes while other requests keep filling the cache: after each
// command on Acme is applied (WaitFor), the next read of Acme's summary
// shows it, whatever was cached while it was being applied, and writes to
// Beta in between change nothing of that.
func TestQueryCacheReadsYourWritesUnderLoad(t *testing.T) {
	e, m, r := fixtureModels(t, RunnerOptions{})
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				clientPage(m, acme, today)
				clientPage(m, beta, today)
			}
		})
	}
	defer func() { stop(); wg.Wait() }()
	for i := range 30 {
		name := fmt.Sprintf("Acme %d", i)
		appendAndWait(t, e, r, client.StreamName(acme), client.ClientDetailsChanged{ClientID: acme, Name: name, Kind: client.KindBusiness, Currency: aud})
		if got := ok(m.Summary(ctx, acme, today)).Name; got != name {
			t.Fatalf("after renaming Acme to %q its summary reads %q", name, got)
		}
		if got := ok(m.ListInvoices(ctx, InvoiceQuery{ClientID: acme, Today: today})).Items[0].ClientName; got != name {
			t.Fatalf("after renaming Acme to %q its invoices read %q", name, got)
		}
		appendAndWait(t, e, r, client.StreamName(beta), client.ClientDetailsChanged{ClientID: beta, Name: fmt.Sprintf("Beta %d", i), Kind: client.KindBusiness, Currency: aud})
		if got := ok(m.Summary(ctx, acme, today)).Name; got != name {
			t.Fatalf("after renaming Beta Acme's summary reads %q, want %q", got, name)
		}
	}
	if s := m.QueryCacheStats(); s.Hits == 0 {
		t.Fatalf("no hit under load: %+v", s)
	}
}

// Read-your-writes from the first moment WaitFor answers: a request that
// asks as soon as the command's batch is committed (here, asking again and
// again without waiting) must not be answered from the cache of the tables
// as they were. WaitFor used to answer once the checkpoints moved, before
// the models' version did, and cached answers of the renamed client were
// still given then.
func TestQueryCacheReadsYourWritesAtTheFirstMoment(t *testing.T) {
	e, m, r := fixtureModels(t, RunnerOptions{})
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, _ = m.Summary(ctx, acme, today) // fills the cache
			}
		})
	}
	defer func() { stop(); wg.Wait() }()
	asked, cancel := context.WithCancel(context.Background())
	cancel() // WaitFor answers at once: nil once the position is reached
	for i := range 50 {
		name := fmt.Sprintf("Acme %d", i)
		pos := e.MustAppend(client.StreamName(acme), "user:alice", client.ClientDetailsChanged{ClientID: acme, Name: name, Kind: client.KindBusiness, Currency: aud})
		deadline := time.Now().Add(30 * time.Second)
		for r.WaitFor(asked, pos) != nil {
			time.Sleep(20 * time.Microsecond)
			if time.Now().After(deadline) {
				t.Fatalf("the models did not reach position %d: at %d, checkpoints at %d", pos, m.Position(), minCheckpoint(r.gens()))
			}
		}
		if got := ok(m.Summary(ctx, acme, today)).Name; got != name {
			t.Fatalf("as soon as WaitFor answered for renaming Acme to %q, its summary reads %q", name, got)
		}
	}
}

// Overdue is judged on the day asked: an answer read on one day is not
// given on the next, when an invoice fell due between.
func TestQueryCacheAnswersAreOfTheirDay(t *testing.T) {
	_, m, r := fixtureModels(t, RunnerOptions{})
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	due := date(2025, 7, 2) // Beta's invoice 5
	for range 2 {
		if s := ok(m.Summary(context.Background(), beta, due)); len(s.Overdue) != 0 || s.OverdueInvoices != 0 {
			t.Fatalf("on its due date Beta owes overdue %v (%d invoices)", s.Overdue, s.OverdueInvoices)
		}
	}
	next := due.AddDays(1)
	s := ok(m.Summary(context.Background(), beta, next))
	if s.OverdueInvoices != 1 || len(s.Overdue) != 1 {
		t.Fatalf("the day after its due date Beta's summary reads overdue %v (%d invoices), want invoice 5", s.Overdue, s.OverdueInvoices)
	}
	p := ok(m.ListInvoices(context.Background(), InvoiceQuery{ClientID: beta, Today: due}))
	if p.Items[0].Status == invoice.StatusOverdue {
		t.Fatalf("invoice 5 is overdue on its due date")
	}
	if p := ok(m.ListInvoices(context.Background(), InvoiceQuery{ClientID: beta, Today: next})); p.Items[0].Status != invoice.StatusOverdue {
		t.Fatalf("invoice 5 is %s the day after its due date, want overdue", p.Items[0].Status)
	}
}

// A change of the firm's settings drops every answer: they are the whole
// firm's.
func TestQueryCacheDropsEverythingWhenTheFirmChanges(t *testing.T) {
	e, m, r := fixtureModels(t, RunnerOptions{})
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	clientPage(m, acme, today)
	appendAndWait(t, e, r, firm.StreamName(), firm.FirmRegionalSettingsChanged{BaseCurrency: aud, TimeZone: "Australia/Sydney"})
	if s := m.QueryCacheStats(); s.Entries != 0 {
		t.Fatalf("after a firm settings change the cache keeps %+v", s)
	}
}

// The cache remembers the last change of a bounded number of clients; a
// client forgotten from it is treated as changed at the version it was
// forgotten at, so its answer read before is never given.
func TestQueryCacheForgetsClientsSafely(t *testing.T) {
	m := NewModels(nil)
	m.SetQueryCache(DefaultQueryCacheBytes)
	reads := 0
	read := func() (int, error) { reads++; return reads, nil }
	size := func(int) int { return 8 }
	ctx := context.Background()
	a, b := id("client/a"), id("client/b")
	ok(cached(ctx, m, a, "a", read, size))
	ok(cached(ctx, m, b, "b", read, size))
	m.changed([]uuid.UUID{a}, false)
	others := make([]uuid.UUID, clientVersions)
	for i := range others {
		others[i] = uuid.New()
	}
	m.changed(others, false) // forgets a
	if got := ok(cached(ctx, m, a, "a", read, size)); got != 3 {
		t.Fatalf("a's answer from before its change was given (%d)", got)
	}
	if got := ok(cached(ctx, m, b, "b", read, size)); got != 4 {
		t.Fatalf("b's answer survived a forgotten client's change raising the floor: got %d, want a fresh read", got)
	}
	if got := ok(cached(ctx, m, b, "b", read, size)); got != 4 {
		t.Fatalf("b's fresh answer was not kept (%d)", got)
	}
}

// On PostgreSQL a node that does not apply follows the checkpoints another
// node commits, and cannot tell whose rows they changed: it drops every
// answer, so a request that waited there for its command's position reads
// it.
func TestQueryCacheFollowsAnotherNodeOnPostgres(t *testing.T) {
	url := pgtest.MustDatabase(t)
	e := newEnv(t)
	e.fixture()
	open := func() *Models {
		db, err := rmdb.OpenPostgres(context.Background(), url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return NewModels(db)
	}
	m1, m2 := open(), open()
	var runners []*Runner
	for _, m := range []*Models{m1, m2} {
		r, err := NewRunner(context.Background(), e.store, m, RunnerOptions{PollInterval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		if err := r.CatchUp(waitCtx(t)); err != nil {
			t.Fatal(err)
		}
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		runners = append(runners, r)
	}
	for i, m := range []*Models{m1, m2} {
		clientPage(m, acme, today)
		for n := range 3 {
			name := fmt.Sprintf("Acme %d", n)
			pos := e.MustAppend(client.StreamName(acme), "user:alice", client.ClientDetailsChanged{ClientID: acme, Name: name, Kind: client.KindBusiness, Currency: aud})
			for _, r := range runners {
				if err := r.WaitFor(waitCtx(t), pos); err != nil {
					t.Fatal(err)
				}
			}
			for j, m := range []*Models{m1, m2} {
				if got := ok(m.Summary(context.Background(), acme, today)).Name; got != name {
					t.Fatalf("round %d: node %d reads %q after the rename to %q", i, j+1, got, name)
				}
			}
		}
	}
}
