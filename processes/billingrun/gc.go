package billingrun

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// Garbage-collector settings of a process whose job is one billing run
// (`remit bill`, see BulkGC).
const (
	// bulkGCPercent lets the heap grow to five times what is live between
	// collections instead of twice.
	bulkGCPercent = 400
	// bulkMemoryLimit bounds the heap that setting lets grow: nearer it,
	// the collector runs as often as it must to stay under it.
	bulkMemoryLimit = 3 << 30
	// bulkWatch is how often BulkGC looks at the live heap.
	bulkWatch = time.Second
)

// BulkGC tunes the garbage collector of a process that does one billing run
// and exits (`remit bill`; BenchmarkBill does as the command does), and
// returns what restores the settings before it.
//
// A run holds the clients and services it plans, and one chunk's plan (at
// 100,000 invoices 200–290 MB live; 550–740 MB when it planned every
// invoice at once), while it allocates many times that in short-lived
// values (decisions, encoded events, store rows). With the default setting
// the collector marked the whole plan again every time the heap doubled
// (when a run planned every invoice at once: 23 collections in the run,
// about 13% of its CPU). With a target of 400 under a
// 3 GiB memory limit it collected about 8 times (5–7% of the CPU) and the
// process peaked higher (2.7–3.0 GB resident instead of 1.8–2.0 GB at
// 100,000 invoices); issued a chunk at a time, the run peaks at 1.6–1.7 GB
// with this setting. A memory limit costs CPU once the live heap itself
// comes near it (the collector then runs back to back), so when the live
// heap passes half the limit (a run of several hundred thousand invoices)
// the defaults come back. A setting made by the operator (GOGC, GOMEMLIMIT)
// is kept as it is. `remit serve` keeps the defaults: its runs share the
// process with everything else.
func BulkGC() (restore func()) { return bulkGC(bulkMemoryLimit, bulkWatch) }

// bulkGC is BulkGC with its memory limit and how often it looks at the live
// heap.
func bulkGC(memoryLimit int64, watch time.Duration) (restore func()) {
	percent := debug.SetGCPercent(bulkGCPercent)
	limit := debug.SetMemoryLimit(-1)
	if percent != 100 || limit != math.MaxInt64 { // GOGC or GOMEMLIMIT set: keep them
		debug.SetGCPercent(percent)
		return func() {}
	}
	debug.SetMemoryLimit(memoryLimit)
	defaults := func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(watch)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				metrics.Read(sample)
				if v := sample[0].Value; v.Kind() == metrics.KindUint64 && v.Uint64() > uint64(memoryLimit/2) {
					defaults()
					return
				}
			}
		}
	})
	return sync.OnceFunc(func() {
		close(stop)
		wg.Wait()
		defaults()
	})
}
