package rmdb_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"remit/eventstore/postgres/pgtest"
	"remit/projections/rmdb"
)

type doc struct {
	Name string `json:"name"`
}

// eachDB runs f on a SQLite file and on PostgreSQL.
func eachDB(t *testing.T, f func(t *testing.T, db *rmdb.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		db, err := rmdb.OpenSQLite(filepath.Join(t.TempDir(), "rm.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		f(t, db)
	})
	t.Run("postgres", func(t *testing.T) {
		db, err := rmdb.OpenPostgres(context.Background(), pgtest.MustDatabase(t), "")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		f(t, db)
	})
}

func TestDocsWriteInTheTransactionAndReadThroughTheView(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		spec := rmdb.DocsSpec[doc]{Name: "things", Columns: []rmdb.Column[doc]{
			{Name: "name_key", Type: "TEXT", Value: func(_ string, d *doc) any { return d.Name }},
		}, Indexes: []string{"name_key"}, CacheSize: 2}
		d := rmdb.NewDocs(spec, 1)
		err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
			tx.CreateTables(1, []rmdb.Table{d.Table()})
			tx.ServeViews(1, []rmdb.Table{d.Table()})
			tx.Register("things", 1, 1)
			tx.Serve("things", 1)
			return tx.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		// A rolled-back batch leaves nothing, in the table or the cache.
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		d.Put("a", &doc{Name: "Acme"})
		d.Flush(tx)
		tx.Rollback()
		d.Discard()
		tx, _ = db.Begin(ctx)
		if got := d.Get(tx, "a"); got != nil {
			t.Errorf("after a rollback, Get = %+v", got)
		}
		for _, k := range []string{"a", "b", "c"} { // more than the cache holds
			d.Put(k, &doc{Name: "name " + k})
		}
		d.Flush(tx)
		tx.Advance("things", 1, 0, 7)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		tx, _ = db.Begin(ctx)
		if got := d.Get(tx, "a"); got == nil || got.Name != "name a" {
			t.Errorf("evicted document read back = %+v", got)
		}
		// A checkpoint not where this writer left it fails the transaction.
		tx.Advance("things", 1, 3, 9)
		if err := tx.Commit(); !errors.Is(err, rmdb.ErrCheckpointMoved) {
			t.Errorf("advance from a stale checkpoint: %v, want ErrCheckpointMoved", err)
		}
		v, ok, err := d.Load(ctx, db, "b")
		if err != nil || !ok || v.Name != "name b" {
			t.Errorf("Load = %+v %v %v", v, ok, err)
		}
		found, err := d.Find(ctx, db, "WHERE name_key >= ? ORDER BY name_key", "name b")
		if err != nil || len(found) != 2 {
			t.Errorf("Find = %+v %v", found, err)
		}
		regs, err := db.Registrations(ctx)
		if err != nil || len(regs) != 1 || regs[0].Checkpoint != 7 {
			t.Errorf("registry = %+v %v", regs, err)
		}
	})
}

func TestOneLeaseHolderAtATime(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		first, ok, err := db.TryLease(ctx)
		if err != nil || !ok {
			t.Fatalf("first lease: %v %v", ok, err)
		}
		if _, ok, err := db.TryLease(ctx); err != nil || ok {
			t.Fatalf("a second lease while the first is held: %v %v", ok, err)
		}
		first.Release()
		again, ok, err := db.TryLease(ctx)
		if err != nil || !ok {
			t.Fatalf("lease after release: %v %v", ok, err)
		}
		again.Release()
	})
}

