package projections

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/hashicorp/golang-lru/v2/simplelru"

	"remit/domain/firm"
)

// The live read models keep the answers of their costliest queries (the
// client page's tabs, the clients and invoice lists, activity pages) in a
// cache bounded by size. Each answer is kept with the models' version it
// was read at (the version loaded before reading) and the client it shows,
// if it shows one client's rows only (its scope): Summary, ClientServices,
// Schedule, ListInvoices of one client and ActivityPage of a client. The
// firm-wide answers (the lists of every client or invoice, and the activity
// of a service, invoice, proposal or payment method, whose lines name
// invoices numbered by events of other subjects) have none.
//
// The Runner moves the version each time a serving projection commits, a
// generation is swapped in, or (on a node that does not apply) the
// checkpoints another node committed are seen, and it moves it before the
// models' Position. With it, it tells the cache what changed
// (Models.changed): the clients whose rows its own live batch changed
// (each projection the cached queries read says whose rows it wrote:
// clientScoped), or everything, when it cannot tell (a catch-up or rebuild,
// a swap, another node's commits, an event of the firm's stream, a batch
// that does not follow the last one). So:
//
//   - a firm-wide answer is given only at the version it was read at: any
//     change drops it (and every such answer is dropped from memory then);
//   - a client's answer is given until an event that touches that client
//     is applied (its rows, or its activity), or everything changed: it is
//     given while it was read at or after both the version of its client's
//     last change and that of the last change of everything, which the
//     cache records (per client for the last clientVersions clients
//     touched; forgetting one raises the version every answer must be read
//     at, so the record stays bounded and never wrongly keeps an answer).
//
// A request that waited for its command's position (read-your-writes)
// asks after the version moved for that command's batch, and after the
// cache recorded which clients it touched: an answer of such a client read
// before that batch committed was read at an older version, so it is not
// given, and the request reads the tables. An answer is not stored when
// what it depends on changed while it was read (it would not be given).
//
// Queries take "today" as part of their key (the day overdue, next billing
// and the schedule's catch-ups are judged on): an answer is never given on
// another day than the one it was read for, and the answers of past days
// age out of the bounded cache. The firm's settings the answers depend on
// (time zone, grouping) are arguments too, and any event of the firm's
// stream drops every answer all the same.
//
// Answers are shared between requests: callers render them and must not
// change them (every caller in web/ and app/ only reads).
//
// Between two changes of a client, a repeated read (staff reopening a
// client, an integration polling) is a map lookup instead of SQL and JSON
// decoding, while other clients are written; the firm-wide lists are read
// again after each change of the log.

// DefaultQueryCacheBytes bounds the query cache of the live read models
// (RunnerOptions.QueryCacheBytes): the estimated size of the answers kept.
const DefaultQueryCacheBytes = 32 << 20

// clientVersions is how many clients' last change the cache remembers: at
// 48 bytes or so each, a few hundred KB. A firm's writes of a day touch far
// fewer clients than that between two changes of everything.
const clientVersions = 8192

// queryCache is the cache of answers (see above); nil caches nothing.
type queryCache struct {
	mu sync.Mutex
	// version is the models' version of the last change; firm-wide
	// answers read before it are never given again.
	version uint64
	// floor is the version of the last change of everything (or of a
	// client forgotten from touched): no answer read before it is given.
	floor uint64
	// touched is each client's version of its last change.
	touched *simplelru.LRU[uuid.UUID, uint64]
	lru     *simplelru.LRU[string, cachedAnswer]
	// firmWide are the keys of the firm-wide answers kept, dropped at each
	// change.
	firmWide map[string]struct{}
	bytes    int // estimated size of the answers kept
	limit    int
	hits     uint64
	miss     uint64
	byQuery  map[string]*QueryCounts // by the query's name
	// slots bounds how many misses read the tables at once (readSlots).
	slots chan struct{}
}

type cachedAnswer struct {
	value  any
	size   int
	readAt uint64    // the models' version loaded before it was read
	scope  uuid.UUID // the client it shows; uuid.Nil: firm-wide
}

func newQueryCache(limit int) *queryCache {
	if limit <= 0 {
		return nil
	}
	c := &queryCache{limit: limit, slots: make(chan struct{}, readSlots()), firmWide: map[string]struct{}{}, byQuery: map[string]*QueryCounts{}}
	// The count bound is far above what the size bound lets in; the
	// eviction callback keeps the byte count.
	c.lru, _ = simplelru.NewLRU(1<<20, func(k string, a cachedAnswer) {
		c.bytes -= a.size
		if a.scope == uuid.Nil {
			delete(c.firmWide, k)
		}
	})
	c.touched, _ = simplelru.NewLRU(clientVersions, func(_ uuid.UUID, v uint64) { c.floor = max(c.floor, v) })
	return c
}

