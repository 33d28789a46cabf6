package projections_test

import (
	"context"
	"runtime"
	"testing"

	"remit/app/demo"
	"remit/domain"
	"remit/domain/catalog"
	"remit/eventstore/sqlite"
	"remit/projections"
)

// BenchmarkActivityMemory rebuilds the activity read model from a demo
// firm's log, written by Remit's own commands (app/demo: a year of billing
// for 50 clients), and reports the heap it keeps per event of the log
// ("B/event"), the figure that decides how large a firm one node can serve.
func BenchmarkActivityMemory(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	sum, err := demo.Load(ctx, st, demo.Options{Today: domain.MustDate(2026, 3, 15), Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	cat := catalog.New()
	var perEvent float64
	for b.Loop() {
		before := heapInUse()
		p, _ := projections.NewModels().Projection("activity")
		if _, err := projections.Replay(ctx, st, cat, []projections.Projection{p}, projections.Bound{}); err != nil {
			b.Fatal(err)
		}
		perEvent = float64(heapInUse()-before) / float64(sum.Events)
		runtime.KeepAlive(p)
	}
	b.ReportMetric(perEvent, "B/event")
	b.ReportMetric(float64(sum.Events), "events")
}

// heapInUse is the live heap after a full collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
