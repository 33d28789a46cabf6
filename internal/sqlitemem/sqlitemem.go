// Package sqlitemem bounds the memory SQLite takes in this process: its one
// job is SQLite's soft heap limit, which every connection of every SQLite
// database the process opens (the embedded event store, the read models,
// sign-in, idempotency) shares.
//
// Each connection's page cache has its own bound (cache_size), and a
// long-running server fills each one as its reads and writes touch pages:
// the sum of those bounds, not what any one request needs, is what the
// caches end up holding. Under the soft limit, once SQLite's allocations
// reach it, a cache that wants another page reuses its own least recently
// used one instead of growing, so the caches together stay near the limit
// whatever their own bounds; SQLite exceeds it rather than fail, so no
// query errs for want of memory, and pages it does not keep are read again
// from the OS's page cache.
package sqlitemem

import (
	"database/sql"
	"fmt"

	// The driver SQLite is linked in through; the limit is that library's.
	_ "github.com/mattn/go-sqlite3"
)

// SetSoftLimit sets SQLite's soft heap limit to bytes (0: none) and
// returns the limit it replaced.
func SetSoftLimit(bytes int64) (previous int64, err error) {
	if bytes < 0 {
		return 0, fmt.Errorf("sqlite soft heap limit %d: must be 0 or more", bytes)
	}
	if previous, err = softHeapLimit(""); err != nil {
		return 0, err
	}
	now, err := softHeapLimit(fmt.Sprintf(" = %d", bytes))
	if err != nil {
		return 0, err
	}
	if now != bytes {
		return previous, fmt.Errorf("sqlite soft heap limit: asked for %d, SQLite keeps %d", bytes, now)
	}
	return previous, nil
}

// SoftLimit is SQLite's soft heap limit in bytes (0: none).
func SoftLimit() (int64, error) { return softHeapLimit("") }

// softHeapLimit runs PRAGMA soft_heap_limit with set (empty: ask only) on a
// connection of its own (the limit is the library's, not a database's) and
// returns the limit it answers.
func softHeapLimit(set string) (int64, error) {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		return 0, fmt.Errorf("sqlite soft heap limit: %w", err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(`PRAGMA soft_heap_limit` + set).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite soft heap limit: %w", err)
	}
	return n, nil
}