func TestRebindNumbersPlaceholdersOnPostgres(t *testing.T) {
	db, err := rmdb.OpenSQLite(filepath.Join(t.TempDir(), "rm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.Rebind("a = ? AND b = ?"); got != "a = ? AND b = ?" {
		t.Errorf("SQLite rebind = %q", got)
	}
}

// TestDocsCacheByBytesWhileFilling: while filling, a Docs with
// FillCacheBytes keeps documents decoded by their JSON size, beyond its
// CacheSize, and evicts the least recently used ones past that size; after
// the fill it keeps CacheSize documents again. (A document still cached is
// seen by Get as the writer left it, even when its row was changed behind
// the writer's back, which is how the test tells.)
func TestDocsCacheByBytesWhileFilling(t *testing.T) {
	ctx := context.Background()
	db, err := rmdb.OpenSQLite(filepath.Join(t.TempDir(), "rm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d := rmdb.NewDocs(rmdb.DocsSpec[doc]{Name: "things", CacheSize: 2, FillCacheBytes: 100}, 1)
	if err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		tx.CreateTables(1, []rmdb.Table{d.Table()})
		return tx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	write := func(keys ...string) { // each document is 17 bytes of JSON
		t.Helper()
		if err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
			for _, k := range keys {
				d.Put(k, &doc{Name: "name " + k})
			}
			d.Flush(tx)
			// Behind the writer's back: what Get reads when it is not cached.
			tx.Exec("UPDATE " + rmdb.Stored("things", 1) + ` SET doc = '{"name":"changed"}'`)
			return tx.Err()
		}); err != nil {
			t.Fatal(err)
		}
	}
	cached := func(k string) bool {
		t.Helper()
		var got *doc
		if err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
			got = d.Get(tx, k)
			return tx.Err()
		}); err != nil || got == nil {
			t.Fatalf("Get %s: %+v %v", k, got, err)
		}
		return got.Name != "changed"
	}
	d.SetFilling(true)
	write("a", "b", "c", "d", "e") // 85 bytes
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		if !cached(k) {
			t.Errorf("while filling, %s (of 85 bytes in all) was evicted", k)
		}
	}
	write("f", "g", "h") // 136 bytes: the least recently used go
	if cached("a") || !cached("h") {
		t.Errorf("past FillCacheBytes: a cached %v, h cached %v", cached("a"), cached("h"))
	}
	d.SetFilling(false)
	write("i", "j", "k")
	if cached("i") || !cached("k") {
		t.Errorf("after the fill, CacheSize 2: i cached %v, k cached %v", cached("i"), cached("k"))
	}
}

// TestDeferrableColumnsAreWrittenOnceAFillCompletes: a document a fill
// writes in two of its transactions has its Deferrable column NULL after
// the second (readers derive it from the document) and, after
// CompleteFill, computed from the document as the fill left it; a column
// not deferrable is kept up to date throughout, and outside fills
// everything is written at once.
func TestDeferrableColumnsAreWrittenOnceAFillCompletes(t *testing.T) {
	ctx := context.Background()
	db, err := rmdb.OpenSQLite(filepath.Join(t.TempDir(), "rm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	computed := 0
	d := rmdb.NewDocs(rmdb.DocsSpec[doc]{Name: "things", Columns: []rmdb.Column[doc]{
		{Name: "plain", Type: "TEXT", Value: func(_ string, v *doc) any { return v.Name }},
		{Name: "costly", Type: "TEXT", Deferrable: true, Value: func(_ string, v *doc) any { computed++; return "costly " + v.Name }},
	}}, 1)
	if err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		tx.CreateTables(1, []rmdb.Table{d.Table()})
		return tx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	put := func(k, name string) {
		t.Helper()
		if err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
			d.Put(k, &doc{Name: name})
			d.Flush(tx)
			return tx.Err()
		}); err != nil {
			t.Fatal(err)
		}
	}
	row := func(k string) (plain, costly string) {
		t.Helper()
		var c *string
		if err := db.QueryRow(ctx, "SELECT plain, costly FROM "+rmdb.Stored("things", 1)+" WHERE key = ?", k).Scan(&plain, &c); err != nil {
			t.Fatal(err)
		}
		if c != nil {
			costly = *c
		}
		return plain, costly
	}
	d.SetFilling(true)
	put("a", "one")
	put("b", "only")
	put("a", "two")
	if p, c := row("a"); p != "two" || c != "" {
		t.Errorf("a written again in the fill: plain %q, costly %q (want two, NULL)", p, c)
	}
	if p, c := row("b"); p != "only" || c != "costly only" {
		t.Errorf("b written once: plain %q, costly %q", p, c)
	}
	if err := d.CompleteFill(ctx, db); err != nil {
		t.Fatal(err)
	}
	d.SetFilling(false)
	if p, c := row("a"); p != "two" || c != "costly two" {
		t.Errorf("after CompleteFill: plain %q, costly %q", p, c)
	}
	if computed != 3 {
		t.Errorf("the costly column was computed %d times, want 3 (a once in the fill, b, a at the end)", computed)
	}
	put("a", "three")
	put("a", "four")
	if _, c := row("a"); c != "costly four" {
		t.Errorf("outside a fill: costly %q", c)
	}
}
