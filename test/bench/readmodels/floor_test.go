package readmodels

import (
	"bytes"
	"cmp"
	"context"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"remit/domain/catalog"
	"remit/eventstore"
	"remit/projections"
	"remit/projections/follow"
	"remit/projections/rmdb"
)

// BenchmarkRebuildFloor measures the part of a rebuild no projection logic
// can remove, to tell how close to bare decoding read models in SQLite can
// get on this machine: every event of the shared store read and decoded
// once, as the fill does (batches of follow.DefaultBatch, decoded on every
// CPU while the next batch is read), and one row per event written into a
// new SQLite read-model file the way a fill writes (rmdb on the fill's page
// cache and memory map, pipelined inserts of many rows per statement, a
// commit every 8 batches, the indexes built after the fill): the envelope
// fields an activity page shows, the event's type for its line, and its two
// subjects (its own stream and its client) as indexed columns. It reports
// the floor's events/s and CPU per event beside bare decoding's, measured in
// the same run (floor/bare, floor-cpu/bare-cpu): BenchmarkRebuild's
// rebuild/bare and rebuild-cpu/bare-cpu can come no closer than these.
func BenchmarkRebuildFloor(b *testing.B) {
	ctx := context.Background()
	st, _ := openStore(b)
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "floor.db")
		peak := sampleHeap()
		b.StartTimer()
		t0, c0 := time.Now(), cpuTime()
		n, err := floorFill(ctx, st, path)
		el, cpu := time.Since(t0), cpuTime()-c0
		b.StopTimer()
		heap := peak()
		if err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		par, npar, seq, seqCPU := bareBaseline(ctx, b, st)
		rate := float64(n) / el.Seconds()
		bare := float64(npar) / par.Seconds()
		b.ReportMetric(rate, "events/s")
		b.ReportMetric(bare, "bare-par-events/s")
		b.ReportMetric(rate/bare, "floor/bare")
		b.ReportMetric(float64(fi.Size())/float64(n), "rm-bytes/event")
		b.ReportMetric(float64(heap.peak)/(1<<20), "heap-peak-MB")
		b.ReportMetric(float64(cpu)/float64(n)/1e3, "cpu-µs/event")
		b.ReportMetric(float64(seqCPU)/float64(npar)/1e3, "bare-seq-cpu-µs/event")
		b.ReportMetric(float64(cpu)/float64(seqCPU), "floor-cpu/bare-cpu")
		b.Logf("floor: %d events in %s = %.0f events/s; bare decoding %s parallel (%.0f events/s), %s on one goroutine; floor/bare %.2f; CPU floor %s, bare on one goroutine %s: %.1f×; file %.1f MB = %.0f bytes/event; heap peak %s; %s",
			n, el.Round(time.Millisecond), rate, par.Round(time.Millisecond), bare, seq.Round(time.Millisecond), rate/bare,
			cpu.Round(time.Millisecond), seqCPU.Round(time.Millisecond), float64(cpu)/float64(seqCPU),
			float64(fi.Size())/(1<<20), float64(fi.Size())/float64(n), mb(heap.peak), loadavg())
		b.StartTimer()
	}
}

var flagFloorSubjects = flag.Bool("readmodels.floorsubjects", false, "BenchmarkRebuildFloor: write each event's two subjects as rows of a table keyed by (subject, position), as the activity model does, instead of two indexed columns of its row")

// floorBatch is a batch of stored events and their decoding.
type floorBatch struct {
	recs []eventstore.RecordedEvent
	evs  []projections.Event
	ok   []bool
	err  error
}

