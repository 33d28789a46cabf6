package kurrent_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"remit/eventstore"
	"remit/eventstore/kurrent/kurrenttest"
	"remit/eventstore/sqlite"
	"remit/eventstore/storetest"
)

// The benchmarks run the adapter against the in-process test server, which
// keeps its events in the embedded store, and report each rate divided by
// the embedded store's own rate measured in the same run: the ratio is the
// cost of the adapter, the official client, gRPC on loopback and the test
// server's own translation, not of KurrentDB (which this machine cannot
// run).

func appendRate(b *testing.B, s eventstore.Store, n, size int) float64 {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := s.Append(ctx, fmt.Sprintf("bench-%d", i%64), eventstore.Any, storetest.Events("Benchmarked", i, size)...); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n*size) / time.Since(start).Seconds()
}

// BenchmarkAppend: durable appends of one event and of 100 events, one
// writer.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{1, 100} {
		b.Run(fmt.Sprintf("Events%d", size), func(b *testing.B) {
			srv := kurrenttest.Start(b, kurrenttest.Options{})
			adapter := mustOpen(b, srv)
			embedded, err := sqlite.Open(b.TempDir(), sqlite.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer embedded.Close()
			b.ResetTimer()
			// Interleaved halves, so both see the same disk weather.
			var ad, em float64
			for half := 0; half < 2; half++ {
				ad += appendRate(b, adapter, max(b.N/2, 1), size) / 2
				em += appendRate(b, embedded, max(b.N/2, 1), size) / 2
			}
			b.ReportMetric(ad, "events/s")
			b.ReportMetric(em, "embedded-events/s")
			b.ReportMetric(ad/em, "ratio")
		})
	}
}

func catchUpRate(b *testing.B, s eventstore.Store, n int) float64 {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	got := 0
	for _, err := range s.Subscribe(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			b.Fatal(err)
		}
		if got++; got == n {
			break
		}
	}
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkCatchUp: a subscription from the start reading 50,000 stored
// events, through the adapter and straight from the test server's own
// embedded store (the same rows).
func BenchmarkCatchUp(b *testing.B) {
	const events = 50_000
	srv := kurrenttest.Start(b, kurrenttest.Options{})
	adapter := mustOpen(b, srv)
	for i := 0; i < events/500; i++ {
		storetest.MustAppend(b, adapter, fmt.Sprintf("bench-%d", i%64), eventstore.Any, storetest.Events("Benchmarked", i*500, 500)...)
	}
	b.ResetTimer()
	var ad, em float64
	for i := 0; i < b.N; i++ {
		ad += catchUpRate(b, adapter, events)
		em += catchUpRate(b, srv.Store(), events)
	}
	b.ReportMetric(ad/float64(b.N), "events/s")
	b.ReportMetric(em/float64(b.N), "embedded-events/s")
	b.ReportMetric(ad/em, "ratio")
}
