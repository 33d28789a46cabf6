package sqlitemem_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"remit/internal/sqlitemem"
)

// mustTable makes a SQLite file of about 24 MB (rows of 1 KB) and returns
// its path.
func mustTable(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "t.db")
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	pad := strings.Repeat("x", 1000)
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT)`); err != nil {
		tb.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	for i := range 24_000 {
		if _, err := tx.Exec(`INSERT INTO t VALUES (?, ?)`, i, pad); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// scanWithBigCaches reads the whole table on each of n connections whose
// page caches may each hold 64 MiB, and returns how much SQLite's memory
// grew while the connections were open.
func scanWithBigCaches(tb testing.TB, path string, n int) int64 {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_cache_size=-65536")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	before := sqlitemem.Used()
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	var conns []*sql.Conn
	for range n {
		c, err := db.Conn(tb.Context())
		if err != nil {
			tb.Fatal(err)
		}
		conns = append(conns, c)
		var total int
		if err := c.QueryRowContext(tb.Context(), `SELECT sum(length(pad)) FROM t`).Scan(&total); err != nil {
			tb.Fatal(err)
		}
		if total != 24_000_000 {
			tb.Fatalf("read %d bytes, want 24,000,000", total)
		}
	}
	used := sqlitemem.Used() - before
	for _, c := range conns {
		c.Close()
	}
	return used
}

// Connections whose own page-cache bounds add up to far more than the soft
// limit hold about the limit between them, and read every row all the same.
func TestSoftLimitBoundsThePageCaches(t *testing.T) {
	path := mustTable(t)
	prev, err := sqlitemem.SetSoftLimit(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlitemem.SetSoftLimit(prev) })

	unbounded := scanWithBigCaches(t, path, 2)
	if unbounded < 40<<20 {
		t.Fatalf("without a limit two scans of a 24 MB table held %d bytes; want the test to fill both caches (≥ 40 MiB)", unbounded)
	}

	const limit = 8 << 20
	if _, err := sqlitemem.SetSoftLimit(limit); err != nil {
		t.Fatal(err)
	}
	if got, err := sqlitemem.SoftLimit(); err != nil || got != limit {
		t.Fatalf("SoftLimit() = %d, %v; want %d", got, err, limit)
	}
	bounded := scanWithBigCaches(t, path, 2)
	if bounded > limit+4<<20 {
		t.Errorf("under an 8 MiB soft limit two scans held %s; want about the limit (without it: %s)", mib(bounded), mib(unbounded))
	}
	t.Logf("what two scans added to SQLite's memory: %s without a limit, %s under 8 MiB", mib(unbounded), mib(bounded))
}

func TestSoftLimitRefusesNegative(t *testing.T) {
	if _, err := sqlitemem.SetSoftLimit(-1); err == nil {
		t.Fatal("SetSoftLimit(-1): no error")
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
