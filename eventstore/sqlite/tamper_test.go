package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/eventstore/storetest"

	_ "github.com/mattn/go-sqlite3"
)

// tamperFixture is a closed store of ten events across three streams:
//
//	1-3 client-a, 4-5 invoice-b, 6-7 client-a, 8-10 service-c
type tamperFixture struct {
	dir    string
	events []eventstore.RecordedEvent // as read back before any tampering, by position-1
}

func mustTamperFixture(t *testing.T) tamperFixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.MustAppend(t, s, "client-a", eventstore.NoStream, storetest.Events("ClientAdded", 1, 3)...)
	storetest.MustAppend(t, s, "invoice-b", eventstore.NoStream, storetest.Events("InvoiceIssued", 4, 2)...)
	storetest.MustAppend(t, s, "client-a", eventstore.Exact(2), storetest.Events("ClientRenamed", 6, 2)...)
	storetest.MustAppend(t, s, "service-c", eventstore.NoStream, storetest.Events("ServiceAgreed", 8, 3)...)
	evs, err := s.ReadAll(ctx, 1, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 10 {
		t.Fatalf("fixture has %d events, want 10", len(evs))
	}
	for i := range evs { // ReadAll leaves hashes out; fetch them
		if evs[i].Hash, err = s.HashAt(ctx, evs[i].Position); err != nil || len(evs[i].Hash) != eventstore.HashSize {
			t.Fatalf("hash at %d: %x, %v", evs[i].Position, evs[i].Hash, err)
		}
	}
	return tamperFixture{dir: dir, events: evs}
}

// edit opens the fixture's database file directly, as an attacker (or a
// careless operator) would, and runs fn on it.
func (f tamperFixture) edit(t *testing.T, fn func(db *sql.DB)) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(f.dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fn(db)
}

