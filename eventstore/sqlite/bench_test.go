package sqlite_test

// Benchmarks of the embedded store. This machine's disk sync speed swings a
// lot from minute to minute, so each durable-write figure is reported beside a
// baseline measured in the same run: raw write+fdatasync calls on a plain
// file in the same folder, or a bare SQLite insert of the same rows.
//
//	go test -run '^$' -bench . -benchtime 3s ./eventstore/sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"remit/eventstore"
	"remit/eventstore/sqlite"
)

var benchData = json.RawMessage(`{"client_id":"0d1f2a3b-aaaa-bbbb-cccc-ddddeeeeffff","name":"Acme Pty Ltd","currency":"AUD","terms":14}`)

func benchEvent() eventstore.EventData {
	return eventstore.EventData{ID: eventstore.NewEventID(), Type: "ClientDetailsChanged", Data: benchData,
		Metadata: eventstore.Metadata{Actor: "user:bench", CommandID: "c", CorrelationID: "c"}}
}

func openBench(b *testing.B) *sqlite.Store {
	b.Helper()
	return MustOpen(b, b.TempDir(), sqlite.Options{})
}

// rawSyncer times write+fdatasync calls on a plain file, the baseline for
// durable appends.
type rawSyncer struct {
	f   *os.File
	buf []byte
}

func newRawSyncer(tb testing.TB, dir string) *rawSyncer {
	tb.Helper()
	f, err := os.OpenFile(filepath.Join(dir, "raw-sync"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close(); os.Remove(f.Name()) })
	return &rawSyncer{f: f, buf: make([]byte, 256)}
}

// syncs does n write+fdatasync calls and returns how long they took.
func (r *rawSyncer) syncs(tb testing.TB, n int) time.Duration {
	t0 := time.Now()
	for i := 0; i < n; i++ {
		if _, err := r.f.Write(r.buf); err != nil {
			tb.Fatal(err)
		}
		if err := fdatasync(r.f); err != nil {
			tb.Fatal(err)
		}
	}
	return time.Since(t0)
}

// BenchmarkAppendSingleDurable: one writer, one event per append, each
// durable before the next. Target: at least 0.8 of the raw sync rate. The
// baseline is interleaved with the appends (every 50 appends, 50 raw syncs),
// so both see the same disk weather.
func BenchmarkAppendSingleDurable(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	raw := newRawSyncer(b, s.Dir())
	lat := make([]time.Duration, 0, 1<<16)
	var appendTime, rawTime time.Duration
	rawN := 0
	for i := 0; b.Loop(); i++ {
		if i%50 == 0 {
			b.StopTimer()
			rawTime += raw.syncs(b, 50)
			rawN += 50
			b.StartTimer()
		}
		t0 := time.Now()
		if _, err := s.Append(ctx, fmt.Sprintf("client-%d", i%1000), eventstore.Any, benchEvent()); err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		appendTime += d
		lat = append(lat, d)
	}
	rate := float64(b.N) / appendTime.Seconds()
	rawRate := float64(rawN) / rawTime.Seconds()
	slices.Sort(lat)
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(rawRate, "raw-syncs/s")
	b.ReportMetric(rate/rawRate, "ratio-to-raw-sync")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkAppendConcurrent64: 64 goroutines appending one event each to
// their own streams; group commit shares each disk sync. Target: at least 10
// times the raw sync rate. Rounds of appends (64 × 20 events) alternate with
// rounds of 50 raw syncs, so both see the same disk weather.
func BenchmarkAppendConcurrent64(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	raw := newRawSyncer(b, s.Dir())
	var appendTime, rawTime time.Duration
	rawN, done := 0, 0
	b.ResetTimer()
	for done < b.N {
		b.StopTimer()
		rawTime += raw.syncs(b, 50)
		rawN += 50
		b.StartTimer()
		per := min(20, (b.N-done+63)/64)
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
		appendTime += time.Since(t0)
		done += 64 * per
	}
	rate := float64(done) / appendTime.Seconds()
	rawRate := float64(rawN) / rawTime.Seconds()
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(rawRate, "raw-syncs/s")
	b.ReportMetric(rate/rawRate, "ratio-to-raw-sync")
}

// BenchmarkAppend100: appends of 100 events with every check on (expected
// revision, idempotency, unique ids, hash chain), compared with a bare SQLite
// batched insert of the same rows into a table with only an integer key,
// same durability, in the same run. Targets: 100,000 events/s and a ratio of
// at least 0.5. "Writers" is the number of concurrent appenders.
func BenchmarkAppend100(b *testing.B) {
	for _, writers := range []int{1, 4} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := openBench(b)
			ctx := context.Background()
			batches := make([][]eventstore.EventData, 0, 64)
			mk := func() []eventstore.EventData {
				evs := make([]eventstore.EventData, 100)
				for i := range evs {
					evs[i] = benchEvent()
				}
				return evs
			}
			for i := 0; i < 64; i++ {
				batches = append(batches, mk())
			}
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					rev := uint64(0)
					first := true
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						evs := mk()
						exp := eventstore.NoStream
						if !first {
							exp = eventstore.Exact(rev)
						}
						res, err := s.Append(ctx, fmt.Sprintf("import-%d", w), exp, evs...)
						if err != nil {
							b.Error(err)
							return
						}
						rev, first = res.Revision, false
					}
				}(w)
			}
			wg.Wait()
			rate := float64(b.N*100) / b.Elapsed().Seconds()
			b.StopTimer()
			bare := bareBatchInsertRate(b, b.TempDir(), batches)
			b.ReportMetric(rate, "events/s")
			b.ReportMetric(bare, "bare-events/s")
			b.ReportMetric(rate/bare, "ratio-to-bare")
		})
	}
}

