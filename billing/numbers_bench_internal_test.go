package billing

import (
	"context"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/eventstore/sqlite"
)

// BenchmarkNumberBookHeap reserves b.N invoice numbers in blocks of
// maxNumberBlock, as billing runs do, and reports the live heap the
// Service holds afterwards per invoice numbered (book-B/invoice) and in all
// (book-MB), with the CPU time per invoice: run with -benchtime 250000x.
func BenchmarkNumberBookHeap(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s := New(Config{Store: st, Now: time.Now, NewID: uuid.New})
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	b.ResetTimer()
	cpu0 := cpuTime()
	for start := 0; start < b.N; start += maxNumberBlock {
		reqs := make([]numberRequest, min(maxNumberBlock, b.N-start))
		for i := range reqs {
			id := uuid.New()
			reqs[i] = numberRequest{InvoiceID: id, Prefix: "INV-", Now: time.Now(), Meta: Meta{Actor: "bench", CommandID: "bench/" + id.String()}}
		}
		if _, err := s.reserveNumbers(ctx, reqs); err != nil {
			b.Fatal(err)
		}
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	after := heap()
	runtime.KeepAlive(s)
	live := float64(after) - float64(before)
	b.ReportMetric(live/float64(b.N), "book-B/invoice")
	b.ReportMetric(live/(1<<20), "book-MB")
	b.ReportMetric(cpu.Seconds()*1e6/float64(b.N), "cpu-µs/invoice")
	b.Logf("%d invoices numbered: the book holds %.1f MB; %s", b.N, live/(1<<20), loadavg())
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadavg is the machine's load average, for the benchmark's log.
func loadavg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load average unknown"
	}
	return "load average " + string(raw[:len(raw)-1])
}
