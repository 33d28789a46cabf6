package rmdb_test

import (
	"context"
	"path/filepath"
	"testing"

	"remit/projections/rmdb"
)

// MustSQLite opens read models in a new SQLite file, closed when tb ends.
func MustSQLite(tb testing.TB) *rmdb.DB {
	tb.Helper()
	db, err := rmdb.OpenSQLite(filepath.Join(tb.TempDir(), "rm.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// MustCreateForFill creates the tables of generation 1 for a fill and
// marks them filled from empty; the returned function ends that.
func MustCreateForFill(tb testing.TB, db *rmdb.DB, tables ...rmdb.Table) (end func()) {
	tb.Helper()
	err := db.WriteTx(context.Background(), func(tx *rmdb.Tx) error {
		tx.CreateTablesForFill(1, tables)
		return tx.Err()
	})
	if err != nil {
		tb.Fatal(err)
	}
	var stored []string
	for _, t := range tables {
		stored = append(stored, rmdb.Stored(t.Name, 1))
	}
	return db.FillFromEmpty(stored)
}

// MustGet is d.Get of key in a transaction of its own.
func MustGet(tb testing.TB, db *rmdb.DB, d *rmdb.Docs[doc], key string) *doc {
	tb.Helper()
	var got *doc
	err := db.WriteTx(context.Background(), func(tx *rmdb.Tx) error {
		got = d.Get(tx, key)
		return tx.Err()
	})
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

// A fill from empty answers "none" for a key its writer never wrote without
// reading the table (a row slipped in behind the writer's back, which the
// contract of FillFromEmpty rules out, is not seen), still reads the keys
// it wrote and evicted from its cache, and asks the table again once the
// fill ended or its writer lost track (Discard).
func TestFillFromEmptyReadsOnlyWhatItWrote(t *testing.T) {
	db := MustSQLite(t)
	d := rmdb.NewDocs(rmdb.DocsSpec[doc]{Name: "things", CacheSize: 1}, 1)
	end := MustCreateForFill(t, db, d.Table())
	tx, err := db.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tx.Pipeline()
	d.Put("a", &doc{Name: "Acme"})
	d.Flush(tx)
	d.Put("b", &doc{Name: "Beta"}) // evicts "a" from the one-document cache
	d.Flush(tx)
	tx.Exec("INSERT INTO "+rmdb.Stored("things", 1)+" (key, doc) VALUES (?, ?)", "intruder", `{"name":"Intruder"}`)
	intruder, a := d.Get(tx, "intruder"), d.Get(tx, "a")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if intruder != nil {
		t.Errorf("a key the fill never wrote was read from the table: %+v", intruder)
	}
	if a == nil || a.Name != "Acme" {
		t.Errorf("a key written and evicted: got %+v, want Acme", a)
	}

	d.Discard() // the writer lost track: it reads the table again
	if MustGet(t, db, d, "intruder") == nil {
		t.Error("after Discard, a row in the table was not read")
	}
	end() // once the fill ended, another writer reads the table
	if MustGet(t, db, rmdb.NewDocs(rmdb.DocsSpec[doc]{Name: "things"}, 1), "intruder") == nil {
		t.Error("after the fill, a row in the table was not read")
	}
}

// In a fill from empty, a Deferrable column is computed once per document,
// by CompleteFill, not at its first write as well.
func TestFillFromEmptyDefersCostlyColumnsFromTheFirstWrite(t *testing.T) {
	ctx := context.Background()
	db := MustSQLite(t)
	computed := 0
	d := rmdb.NewDocs(rmdb.DocsSpec[doc]{Name: "things", Columns: []rmdb.Column[doc]{
		{Name: "costly", Type: "TEXT", Deferrable: true, Value: func(_ string, v *doc) any { computed++; return "costly " + v.Name }},
	}}, 1)
	end := MustCreateForFill(t, db, d.Table())
	d.SetFilling(true)
	for _, name := range []string{"one", "two"} {
		if err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
			d.Put("a", &doc{Name: name})
			d.Flush(tx)
			return tx.Err()
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.CompleteFill(ctx, db); err != nil {
		t.Fatal(err)
	}
	d.SetFilling(false)
	end()
	var c string
	if err := db.QueryRow(ctx, "SELECT costly FROM "+rmdb.Stored("things", 1)+" WHERE key = ?", "a").Scan(&c); err != nil {
		t.Fatal(err)
	}
	if c != "costly two" || computed != 1 {
		t.Errorf("costly %q computed %d times, want \"costly two\" once", c, computed)
	}
}