// verify opens the store (read-only, as `remit audit verify` does) and walks
// the chain.
func (f tamperFixture) verify(t *testing.T) (sqlite.VerifyReport, error) {
	t.Helper()
	s, err := sqlite.Open(f.dir, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return s.Verify(context.Background())
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	res, err := db.Exec(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s: no row changed", q)
	}
}

func mustEnvelope(t *testing.T, db *sql.DB, pos uint64) []byte {
	t.Helper()
	var env []byte
	if err := db.QueryRow(`SELECT envelope FROM events WHERE position = ?`, pos).Scan(&env); err != nil {
		t.Fatalf("read envelope %d: %v", pos, err)
	}
	return env
}

// withData returns env with the event's data replaced.
func withData(t *testing.T, env []byte, data string) []byte {
	t.Helper()
	var e eventstore.RecordedEvent
	if err := eventstore.DecodeEnvelope(env, &e); err != nil {
		t.Fatal(err)
	}
	e.Data = []byte(data)
	return eventstore.EncodeEnvelope(&e)
}

// wantChainError asserts err is a *sqlite.ChainError at position pos, naming
// that position's event, with a problem mentioning each of words.
func wantChainError(t *testing.T, err error, pos uint64, ev eventstore.RecordedEvent, words ...string) {
	t.Helper()
	var ce *sqlite.ChainError
	if !errors.As(err, &ce) {
		t.Fatalf("Verify: %v, want a *sqlite.ChainError at position %d", err, pos)
	}
	if ce.Position != pos {
		t.Errorf("chain error names position %d, want %d: %v", ce.Position, pos, ce)
	}
	if ce.EventID != ev.ID.String() {
		t.Errorf("chain error names event %s, want %s (position %d): %v", ce.EventID, ev.ID, pos, ce)
	}
	for _, w := range words {
		if !strings.Contains(ce.Problem, w) {
			t.Errorf("chain error's problem %q does not mention %q", ce.Problem, w)
		}
	}
	if !strings.Contains(ce.Error(), fmt.Sprintf("position %d", pos)) {
		t.Errorf("chain error message %q does not name position %d", ce.Error(), pos)
	}
}

func TestVerifyIntact(t *testing.T) {
	f := mustTamperFixture(t)
	rep, err := f.verify(t)
	if err != nil {
		t.Fatalf("Verify of an untouched store: %v", err)
	}
	// The chain recomputed here from the stored envelopes, independently of
	// Verify, must end in the hash Verify reports.
	var prev []byte
	f.edit(t, func(db *sql.DB) {
		for _, e := range f.events {
			h := eventstore.ChainHash(prev, e.Position, mustEnvelope(t, db, e.Position))
			if string(h[:]) != string(e.Hash) {
				t.Errorf("position %d: stored hash %x, recomputed %x", e.Position, e.Hash, h)
			}
			prev = h[:]
		}
	})
	want := sqlite.VerifyReport{Events: 10, Head: 10, HeadHash: hex.EncodeToString(prev)}
	if rep != want {
		t.Errorf("Verify = %+v, want %+v", rep, want)
	}

	empty, err := sqlite.Open(t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	if rep, err := empty.Verify(context.Background()); err != nil || rep != (sqlite.VerifyReport{}) {
		t.Errorf("Verify of an empty store = %+v, %v; want a zero report and no error", rep, err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, f tamperFixture, db *sql.DB)
		pos    uint64   // where Verify must say the chain breaks
		event  uint64   // original position of the event stored there now (0: pos)
		words  []string // in the problem
	}{
		{
			name: "DataAltered",
			tamper: func(t *testing.T, f tamperFixture, db *sql.DB) {
				env := withData(t, mustEnvelope(t, db, 4), `{"n":4000}`)
				mustExec(t, db, `UPDATE events SET envelope = ? WHERE position = 4`, env)
			},
			pos: 4, words: []string{"hash does not match"},
		},
		{
			name: "DataByteFlipped",
			tamper: func(t *testing.T, f tamperFixture, db *sql.DB) {
				env := mustEnvelope(t, db, 7)
				i := strings.LastIndex(string(env), "7") // the 7 in {"n":7}
				env[i] = '9'
				mustExec(t, db, `UPDATE events SET envelope = ? WHERE position = 7`, env)
			},
			pos: 7, words: []string{"hash does not match"},
		},
		{
			name: "StreamColumnAltered",
			tamper: func(t *testing.T, f tamperFixture, db *sql.DB) {
				mustExec(t, db, `UPDATE events SET stream = 'client-z' WHERE position = 6`)
			},
			pos: 6, words: []string{"disagree"},
		},
		{
			name: "MiddleEventDeleted",
			tamper: func(t *testing.T, f tamperFixture, db *sql.DB) {
				mustExec(t, db, `DELETE FROM events WHERE position = 5`)
			},
			// The first event Verify can name is the one after the gap; the
			// problem names the removed position.
			pos: 6, words: []string{"5..5", "removed"},
		},
		{
			name: "FirstEventDeleted",
			tamper: func(t *testing.T, f tamperFixture, db *sql.DB) {
				mustExec(t, db, `DELETE FROM events WHERE position = 1`)
			},
			pos: 2, words: []string{"1..1", "removed"},
		},
		{
			// Reordering: two rows swap everything but their positions, so
			// each row is self-consistent and only the chain shows it.
			name: "RowsSwapped",
			tamper: func(t *testing.T, f tamperFixture, db *sql.DB) {
				swapRows(t, db, 3, 8)
			},
			pos: 3, event: 8, words: []string{"hash does not match"},
		},
		{
			// Only the envelopes and hashes swap, the indexed columns stay.
			name: "EnvelopesAndHashesSwapped",
			tamper: func(t *testing.T, f tamperFixture, db *sql.DB) {
				env2, env9 := mustEnvelope(t, db, 2), mustEnvelope(t, db, 9)
				mustExec(t, db, `UPDATE events SET envelope = ?, hash = ? WHERE position = 2`, env9, f.events[8].Hash)
				mustExec(t, db, `UPDATE events SET envelope = ?, hash = ? WHERE position = 9`, env2, f.events[1].Hash)
			},
			pos: 2, words: []string{"disagree"},
		},
		{
			// The altered event gets a freshly computed, valid-looking hash;
			// the next event's link no longer matches.
			name: "ForgedHash",
			tamper: func(t *testing.T, f tamperFixture, db *sql.DB) {
				env := withData(t, mustEnvelope(t, db, 5), `{"n":5000}`)
				h := eventstore.ChainHash(f.events[3].Hash, 5, env)
				mustExec(t, db, `UPDATE events SET envelope = ?, hash = ? WHERE position = 5`, env, h[:])
			},
			pos: 6, words: []string{"hash does not match"},
		},
		{
			name: "LastEventDataAltered",
			tamper: func(t *testing.T, f tamperFixture, db *sql.DB) {
				env := withData(t, mustEnvelope(t, db, 10), `{"n":10,"x":1}`)
				mustExec(t, db, `UPDATE events SET envelope = ? WHERE position = 10`, env)
			},
			pos: 10, words: []string{"hash does not match"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := mustTamperFixture(t)
			f.edit(t, func(db *sql.DB) { tc.tamper(t, f, db) })
			_, err := f.verify(t)
			event := tc.event
			if event == 0 {
				event = tc.pos
			}
			wantChainError(t, err, tc.pos, f.events[event-1], tc.words...)
		})
	}
}

// TestVerifyTruncatedTail: removing the newest events leaves a valid shorter
// chain, which Verify cannot tell from the real one; the head hash it reports
// (to be recorded elsewhere) is what exposes it.
func TestVerifyTruncatedTail(t *testing.T) {
	f := mustTamperFixture(t)
	before, err := f.verify(t)
	if err != nil {
		t.Fatal(err)
	}
	f.edit(t, func(db *sql.DB) { mustExec(t, db, `DELETE FROM events WHERE position >= 9`) })
	after, err := f.verify(t)
	if err != nil {
		t.Fatalf("Verify of a truncated chain: %v", err)
	}
	if after.Events != 8 || after.Head != 8 || after.HeadHash == before.HeadHash ||
		after.HeadHash != hex.EncodeToString(f.events[7].Hash) {
		t.Errorf("Verify after truncation = %+v (before %+v); want 8 events, head 8, the head hash of position 8", after, before)
	}
}

// swapRows swaps the contents of two rows, keeping their positions.
func swapRows(t *testing.T, db *sql.DB, a, b uint64) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	type row struct {
		id, env, hash        []byte
		stream, typ          string
		revision, recordedAt int64
	}
	read := func(pos uint64) row {
		var r row
		err := tx.QueryRow(`SELECT id, stream, revision, type, recorded_at, envelope, hash FROM events WHERE position = ?`, pos).
			Scan(&r.id, &r.stream, &r.revision, &r.typ, &r.recordedAt, &r.env, &r.hash)
		if err != nil {
			t.Fatalf("read row %d: %v", pos, err)
		}
		return r
	}
	ra, rb := read(a), read(b)
	if _, err := tx.Exec(`DELETE FROM events WHERE position IN (?, ?)`, a, b); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		pos uint64
		r   row
	}{{a, rb}, {b, ra}} {
		_, err := tx.Exec(`INSERT INTO events(position, id, stream, revision, type, recorded_at, envelope, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			p.pos, p.r.id, p.r.stream, p.r.revision, p.r.typ, p.r.recordedAt, p.r.env, p.r.hash)
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestReadOnlyBesideWriter: a read-only open of a folder a writer holds can
// read and verify, sees the writer's later appends, and cannot append.
func TestReadOnlyBesideWriter(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := MustOpen(t, dir, sqlite.Options{})
	storetest.MustAppend(t, w, "client-a", eventstore.NoStream, storetest.Events("ClientAdded", 1, 3)...)
	storetest.MustAppend(t, w, "invoice-b", eventstore.NoStream, storetest.Events("InvoiceIssued", 4, 2)...)

	r, err := sqlite.Open(dir, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open beside a writer: %v", err)
	}
	defer r.Close()

	evs, err := r.ReadAll(ctx, 1, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil || len(evs) != 5 {
		t.Fatalf("read-only ReadAll = %d events, %v; want 5", len(evs), err)
	}
	stream, err := r.ReadStream(ctx, "invoice-b", 0, eventstore.Forward, 0)
	if err != nil || len(stream) != 2 || stream[1].Position != 5 {
		t.Fatalf("read-only ReadStream = %+v, %v; want 2 events ending at position 5", stream, err)
	}
	rep, err := r.Verify(ctx)
	if err != nil || rep.Events != 5 || rep.Head != 5 || rep.HeadHash != hex.EncodeToString(stream[1].Hash) {
		t.Fatalf("read-only Verify = %+v, %v; want 5 events, head 5", rep, err)
	}
	if _, err := r.Append(ctx, "client-a", eventstore.Any, storetest.Event("ClientRenamed", 9)); err == nil {
		t.Error("append through a read-only store succeeded")
	}

	// While the writer keeps appending, every Verify sees a consistent,
	// intact prefix of the log.
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 50 {
			if _, err := w.Append(ctx, "service-c", eventstore.Any, storetest.Events("ServiceAgreed", i, 1+i%4)...); err != nil {
				t.Errorf("append: %v", err)
				return
			}
		}
	})
	for range 20 {
		if _, err := r.Verify(ctx); err != nil {
			t.Errorf("read-only Verify while the writer appends: %v", err)
			break
		}
	}
	wg.Wait()
	head, _ := w.Head(ctx)
	rep, err = r.Verify(ctx)
	if err != nil || rep.Head != head || rep.Events != head {
		t.Errorf("read-only Verify after the writer stopped = %+v, %v; want head %d", rep, err, head)
	}
	if rh, err := r.Head(ctx); err != nil || rh != head {
		t.Errorf("read-only Head = %d, %v; want %d", rh, err, head)
	}
}
