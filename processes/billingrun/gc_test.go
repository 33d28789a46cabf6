package billingrun_test

import (
	"math"
	"runtime/debug"
	"testing"

	"remit/processes/billingrun"
)

// gcSettings reads the collector's target and memory limit without
// changing them.
func gcSettings() (percent int, limit int64) {
	percent = debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

// TestBulkGCRestores checks that BulkGC raises the collector's target under
// a memory limit and that what it returns puts the defaults back.
func TestBulkGCRestores(t *testing.T) {
	if p, l := gcSettings(); p != 100 || l != math.MaxInt64 {
		t.Skipf("GOGC or GOMEMLIMIT set for this test process (%d, %d)", p, l)
	}
	restore := billingrun.BulkGC()
	p, l := gcSettings()
	restore()
	if p <= 100 || l == math.MaxInt64 {
		t.Errorf("during: GC percent %d, memory limit %d; want a larger target under a limit", p, l)
	}
	if p, l := gcSettings(); p != 100 || l != math.MaxInt64 {
		t.Errorf("after: GC percent %d, memory limit %d; want the defaults back", p, l)
	}
}

// TestBulkGCKeepsOperatorSettings checks that an operator's GOGC (here set
// as the runtime would from it) is left alone.
func TestBulkGCKeepsOperatorSettings(t *testing.T) {
	before := debug.SetGCPercent(50)
	defer debug.SetGCPercent(before)
	_, limit := gcSettings()
	restore := billingrun.BulkGC()
	p, l := gcSettings()
	restore()
	if p != 50 || l != limit {
		t.Errorf("GC percent %d, memory limit %d; want the operator's 50 and %d", p, l, limit)
	}
}
