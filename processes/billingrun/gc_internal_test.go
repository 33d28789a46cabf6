package billingrun

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// TestBulkGCGivesUpNearItsLimit checks that once the live heap passes half
// BulkGC's memory limit, the defaults come back (a limit the live heap
// itself nears makes the collector run back to back).
func TestBulkGCGivesUpNearItsLimit(t *testing.T) {
	if p := debug.SetGCPercent(100); p != 100 {
		debug.SetGCPercent(p)
		t.Skipf("GOGC set for this test process (%d)", p)
	}
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Skipf("GOMEMLIMIT set for this test process (%d)", l)
	}
	live := make([]byte, 4<<20) // well past half of a 1 MiB limit
	restore := bulkGC(1<<20, time.Millisecond)
	defer restore()
	runtime.GC() // the live heap is known after a collection
	deadline := time.Now().Add(10 * time.Second)
	for debug.SetMemoryLimit(-1) != math.MaxInt64 {
		if time.Now().After(deadline) {
			t.Fatal("the memory limit stayed with the live heap past half of it")
		}
		time.Sleep(time.Millisecond)
	}
	p := debug.SetGCPercent(100)
	if p != 100 {
		t.Errorf("GC percent %d after giving up; want the default back", p)
	}
	runtime.KeepAlive(live)
}
