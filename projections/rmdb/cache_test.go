package rmdb_test

import (
	"context"
	"path/filepath"
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
