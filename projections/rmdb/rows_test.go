package rmdb_test

import (
	"context"
	"fmt"
	"testing"

	"remit/projections/rmdb"
)

// Rows written many per statement (or by COPY on PostgreSQL) land exactly
// as added, past the most placeholders one statement may hold (20,000 rows
// of 4 columns are 80,000 values); upserts replace the rows of their keys;
// a rolled-back batch leaves none.
func TestRowsWriteEveryRowAcrossTheParameterLimit(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		table := rmdb.Table{Name: "things", Columns: []string{"key TEXT PRIMARY KEY", "n BIGINT NOT NULL", "label TEXT NOT NULL", "note TEXT"}}
		err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
			tx.CreateTables(1, []rmdb.Table{table})
			tx.ServeViews(1, []rmdb.Table{table})
			return tx.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		const n = 20000
		key := func(i int) string { return fmt.Sprintf("k%05d", i) }
		rows := rmdb.NewRows(rmdb.Stored("things", 1), "key", "n", "label", "note")

		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 300 {
			rows.Add(tx, key(i), int64(i), "dropped", nil)
		}
		tx.Rollback()
		rows.Discard()

		err = db.WriteTx(ctx, func(tx *rmdb.Tx) error {
			for i := range n {
				var note any
				if i%3 == 0 {
					note = "third"
				}
				rows.Add(tx, key(i), int64(i), "label "+key(i), note)
			}
			rows.Flush(tx)
			return tx.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		var count, sum, notes int64
		err = db.QueryRow(ctx, `SELECT COUNT(*), SUM(n), COUNT(note) FROM rm_things WHERE label = 'label ' || key`).Scan(&count, &sum, &notes)
		if err != nil {
			t.Fatal(err)
		}
		if count != n || sum != n*(n-1)/2 || notes != (n+2)/3 {
			t.Errorf("rows = %d (sum %d, %d notes), want %d (sum %d, %d notes)", count, sum, notes, n, n*(n-1)/2, (n+2)/3)
		}

		// Upserts: a few hundred keys already there and as many new ones.
		up := rmdb.NewUpsertRows(rmdb.Stored("things", 1), "key", "key", "n", "label", "note")
		err = db.WriteTx(ctx, func(tx *rmdb.Tx) error {
			for i := n - 300; i < n+300; i++ {
				up.Add(tx, key(i), int64(-1), "upserted", nil)
			}
			up.Flush(tx)
			return tx.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		var upserted, all int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM rm_things WHERE label = 'upserted' AND n = -1 AND note IS NULL`).Scan(&upserted); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM rm_things`).Scan(&all); err != nil {
			t.Fatal(err)
		}
		if upserted != 600 || all != n+300 {
			t.Errorf("after the upserts: %d upserted, %d rows; want 600, %d", upserted, all, n+300)
		}
	})
}

// A generation's tables made for a fill have no secondary index until
// CreateIndexes, which makes each once however often it is called, except
// the indexes its writer reads while applying (ApplyIndexes), which it has
// from the start.
func TestCreateIndexesAfterAFill(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		tables := []rmdb.Table{{Name: "things", Columns: []string{"key TEXT PRIMARY KEY", "a TEXT", "b BIGINT"}, Indexes: []string{"a", "b, a"}, ApplyIndexes: []string{"b"}}}
		q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name LIKE ?`
		if db.Dialect() == rmdb.Postgres {
			q = `SELECT COUNT(*) FROM pg_indexes WHERE indexname LIKE ?`
		}
		count := func(like string) int {
			t.Helper()
			var n int
			if err := db.QueryRow(ctx, q, like).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		indexes := func() int { return count("rm_things_g3_i%") }
		applyIndexes := func() int { return count("rm_things_g3_a%") }
		err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
			tx.CreateTablesForFill(3, tables)
			return tx.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := indexes(); n != 0 {
			t.Fatalf("%d indexes before the fill's end, want 0", n)
		}
		if n := applyIndexes(); n != 1 {
			t.Fatalf("%d indexes the writer reads while filling, want 1", n)
		}
		for range 2 {
			err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
				tx.CreateIndexes(3, tables)
				return tx.Err()
			})
			if err != nil {
				t.Fatal(err)
			}
			if n, a := indexes(), applyIndexes(); n != 2 || a != 1 {
				t.Fatalf("%d indexes and %d apply indexes after CreateIndexes, want 2 and 1", n, a)
			}
		}
	})
}
