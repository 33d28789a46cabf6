package rmdb_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"remit/projections/rmdb"
)

// A pipelined transaction's writes are seen by its own reads, a failing
// write fails the commit (and nothing of the transaction is kept), and a
// rollback keeps nothing.
func TestPipelinedWritesAreReadAndFailAtCommit(t *testing.T) {
	ctx := context.Background()
	db, err := rmdb.OpenSQLite(filepath.Join(t.TempDir(), "rm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		tx.Exec("CREATE TABLE t (k TEXT PRIMARY KEY, v BIGINT NOT NULL)")
		return tx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	count := func() int64 {
		var n int64
		if err := db.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.Pipeline()
	args := []any{"a", int64(1)}
	tx.Exec("INSERT INTO t (k, v) VALUES (?, ?)", args...)
	args[0], args[1] = "b", int64(2) // the caller's buffer is reused
	tx.Exec("INSERT INTO t (k, v) VALUES (?, ?)", args...)
	var v int64
	if !tx.QueryRow("SELECT v FROM t WHERE k = ?", []any{"a"}, &v) || v != 1 {
		t.Fatalf("read in the transaction: %d, %v", v, tx.Err())
	}
	tx.Exec("INSERT INTO t (k, v) VALUES (?, ?)", "c", int64(3))
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d rows after the commit, want 3", n)
	}

	tx, err = db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.Pipeline()
	tx.Exec("INSERT INTO t (k, v) VALUES (?, ?)", "d", int64(4))
	tx.Exec("INSERT INTO t (k, v) VALUES (?, ?)", "a", int64(5)) // duplicate key
	tx.Exec("INSERT INTO t (k, v) VALUES (?, ?)", "e", int64(6))
	if err := tx.Commit(); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("commit after a failed write: %v", err)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d rows after a failed commit, want 3", n)
	}

	tx, err = db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.Pipeline()
	tx.Exec("INSERT INTO t (k, v) VALUES (?, ?)", "f", int64(7))
	tx.Rollback()
	if n := count(); n != 3 {
		t.Fatalf("%d rows after a rollback, want 3", n)
	}
}
