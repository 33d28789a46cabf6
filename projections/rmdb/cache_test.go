package rmdb_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"remit/projections/rmdb"
)

// TestWriterHoldsTheFillCacheOnlyWhileFilling: the SQLite writer's page
// cache is 16 MiB for the live apply, 64 MiB from the first transaction
// after SetFilling(true), and 16 MiB again after SetFilling(false), so a
// server that filled its read models at start does not keep the fill's
// cache for as long as it runs.
func TestWriterHoldsTheFillCacheOnlyWhileFilling(t *testing.T) {
	db, err := rmdb.OpenSQLite(filepath.Join(t.TempDir(), "rm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cacheKiB := func() int64 {
		t.Helper()
		var n int64
		if err := db.WriteTx(context.Background(), func(tx *rmdb.Tx) error {
			tx.QueryRow("PRAGMA cache_size", nil, &n)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return -n
	}
	if got := cacheKiB(); got != 16<<10 {
		t.Errorf("live: %d KiB, want 16 MiB", got)
	}
	db.SetFilling(true)
	if got := cacheKiB(); got != 64<<10 {
		t.Errorf("filling: %d KiB, want 64 MiB", got)
	}
	db.SetFilling(false)
	if got := cacheKiB(); got != 16<<10 {
		t.Errorf("after the fill: %d KiB, want 16 MiB", got)
	}
}

// TestWriterMapsTheFileOnlyWhileFilling: a fill's transactions read the
// SQLite file through a memory map (writerFillCache), and SetFilling(false)
// unmaps it at once, before any other transaction, so a server idle after
// filling its read models at start does not count the file's pages in its
// resident memory. Read from the process's own mappings (Linux); each
// phase opens the file anew, so its pages are read from the file, not
// found in the writer's cache.
func TestWriterMapsTheFileOnlyWhileFilling(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/maps")
	}
	path := filepath.Join(t.TempDir(), "rm.db")
	open := func() *rmdb.DB {
		t.Helper()
		db, err := rmdb.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	write := func(db *rmdb.DB) {
		t.Helper()
		if err := db.WriteTx(context.Background(), func(tx *rmdb.Tx) error {
			tx.Exec("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT)")
			tx.Exec("INSERT INTO t (v) VALUES (?)", "a row")
			var n int64
			tx.QueryRow("SELECT count(*) FROM t", nil, &n)
			return tx.Err()
		}); err != nil {
			t.Fatal(err)
		}
	}
	mapped := func() bool {
		t.Helper()
		maps, err := os.ReadFile("/proc/self/maps")
		if err != nil {
			t.Fatal(err)
		}
		// The file itself, not its WAL index (path-shm), which WAL mode maps.
		for line := range strings.Lines(string(maps)) {
			if strings.HasSuffix(strings.TrimSuffix(line, "\n"), " "+path) {
				return true
			}
		}
		return false
	}
	db := open()
	write(db)
	db.Close() // folds the WAL into the file
	db = open()
	defer func() { db.Close() }()
	write(db)
	if mapped() {
		t.Error("live: the file is mapped")
	}
	db.Close()
	db = open()
	db.SetFilling(true)
	write(db)
	if !mapped() {
		t.Error("filling: the file is not mapped")
	}
	db.SetFilling(false)
	if mapped() {
		t.Error("after the fill, before any transaction: the file is still mapped")
	}
	write(db)
	if mapped() {
		t.Error("after the fill: the file is mapped")
	}
}
