package app_test

import (
	"context"
	"runtime/debug"
	"testing"

	"remit/app"
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
