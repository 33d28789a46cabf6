package rmdb_test

import (
	"context"
	"path/filepath"
	"testing"

	"remit/projections/rmdb"
)

// A fill from empty answers "none" for a key its writer never wrote without
// reading the table (a row slipped in behind the writer's back, which the
// contract of FillFromEmpty rules out, is not seen), still reads the keys
// it wrote and evicted from its cache, and asks the table again once the
// fill ended or its writer lost track (Discard).
func TestFillFromEmptyReadsOnlyWhatItWrote(t *testing.T) {
	ctx := context.Background()
	db, err := rmdb.OpenSQLite(filepath.Join(t.TempDir(), "rm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d := rmdb.NewDocs(rmdb.DocsSpec[doc]{Name: "things", CacheSize: 1}, 1)
	table := rmdb.Stored("things", 1)
	err = db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		tx.CreateTablesForFill(1, []rmdb.Table{d.Table()})
		return tx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	end := db.FillFromEmpty([]string{table})
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.Pipeline()
	d.Put("a", &doc{Name: "Acme"})
	d.Flush(tx)
	d.Put("b", &doc{Name: "Beta"}) // evicts "a" from the one-document cache
	d.Flush(tx)
	tx.Exec("INSERT INTO "+table+" (key, doc) VALUES (?, ?)", "intruder", `{"name":"Intruder"}`)
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

	// The writer lost track: it reads the table again.
	d.Discard()
	err = db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		if got := d.Get(tx, "intruder"); got == nil {
			t.Error("after Discard, a row in the table was not read")
		}
		return tx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}

	// Once the fill ended, another writer reads the table.
	end()
	other := rmdb.NewDocs(rmdb.DocsSpec[doc]{Name: "things"}, 1)
	err = db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		if got := other.Get(tx, "intruder"); got == nil {
			t.Error("after the fill, a row in the table was not read")
		}
		return tx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// In a fill from empty, a Deferrable column is computed once per document,
// by CompleteFill, not at its first write as well.
func TestFillFromEmptyDefersCostlyColumnsFromTheFirstWrite(t *testing.T) {
	ctx := context.Background()
	db, err := rmdb.OpenSQLite(filepath.Join(t.TempDir(), "rm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	computed := 0
	d := rmdb.NewDocs(rmdb.DocsSpec[doc]{Name: "things", Columns: []rmdb.Column[doc]{
		{Name: "costly", Type: "TEXT", Deferrable: true, Value: func(_ string, v *doc) any { computed++; return "costly " + v.Name }},
	}}, 1)
	if err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		tx.CreateTablesForFill(1, []rmdb.Table{d.Table()})
		return tx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	end := db.FillFromEmpty([]string{rmdb.Stored("things", 1)})
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
