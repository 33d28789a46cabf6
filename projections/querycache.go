package projections

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// The live read models keep the answers of their costliest queries (the
// client page's tabs, the clients and invoice lists, activity pages) in a
// cache bounded by size, each answer under the models' version it was read
// at. The version moves whenever a serving projection commits a batch, a
// generation is swapped in, or (on a node that does not apply) the
// checkpoints another node committed are seen, and it moves before the
// models' Position does: so a request that waited for its own command to
// reach the read models (read-your-writes) never gets an answer read before
// it. An answer is stored only when the version did not move while it was
// read, and when the version moves every answer is dropped (none could be
// given again). Queries take "today" as part of their key, so a cached
// answer never outlives its day.
//
// Answers are shared between requests: callers render them and must not
// change them (every caller in web/ and app/ only reads).
//
// Between two changes of the log, a repeated read (staff reopening a
// client, everyone's dashboard lists, an integration polling) is a map
// lookup instead of SQL and JSON decoding. While the log moves every few
// hundred milliseconds, few answers live long enough to be asked again:
// keying answers by the version of the client they show, not of the whole
// models, is what would keep them then.

// DefaultQueryCacheBytes bounds the query cache of the live read models
// (RunnerOptions.QueryCacheBytes): the estimated size of the answers kept.
const DefaultQueryCacheBytes = 32 << 20

// queryCache is the cache of answers (see above); nil caches nothing.
type queryCache struct {
	mu sync.Mutex
	// version is the models' version of every answer kept: when the
	// models move, the answers of the old version can never be given
	// again, so they are dropped at once rather than left to age out.
	version uint64
	lru     *simplelru.LRU[string, cachedAnswer]
	bytes   int // estimated size of the answers kept
	limit   int
	hits    uint64
	miss    uint64
	// slots bounds how many misses read the tables at once (readSlots).
	slots chan struct{}
}

type cachedAnswer struct {
	value any
	size  int
}

func newQueryCache(limit int) *queryCache {
	if limit <= 0 {
		return nil
	}
	c := &queryCache{limit: limit, slots: make(chan struct{}, readSlots())}
	// The count bound is far above what the size bound lets in; the
	// eviction callback keeps the byte count.
	c.lru, _ = simplelru.NewLRU(1<<20, func(_ string, a cachedAnswer) { c.bytes -= a.size })
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
}

// QueryCacheStats reports the live models' query cache (zero when the
// models have none).
func (m *Models) QueryCacheStats() QueryCacheStats {
	c := m.cache.Load()
	if c == nil {
		return QueryCacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return QueryCacheStats{Hits: c.hits, Misses: c.miss, Entries: c.lru.Len(), Bytes: c.bytes}
}

// SetQueryCache gives the models a query cache of at most limit bytes of
// answers (0 or less: none). The Runner that keeps the models live calls
// it; models built for a past moment (BuildAsOf) never change, and have none.
func (m *Models) SetQueryCache(limit int) { m.cache.Store(newQueryCache(limit)) }

// cached answers the query named key from the cache when the models have
// not moved since it was read, else reads it with read and keeps it.
// sizeOf estimates an answer's bytes.
func cached[T any](ctx context.Context, m *Models, key string, read func() (T, error), sizeOf func(T) int) (T, error) {
	c := m.cache.Load()
	if c == nil {
		return read()
	}
	v := m.version.Load()
	c.mu.Lock()
	c.moveTo(v)
	if a, ok := c.lru.Get(key); ok && c.version == v {
		c.hits++
		c.mu.Unlock()
		return a.value.(T), nil
	}
	c.miss++
	c.mu.Unlock()
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	ans, err := read()
	<-c.slots
	if err != nil || m.version.Load() != v {
		return ans, err
	}
	size := sizeOf(ans) + len(key) + 64
	if size > c.limit/8 {
		return ans, nil // one answer may not crowd out the rest
	}
	c.mu.Lock()
	c.moveTo(v)
	if c.version == v {
		if old, ok := c.lru.Peek(key); ok {
			c.bytes -= old.size // Add replaces it without the eviction callback
		}
		c.lru.Add(key, cachedAnswer{value: ans, size: size})
		c.bytes += size
		for c.bytes > c.limit {
			c.lru.RemoveOldest()
		}
	}
	c.mu.Unlock()
	return ans, nil
}

// moveTo drops every answer when the models moved past the cache's
// version. The caller holds c.mu.
func (c *queryCache) moveTo(v uint64) {
	if v > c.version {
		c.lru.Purge()
		c.version = v
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
