package postgres_test

// Benchmarks of the PostgreSQL store, each beside the embedded store in the
// same run (the disk's sync rate on this machine swings a lot from minute to
// minute, so only same-run ratios mean much). Where it makes sense the two
// stores take turns in small rounds, so both see the same disk weather.
//
//	go test -run '^$' -bench . -benchtime 3s ./eventstore/postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"remit/eventstore"
	"remit/eventstore/postgres"
	"remit/eventstore/sqlite"
)

var benchData = json.RawMessage(`{"client_id":"0d1f2a3b-aaaa-bbbb-cccc-ddddeeeeffff","name":"Acme Pty Ltd","currency":"AUD","terms":14}`)

func benchEvent() eventstore.EventData {
	return eventstore.EventData{ID: eventstore.NewEventID(), Type: "ClientDetailsChanged", Data: benchData,
		Metadata: eventstore.Metadata{Actor: "user:bench", CommandID: "c", CorrelationID: "c"}}
}

// benchStores opens an empty PostgreSQL store and an empty embedded store.
func benchStores(b *testing.B) (pg *postgres.Store, emb *sqlite.Store) {
	b.Helper()
	pg = MustOpen(b, MustDatabase(b), postgres.Options{MaxConns: 70})
	emb, err := sqlite.Open(b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { emb.Close() })
	return pg, emb
}

func report(b *testing.B, pgRate, embRate float64) {
	b.ReportMetric(pgRate, "pg-events/s")
	b.ReportMetric(embRate, "embedded-events/s")
	b.ReportMetric(pgRate/embRate, "ratio-to-embedded")
}

// BenchmarkAppendSingleDurable: one writer, one event per append, each
// committed (and synced by the server) before the next; rounds of 50 appends
// alternate between the stores. Reports p99 latency for PostgreSQL.
func BenchmarkAppendSingleDurable(b *testing.B) {
	pg, emb := benchStores(b)
	ctx := context.Background()
	lat := make([]time.Duration, 0, 1<<16)
	var pgTime, embTime time.Duration
	embN := 0
	for i := 0; b.Loop(); i++ {
		if i%50 == 0 {
			b.StopTimer()
			t0 := time.Now()
			for j := 0; j < 50; j++ {
				if _, err := emb.Append(ctx, fmt.Sprintf("client-%d", (i+j)%1000), eventstore.Any, benchEvent()); err != nil {
					b.Fatal(err)
				}
			}
			embTime += time.Since(t0)
			embN += 50
			b.StartTimer()
		}
		t0 := time.Now()
		if _, err := pg.Append(ctx, fmt.Sprintf("client-%d", i%1000), eventstore.Any, benchEvent()); err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		pgTime += d
		lat = append(lat, d)
	}
	report(b, float64(b.N)/pgTime.Seconds(), float64(embN)/embTime.Seconds())
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "pg-p99-µs")
}