// bareBatchInsertRate inserts the same kind of rows, 100 per synced
// transaction, into a table with only an integer key, for about a second.
func bareBatchInsertRate(tb testing.TB, dir string, batches [][]eventstore.EventData) float64 {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "bare.db")+"?_journal_mode=WAL&_synchronous=FULL")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE bare(k INTEGER PRIMARY KEY, id BLOB, type TEXT, data BLOB, metadata BLOB)`); err != nil {
		tb.Fatal(err)
	}
	meta := []byte(`{"actor":"user:bench","command_id":"c","correlation_id":"c"}`)
	n := 0
	start := time.Now()
	for i := 0; time.Since(start) < time.Second; i++ {
		tx, err := db.Begin()
		if err != nil {
			tb.Fatal(err)
		}
		st, err := tx.Prepare(`INSERT INTO bare(id, type, data, metadata) VALUES (?, ?, ?, ?)`)
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range batches[i%len(batches)] {
			if _, err := st.Exec(e.ID[:], e.Type, []byte(e.Data), meta); err != nil {
				tb.Fatal(err)
			}
			n++
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}

// fill appends n events in appends of 1,000 to 1,000 streams.
func fill(tb testing.TB, s *sqlite.Store, n int) {
	tb.Helper()
	ctx := context.Background()
	for i := 0; i < n; i += 1000 {
		evs := make([]eventstore.EventData, min(1000, n-i))
		for j := range evs {
			evs[j] = benchEvent()
		}
		if _, err := s.Append(ctx, fmt.Sprintf("client-%d", (i/1000)%1000), eventstore.Any, evs...); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkRead1M reads a log of 1,000,000 events whole: ReadAll in pages of
// 10,000 (payload left as raw bytes; target at least 1,000,000 events/s), and
// a subscription catching up from the start.
func BenchmarkRead1M(b *testing.B) {
	const total = 1_000_000
	s := openBench(b)
	fill(b, s, total)
	ctx := context.Background()
	b.Run("ReadAll", func(b *testing.B) {
		n := 0
		for b.Loop() {
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
		}
		if n%total != 0 {
			b.Fatalf("read %d events", n)
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("SubscribeCatchUp", func(b *testing.B) {
		n := 0
		for b.Loop() {
			sctx, cancel := context.WithCancel(ctx)
			got := 0
			for _, err := range s.Subscribe(sctx, 0, eventstore.Filter{}) {
				if err != nil {
					b.Fatal(err)
				}
				got++
				if got == total {
					break
				}
			}
			cancel()
			n += got
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	})
}