// readSlots is how many of the cached queries read the tables at once:
// twice the CPUs the process may use (at least 4). Reading is CPU work (SQL,
// JSON decoding, building the answer), so more at once only share the same
// CPUs, while each holds what it allocated (the schedule of a client with
// 84 services allocates about 5 MB): 50 requests at once used to hold 50 of
// those, which was most of `remit serve`'s memory under load.
func readSlots() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

// QueryCacheStats are the query cache's counters.
type QueryCacheStats struct {
	Hits, Misses uint64
	Entries      int
	Bytes        int
	// ByQuery counts the hits and misses of each query by name
	// ("summary", "services", "schedule", "invoices", "clients",
	// "activity").
	ByQuery map[string]QueryCounts
}

// QueryCounts are one query's hits and misses.
type QueryCounts struct{ Hits, Misses uint64 }

// QueryCacheStats reports the live models' query cache (zero when the
// models have none).
func (m *Models) QueryCacheStats() QueryCacheStats {
	c := m.cache.Load()
	if c == nil {
		return QueryCacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	by := make(map[string]QueryCounts, len(c.byQuery))
	for name, n := range c.byQuery {
		by[name] = *n
	}
	return QueryCacheStats{Hits: c.hits, Misses: c.miss, Entries: c.lru.Len(), Bytes: c.bytes, ByQuery: by}
}

// SetQueryCache gives the models a query cache of at most limit bytes of
// answers (0 or less: none). The Runner that keeps the models live calls
// it when it is made, before the models are read; models built for a past
// moment (BuildAsOf) never change, and have none.
func (m *Models) SetQueryCache(limit int) { m.cache.Store(newQueryCache(limit)) }

// changed moves the models' version: the tables changed for the given
// clients' answers, or for every answer (all). Only the Runner feeding the
// models calls it, one call at a time, before it moves Position.
func (m *Models) changed(clients []uuid.UUID, all bool) {
	v := m.version.Load() + 1
	if c := m.cache.Load(); c != nil {
		c.changed(v, clients, all)
	}
	m.version.Store(v)
}

func (c *queryCache) changed(v uint64, clients []uuid.UUID, all bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version = v
	if all {
		c.lru.Purge()
		c.touched.Purge()
		c.floor = v
		return
	}
	for k := range c.firmWide {
		c.lru.Remove(k)
	}
	for _, id := range clients {
		c.touched.Add(id, v)
	}
}

// counts are the counters of the query key names (queryKey). The caller
// holds c.mu.
func (c *queryCache) counts(key string) *QueryCounts {
	name, _, _ := strings.Cut(key, "[")
	n := c.byQuery[name]
	if n == nil {
		n = &QueryCounts{}
		c.byQuery[name] = n
	}
	return n
}

// valid reports whether an answer read at version readAt for scope may be
// given (or kept). The caller holds c.mu.
func (c *queryCache) valid(readAt uint64, scope uuid.UUID) bool {
	if scope == uuid.Nil {
		return readAt >= c.version
	}
	if readAt < c.floor {
		return false
	}
	v, ok := c.touched.Peek(scope)
	return !ok || readAt >= v
}

// cached answers the query named key from the cache when what it shows
// has not changed since it was read, else reads it with read and keeps it.
// scope is the client whose rows alone the answer shows (uuid.Nil: a
// firm-wide answer). sizeOf estimates an answer's bytes.
func cached[T any](ctx context.Context, m *Models, scope uuid.UUID, key string, read func() (T, error), sizeOf func(T) int) (T, error) {
	c := m.cache.Load()
	if c == nil {
		return read()
	}
	v := m.version.Load()
	c.mu.Lock()
	n := c.counts(key)
	if a, ok := c.lru.Peek(key); ok {
		if c.valid(a.readAt, a.scope) {
			c.lru.Get(key) // now the most recently used
			c.hits++
			n.Hits++
			c.mu.Unlock()
			return a.value.(T), nil
		}
		c.lru.Remove(key) // it will never be given again
	}
	c.miss++
	n.Misses++
	c.mu.Unlock()
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	ans, err := read()
	<-c.slots
	if err != nil {
		return ans, err
	}
	size := sizeOf(ans) + len(key) + 64
	if size > c.limit/8 {
		return ans, nil // one answer may not crowd out the rest
	}
	c.mu.Lock()
	if c.valid(v, scope) {
		if old, ok := c.lru.Peek(key); ok {
			c.bytes -= old.size // Add replaces it without the eviction callback
		}
		c.lru.Add(key, cachedAnswer{value: ans, size: size, readAt: v, scope: scope})
		c.bytes += size
		if scope == uuid.Nil {
			c.firmWide[key] = struct{}{}
		}
		for c.bytes > c.limit {
			c.lru.RemoveOldest()
		}
	}
	c.mu.Unlock()
	return ans, nil
}

// clientScoped is a projection whose tables the cached queries read: it
// says whose rows the events it applied changed (touchedClients).
type clientScoped interface {
	// takeTouched returns the clients whose rows Apply changed since the
	// last call (some more than once), and forgets them.
	takeTouched() []uuid.UUID
	// recordTouched turns the record off (a fill, whose commits change
	// every answer anyway, and whose tens of thousands of events a
	// transaction would otherwise record) or back on.
	recordTouched(on bool)
}

// touchedClients is what a clientScoped projection keeps of the clients
// its Apply changed rows of, until the runner takes them (each batch).
type touchedClients struct {
	ids []uuid.UUID
	off bool
}

// touch records that id's rows changed (uuid.Nil: no client's).
func (t *touchedClients) touch(id uuid.UUID) {
	if id != uuid.Nil && !t.off {
		t.ids = append(t.ids, id)
	}
}

func (t *touchedClients) takeTouched() []uuid.UUID {
	ids := t.ids
	t.ids = nil
	return ids
}

func (t *touchedClients) recordTouched(on bool) {
	t.off = !on
	t.ids = nil
}

// cacheBlind reports whether no cached query reads the named projection's
// tables: what it writes changes no cached answer. Any other projection
// that is not clientScoped changes every answer when it applies a batch.
func cacheBlind(name string) bool {
	switch name {
	case "unissued", "ledger", "emails", "payouts", "library", "sent_proposals", "price_increases":
		return true
	}
	return false
}

// touchedBy returns the clients whose cached answers the batch b, just
// applied to gens, changes, or all when it may change any answer: a
// projection the cached queries read that cannot tell, or an event of the
// firm's stream (its settings are the whole firm's).
func touchedBy(gens []*generation, b *batch) (clients []uuid.UUID, all bool) {
	for _, g := range gens {
		if s, ok := g.p.(clientScoped); ok {
			clients = append(clients, s.takeTouched()...)
		} else if !cacheBlind(g.spec.Name) {
			all = true
		}
	}
	for i, e := range b.events {
		if b.outcomes[i] == decodedOK && e.Stream == firm.StreamName() {
			all = true
		}
	}
	return clients, all
}

// recordTouched turns gens' record of the clients they change off (a
// fill) or on.
func recordTouched(gens []*generation, on bool) {
	for _, g := range gens {
		if s, ok := g.p.(clientScoped); ok {
			s.recordTouched(on)
		}
	}
}

// queryKey names a query and its arguments (as JSON, so no two
// different arguments read alike).
func queryKey(name string, args ...any) string {
	b, _ := json.Marshal(args)
	return name + string(b)
}

// Rough sizes of answers, for the cache's bound: a row of a list or an item
// of a schedule is a few hundred bytes once its strings and decimals are
// counted.
const (
	rowBytes      = 512
	answerBytes   = 2048
	scheduleBytes = 768
)

func sizeOfSummary(s ClientSummary) int {
	return answerBytes + rowBytes*(len(s.Contacts)+len(s.PaymentMethods)+len(s.Proposals)+len(s.PaymentDetailsRequests))
}

func sizeOfServices(s ClientServices) int {
	return answerBytes + 2*rowBytes*(len(s.Active)+len(s.Ended))
}

func sizeOfSchedule(s ClientSchedule) int {
	n := len(s.Items) + len(s.Manual) + len(s.Missed)
	for _, g := range s.Groups {
		n += len(g.Items)
	}
	return answerBytes + scheduleBytes*n
}

func sizeOfPage[T any](p Page[T]) int { return answerBytes + rowBytes*len(p.Items) }

func sizeOfActivity(p ActivityPage) int { return answerBytes + rowBytes*len(p.Lines) }