// floorFill reads, decodes and writes every event of st into a new file at
// path (BenchmarkRebuildFloor) and returns how many events it wrote.
func floorFill(ctx context.Context, st eventstore.Store, path string) (int, error) {
	db, err := rmdb.OpenSQLite(path)
	if err != nil {
		return 0, err
	}
	closed := false
	defer func() {
		if !closed {
			db.Close()
		}
	}()
	db.SetFilling(true)
	cat := catalog.New()
	read := make(chan *floorBatch, 1)
	decoded := make(chan *floorBatch, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // read, as the fill's reader does
		defer close(read)
		from := uint64(1)
		for {
			recs, err := st.ReadAll(ctx, from, eventstore.Forward, follow.DefaultBatch, eventstore.Filter{})
			if err != nil {
				read <- &floorBatch{err: err}
				return
			}
			if len(recs) > 0 {
				read <- &floorBatch{recs: recs}
			}
			if len(recs) < follow.DefaultBatch {
				return
			}
			from = recs[len(recs)-1].Position + 1
		}
	}()
	go func() { // decode each batch on every CPU, as the fill's decoder does
		defer close(decoded)
		workers := max(runtime.GOMAXPROCS(0), 1)
		for fb := range read {
			if fb.err == nil {
				fb.evs = make([]projections.Event, len(fb.recs))
				fb.ok = make([]bool, len(fb.recs))
				chunk := (len(fb.recs) + workers - 1) / workers
				var wg sync.WaitGroup
				for lo := 0; lo < len(fb.recs); lo += chunk {
					wg.Go(func() {
						for i := lo; i < min(lo+chunk, len(fb.recs)); i++ {
							rec := fb.recs[i]
							if strings.HasPrefix(rec.Stream, "request-") {
								continue
							}
							e, err := follow.Decode(cat, rec)
							fb.evs[i], fb.ok[i] = e, err == nil
						}
					})
				}
				wg.Wait()
			}
			select {
			case decoded <- fb:
			case <-ctx.Done():
				return
			}
		}
	}()

	var tx *rmdb.Tx
	table := rmdb.Stored("floor_lines", 1)
	rows := rmdb.NewRows(table, "position", "revision", "at", "stream", "actor", "event_type", "what", "subject", "client")
	subjectsTable := rmdb.Stored("floor_subjects", 1)
	subjects := rmdb.NewRows(subjectsTable, "id", "position")
	type subjectRow struct {
		id  string
		pos int64
	}
	var pending []subjectRow
	flush := func() {
		rows.Flush(tx)
		slices.SortFunc(pending, func(a, b subjectRow) int {
			return cmp.Or(strings.Compare(a.id, b.id), cmp.Compare(a.pos, b.pos))
		})
		for _, r := range pending {
			subjects.Add(tx, r.id, r.pos)
		}
		pending = pending[:0]
		subjects.Flush(tx)
	}
	// The client of a stream, learned from the first event naming it: the
	// one fact about other streams the activity's client index needs.
	clientOf := map[string]string{}
	begin := func() error {
		var err error
		tx, err = db.Begin(ctx)
		if err == nil {
			tx.Pipeline()
		}
		return err
	}
	if err := begin(); err != nil {
		return 0, err
	}
	if *flagFloorSubjects {
		tx.Exec("CREATE TABLE " + subjectsTable + " (id TEXT NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (id, position)) WITHOUT ROWID")
	}
	tx.Exec("CREATE TABLE " + table + " (position INTEGER PRIMARY KEY, revision BIGINT NOT NULL, at BIGINT NOT NULL, stream TEXT NOT NULL, actor TEXT NOT NULL, event_type TEXT NOT NULL, what TEXT NOT NULL, subject TEXT NOT NULL, client TEXT)")
	n, inTx := 0, 0
	for fb := range decoded {
		if fb.err != nil {
			tx.Rollback()
			return n, fb.err
		}
		for i, e := range fb.evs {
			if !fb.ok[i] {
				continue
			}
			rec := fb.recs[i]
			subject := rec.Stream[strings.IndexByte(rec.Stream, '-')+1:]
			client, known := clientOf[rec.Stream]
			if !known {
				if strings.HasPrefix(rec.Stream, "client-") {
					client = subject
				} else if j := bytes.Index(rec.Data, []byte(`"client_id":"`)); j >= 0 && len(rec.Data) >= j+13+36 {
					client = string(rec.Data[j+13 : j+13+36])
				}
				if client != "" {
					clientOf[rec.Stream] = client
				}
			}
			var c any
			if client != "" {
				c = client
			}
			var at int64
			if !e.Metadata.RecordedAt.IsZero() {
				at = e.Metadata.RecordedAt.UnixNano()
			}
			if *flagFloorSubjects {
				pending = append(pending, subjectRow{subject, int64(rec.Position)})
				if client != "" && client != subject {
					pending = append(pending, subjectRow{client, int64(rec.Position)})
				}
				subject, c = "", nil
			}
			rows.Add(tx, int64(rec.Position), int64(rec.Revision), at, rec.Stream, e.Metadata.Actor, rec.Type, rec.Type, subject, c)
			n++
		}
		inTx += len(fb.recs)
		if inTx >= 8*follow.DefaultBatch {
			flush()
			if err := tx.Commit(); err != nil {
				return n, err
			}
			if err := begin(); err != nil {
				return n, err
			}
			inTx = 0
		}
	}
	flush()
	if !*flagFloorSubjects {
		tx.Exec("CREATE INDEX " + table + "_subject ON " + table + " (subject, position)")
		tx.Exec("CREATE INDEX " + table + "_client ON " + table + " (client, position)")
	}
	if err := tx.Commit(); err != nil {
		return n, err
	}
	closed = true
	return n, db.Close()
}
