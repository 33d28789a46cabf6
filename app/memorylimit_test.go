package app_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"testing"

	"remit/app"
	"remit/internal/sqlitemem"
)

// TestMemoryLimitWhileTheAppRuns: Config.MemoryLimit is the Go runtime's
// soft memory limit while the app runs, and Close puts back the one it found.
func TestMemoryLimitWhileTheAppRuns(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	const limit = 300 << 20
	a, err := app.Open(context.Background(), app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", NoAuth: true, NoBillingRun: true, MemoryLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("limit while the app runs: %d, want %d", got, limit)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit after Close: %d, want %d as before", got, before)
	}
}

// TestSQLiteMemoryLimitWhileTheAppRuns: Config.SQLiteMemoryLimit is
// SQLite's soft heap limit while the app runs (the store's and the read
// models' page caches under it together), /metrics reports SQLite's memory,
// and Close puts back the limit it found.
func TestSQLiteMemoryLimitWhileTheAppRuns(t *testing.T) {
	before, err := sqlitemem.SoftLimit()
	if err != nil {
		t.Fatal(err)
	}
	const limit = 48 << 20
	a, err := app.Open(context.Background(), app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0", NoAuth: true, NoBillingRun: true, SQLiteMemoryLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sqlitemem.SoftLimit(); err != nil || got != limit {
		t.Errorf("SQLite's limit while the app runs: %d (%v), want %d", got, err, limit)
	}
	resp, err := http.Get(a.MetricsURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`(?m)^remit_sqlite_memory_bytes (\S+)$`).FindSubmatch(raw)
	if m == nil {
		t.Errorf("/metrics has no remit_sqlite_memory_bytes:\n%s", raw)
	} else if v, _ := strconv.ParseFloat(string(m[1]), 64); v <= 0 {
		t.Errorf("remit_sqlite_memory_bytes %s, want the memory the open databases hold (> 0)", m[1])
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := sqlitemem.SoftLimit(); got != before {
		t.Errorf("SQLite's limit after Close: %d, want %d as before", got, before)
	}
}