// appendRound has 64 goroutines append per events each, one per append, to
// their own streams, and returns how long it took.
func appendRound(b *testing.B, s eventstore.Store, per int) time.Duration {
	ctx := context.Background()
	t0 := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			stream := fmt.Sprintf("client-%d", g)
			for i := 0; i < per; i++ {
				if _, err := s.Append(ctx, stream, eventstore.Any, benchEvent()); err != nil {
					b.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	return time.Since(t0)
}

// BenchmarkAppendConcurrent64: 64 goroutines appending one event each to
// their own streams (group commit); rounds of 64 × 20 appends alternate
// between the stores.
func BenchmarkAppendConcurrent64(b *testing.B) {
	pg, emb := benchStores(b)
	var pgTime, embTime time.Duration
	done, embN := 0, 0
	b.ResetTimer()
	for done < b.N {
		per := min(20, (b.N-done+63)/64)
		b.StopTimer()
		embTime += appendRound(b, emb, per)
		embN += 64 * per
		b.StartTimer()
		pgTime += appendRound(b, pg, per)
		done += 64 * per
	}
	report(b, float64(done)/pgTime.Seconds(), float64(embN)/embTime.Seconds())
}

// BenchmarkAppend100: appends of 100 events with every check on (expected
// revision, idempotency, unique ids, hash chain), one writer; the stores take
// turns every 10 appends.
func BenchmarkAppend100(b *testing.B) {
	pg, emb := benchStores(b)
	ctx := context.Background()
	mk := func() []eventstore.EventData {
		evs := make([]eventstore.EventData, 100)
		for i := range evs {
			evs[i] = benchEvent()
		}
		return evs
	}
	var pgTime, embTime time.Duration
	var pgRev, embRev uint64
	embN := 0
	for i := 0; b.Loop(); i++ {
		expected := func(rev uint64) eventstore.ExpectedRevision {
			if i < 10 {
				return eventstore.Any
			}
			return eventstore.Exact(rev)
		}
		if i%10 == 0 {
			b.StopTimer()
			for j := 0; j < 10; j++ {
				evs := mk()
				t0 := time.Now()
				res, err := emb.Append(ctx, "import-1", expected(embRev), evs...)
				if err != nil {
					b.Fatal(err)
				}
				embTime += time.Since(t0)
				embRev = res.Revision
				embN++
			}
			b.StartTimer()
		}
		evs := mk()
		t0 := time.Now()
		res, err := pg.Append(ctx, "import-1", expected(pgRev), evs...)
		if err != nil {
			b.Fatal(err)
		}
		pgTime += time.Since(t0)
		pgRev = res.Revision
	}
	report(b, float64(b.N*100)/pgTime.Seconds(), float64(embN*100)/embTime.Seconds())
}

// BenchmarkRead1M fills the embedded store with 1,000,000 events, copies it
// into PostgreSQL with ImportFrom (reported as import-events/s), then reads
// the whole log from each: ReadAll in pages of 10,000, and a subscription
// catching up from the start.
func BenchmarkRead1M(b *testing.B) {
	const total = 1_000_000
	pg, emb := benchStores(b)
	ctx := context.Background()
	for i := 0; i < total; i += 1000 {
		evs := make([]eventstore.EventData, 1000)
		for j := range evs {
			evs[j] = benchEvent()
		}
		if _, err := emb.Append(ctx, fmt.Sprintf("client-%d", (i/1000)%1000), eventstore.Any, evs...); err != nil {
			b.Fatal(err)
		}
	}
	t0 := time.Now()
	if _, err := postgres.ImportFrom(ctx, emb, pg); err != nil {
		b.Fatal(err)
	}
	importRate := total / time.Since(t0).Seconds()

	readAll := func(s eventstore.Store) time.Duration {
		t0 := time.Now()
		n := 0
		from := uint64(1)
		for {
			evs, err := s.ReadAll(ctx, from, eventstore.Forward, 10_000, eventstore.Filter{})
			if err != nil {
				b.Fatal(err)
			}
			if len(evs) == 0 {
				break
			}
			n += len(evs)
			from = evs[len(evs)-1].Position + 1
		}
		if n != total {
			b.Fatalf("read %d events", n)
		}
		return time.Since(t0)
	}
	catchUp := func(s eventstore.Store) time.Duration {
		t0 := time.Now()
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		got := 0
		for _, err := range s.Subscribe(sctx, 0, eventstore.Filter{}) {
			if err != nil {
				b.Fatal(err)
			}
			if got++; got == total {
				break
			}
		}
		return time.Since(t0)
	}
	for _, c := range []struct {
		name string
		read func(eventstore.Store) time.Duration
	}{{"ReadAll", readAll}, {"SubscribeCatchUp", catchUp}} {
		b.Run(c.name, func(b *testing.B) {
			var pgTime, embTime time.Duration
			n := 0
			for b.Loop() {
				pgTime += c.read(pg)
				embTime += c.read(emb)
				n += total
			}
			report(b, float64(n)/pgTime.Seconds(), float64(n)/embTime.Seconds())
			b.ReportMetric(importRate, "import-events/s")
		})
	}
}
