package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"remit/eventstore"
	"remit/eventstore/postgres"
	"remit/eventstore/sqlite"
	"remit/eventstore/storetest"

	_ "github.com/mattn/go-sqlite3"
)

// mustEmbedded makes an embedded store in a fresh folder with n events over a
// few streams, in appends of 1 to 100 events, and closes it.
func mustEmbedded(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < n; {
		k := min(1+(i*7)%100, n-i)
		evs := storetest.Events("Thing", i, k)
		evs[0].Metadata = eventstore.Metadata{Actor: "user:alice", CommandID: fmt.Sprint("cmd-", i), CorrelationID: "corr", CausationID: "cause"}
		evs[0].SchemaVersion = 2
		storetest.MustAppend(t, s, fmt.Sprintf("client-%d", i%5), eventstore.Any, evs...)
		i += k
	}
	return dir
}

func mustOpenEmbedded(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(dir, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// An embedded store is copied event for event: positions, envelopes and
// chain hashes preserved, the copy verifies to the source's head hash, and
// the PostgreSQL store carries on appending on the same chain.
func TestImportFromEmbeddedStore(t *testing.T) {
	ctx := context.Background()
	const n = 25_000 // more than two import pages
	src := mustOpenEmbedded(t, mustEmbedded(t, n))
	dst := MustOpen(t, MustDatabase(t), postgres.Options{})

	srcRep, err := src.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := postgres.ImportFrom(ctx, src, dst)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if rep != srcRep || rep.Events != n {
		t.Fatalf("import report %+v, source %+v", rep, srcRep)
	}
	want, err := src.ReadAll(ctx, 0, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := dst.ReadAll(ctx, 0, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("copied %d events, source has %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if string(eventstore.EncodeEnvelope(&w)) != string(eventstore.EncodeEnvelope(&g)) || w.Position != g.Position {
			t.Fatalf("position %d: copied %+v, source %+v", w.Position, g, w)
		}
	}
	for _, p := range []uint64{1, 2, n / 2, n} {
		a, _ := src.HashAt(ctx, p)
		b, _ := dst.HashAt(ctx, p)
		if len(a) == 0 || string(a) != string(b) {
			t.Fatalf("hash at %d: source %x, copy %x", p, a, b)
		}
	}
	// Streams and their revisions came along: appending continues where the
	// embedded store stopped, on the same chain.
	last, err := dst.ReadStream(ctx, "client-0", eventstore.End, eventstore.Backward, 1)
	if err != nil || len(last) != 1 {
		t.Fatalf("read client-0: %v", err)
	}
	res := storetest.MustAppend(t, dst, "client-0", eventstore.Exact(last[0].Revision), storetest.Event("After", 1))
	if res.Position != n+1 || res.Revision != last[0].Revision+1 {
		t.Fatalf("append after import = %+v", res)
	}
	if after, err := dst.Verify(ctx); err != nil || after.Head != n+1 {
		t.Fatalf("verify after import and append = %+v, %v", after, err)
	}

	// A second import is refused: the target is not empty.
	if _, err := postgres.ImportFrom(ctx, src, dst); !errors.Is(err, postgres.ErrTargetNotEmpty) {
		t.Fatalf("import into a non-empty store: err = %v", err)
	}
}

// A source whose chain is broken is not imported, and the target stays
// empty.
func TestImportRefusesBrokenSource(t *testing.T) {
	ctx := context.Background()
	dir := mustEmbedded(t, 50)
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM events WHERE position = 20`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	src := mustOpenEmbedded(t, dir)
	dst := MustOpen(t, MustDatabase(t), postgres.Options{})
	_, err = postgres.ImportFrom(ctx, src, dst)
	var ce *postgres.ChainError
	if !errors.As(err, &ce) || ce.Position != 21 {
		t.Fatalf("import of a broken source: err = %v, want the chain error at 21", err)
	}
	if h := storetest.MustHead(t, dst); h != 0 {
		t.Fatalf("target holds %d events after a refused import", h)
	}
}
