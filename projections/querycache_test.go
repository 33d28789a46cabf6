package projections

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain/client"
	"remit/domain/invoice"
)

// The query cache answers a repeated query without reading the tables, and
// never answers what the tables no longer hold: once a command's events are
// applied (WaitFor, what the API waits for before answering a command), the
// next query reads them.
func TestQueryCacheSeesEveryAppliedEvent(t *testing.T) {
	ctx := context.Background()
	e, m, r := fixtureModels(t, RunnerOptions{})
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	list := func() Page[InvoiceListItem] {
		return ok(m.ListInvoices(ctx, InvoiceQuery{ClientID: acme, Today: today}))
	}
	first := list()
	before := m.QueryCacheStats()
	again := list()
	if !reflect.DeepEqual(first, again) {
		t.Fatalf("a repeated query answered differently:\n%+v\n%+v", first, again)
	}
	if got := m.QueryCacheStats(); got.Hits != before.Hits+1 {
		t.Fatalf("a repeated query at an unchanged log read the tables again: %+v then %+v", before, got)
	}
	sum := ok(m.Summary(ctx, acme, today))

	// A command: Acme is renamed and a new invoice issued to it.
	pos := e.MustAppend(client.StreamName(acme), "user:alice", client.ClientDetailsChanged{ClientID: acme, Name: "Acme Holdings", Kind: client.KindBusiness, Currency: aud})
	inv := id("invoice/cache")
	pos = max(pos, e.MustAppend(invoice.StreamName(inv), "billing-run",
		issued(t, inv, acme, "INV-0900", today, today.AddDays(14), line(t, "Advice", "300", advice, "adv-cache"))))
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.WaitFor(wctx, pos); err != nil {
		t.Fatal(err)
	}
	after := list()
	if after.Total != first.Total+1 || after.Items[0].Number != "INV-0900" {
		t.Fatalf("after the invoice was applied the list still reads %d invoices (first %q), want %d with INV-0900 first", after.Total, after.Items[0].Number, first.Total+1)
	}
	if got := ok(m.Summary(ctx, acme, today)); got.Name != "Acme Holdings" || sum.Name == got.Name {
		t.Fatalf("summary after the rename: %q (before %q)", got.Name, sum.Name)
	}
	// Each answer equals what the tables say (the cache off).
	m.SetQueryCache(0)
	if fresh := list(); !reflect.DeepEqual(fresh, after) {
		t.Fatalf("cached answer differs from the tables':\n%+v\n%+v", after, fresh)
	}
}

// The cache keeps no more than its bound, whatever is asked.
func TestQueryCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	const limit = 64 << 10
	_, m, _ := fixtureModels(t, RunnerOptions{QueryCacheBytes: limit})
	for day := range 200 {
		ok(m.ListInvoices(ctx, InvoiceQuery{Today: today.AddDays(day)}))
		ok(m.Summary(ctx, acme, today.AddDays(day)))
		if s := m.QueryCacheStats(); s.Bytes > limit {
			t.Fatalf("cache holds %d bytes, bound %d", s.Bytes, limit)
		}
	}
	if s := m.QueryCacheStats(); s.Entries == 0 || s.Misses < 400 {
		t.Fatalf("stats %+v: want entries kept and every distinct day a miss", s)
	}
}

// When the models move, the answers read before are dropped at once: a
// firm writing all day keeps no dead answers in memory.
func TestQueryCacheDropsOldAnswersWhenTheModelsMove(t *testing.T) {
	ctx := context.Background()
	e, m, r := fixtureModels(t, RunnerOptions{})
	ok(m.ListInvoices(ctx, InvoiceQuery{Today: today}))
	ok(m.ListInvoices(ctx, InvoiceQuery{Today: today}))
	ok(m.Summary(ctx, acme, today))
	if s := m.QueryCacheStats(); s.Entries != 2 || s.Bytes == 0 {
		t.Fatalf("stats %+v: want the two answers kept", s)
	}
	e.MustAppend(client.StreamName(beta), "user:alice", client.ClientDetailsChanged{ClientID: beta, Name: "Beta Bakehouse", Kind: client.KindBusiness, Currency: aud})
	if err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	ok(m.Summary(ctx, acme, today))
	if s := m.QueryCacheStats(); s.Entries != 1 {
		t.Fatalf("stats %+v: want only the answer read since the models moved", s)
	}
}

// However many requests miss the cache at once, only readSlots of them read
// the tables at a time (each holds what its answer allocates), and every one
// gets its own answer.
func TestQueryCacheBoundsConcurrentReads(t *testing.T) {
	m := NewModels(nil)
	m.SetQueryCache(DefaultQueryCacheBytes)
	var mu sync.Mutex
	in, most := 0, 0
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			got, err := cached(context.Background(), m, uuid.Nil, queryKey("test", i), func() (int, error) {
				mu.Lock()
				in++
				most = max(most, in)
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
				mu.Lock()
				in--
				mu.Unlock()
				return i, nil
			}, func(int) int { return 8 })
			if err != nil || got != i {
				t.Errorf("query %d answered %d, %v", i, got, err)
			}
		})
	}
	wg.Wait()
	if most > readSlots() || most < 2 {
		t.Fatalf("%d reads at once, want between 2 and %d", most, readSlots())
	}
}

// fixtureModels returns the fixture's log and live models caught up with it.
func fixtureModels(t *testing.T, opts RunnerOptions) (*env, *Models, *Runner) {
	t.Helper()
	e := newEnv(t)
	e.fixture()
	m, r := e.mustLiveModels(opts)
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e, m, r
}
