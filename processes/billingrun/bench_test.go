package billingrun_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/numbering"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/eventstore/storeurl"
	"remit/integrations/payments/sandbox"
	"remit/processes/billingrun"
	"remit/projections"
	"remit/projections/rmdb"
)

var (
	benchItems   = flag.Int("billingrun.items", 100000, "due items in BenchmarkRun (the issue's target: 100000 in under 20 s)")
	benchWorkers = flag.Int("billingrun.workers", 0, "appends in flight in BenchmarkRun (0: Run's default)")
	benchProfile = flag.String("billingrun.runprofile", "", "write a CPU profile of the timed run (not the set-up) to this file")
	benchAllocs  = flag.String("billingrun.runallocs", "", "write a heap profile (alloc_space counts everything allocated up to the end of the timed run) to this file")
	benchTrace   = flag.String("billingrun.runtrace", "", "write an execution trace of the timed run (not the set-up, nor the catch-up after it) to this file")
	benchRunOnly = flag.Bool("billingrun.runonly", false, "BenchmarkBill: time the first run only, without applying its events to the read models or running again")
	benchFixture = flag.String("billingrun.fixture", "", "keep the set-up store in this folder and start from a copy of it when it is there (set-up takes minutes at 100000 items)")
)

// BenchmarkRun measures a whole billing run over -billingrun.items due
// items (default 100,000) on the embedded store in a temporary folder:
// clients with two automatic monthly services from 1 and 2 March, billed as
// of 2 April, so 4 items per client and one invoice per item, each dated 2
// April (the firm does not group items; grouped, the three caught-up items
// would join the fourth on one invoice): each item is marked billed,
// numbered, issued and its collection scheduled. The run
// reads the read models of the data folder (built with the set-up, as
// `remit serve` keeps them) through an Index opened as `remit bill` opens
// it, so opening and reading them is timed; set-up (through billing, many
// commands at once) is not. It reports
// invoices/s, s/run and cpu-s/run (user+system CPU of the whole process
// during the run: on a shared machine, wall time also counts other
// people's work).
func BenchmarkRun(b *testing.B) {
	asOf := domain.MustDate(2025, 4, 2)
	clients := *benchItems / 4
	for b.Loop() {
		b.StopTimer()
		f := benchFixtureFor(b, asOf, clients)
		stop := startProfile(b)
		cpu0 := cpuTime()
		b.StartTimer()
		t0 := time.Now()
		var steps []string
		last := t0
		step := func(name string) {
			steps = append(steps, fmt.Sprintf("%s %.1fs", name, time.Since(last).Seconds()))
			last = time.Now()
		}
		idx, closeIndex := benchIndex(b, f.store, f.dir)
		rep, err := billingrun.Run(context.Background(), f.store, f.svc, asOf, billingrun.Options{Index: idx, Workers: *benchWorkers, Step: step})
		closeIndex()
		el := time.Since(t0)
		b.StopTimer()
		cpu := cpuTime() - cpu0
		stop()
		if err != nil || len(rep.Errors) > 0 || rep.Items != 4*clients || rep.Issued != 4*clients {
			b.Fatalf("run: %v %v, %+v", err, rep.Errors, rep)
		}
		b.ReportMetric(float64(rep.Issued)/el.Seconds(), "invoices/s")
		b.ReportMetric(el.Seconds(), "s/run")
		b.ReportMetric(cpu.Seconds(), "cpu-s/run")
		b.Logf("%d items, %d invoices issued, %d collections scheduled in %s (%s of CPU); steps: %s", rep.Items, rep.Issued, rep.CollectionsScheduled,
			el.Round(time.Millisecond), cpu.Round(time.Millisecond), strings.Join(steps, ", "))
		checkExactlyOnce(b, f.store, rep.Items)
		b.StartTimer()
	}
}

// benchFixtureFor returns a fixture whose store holds the firm and clients
// with two services each, and whose data folder holds the read models of
// that store (as `remit serve` keeps them): a copy of -billingrun.fixture's
// when it has one for as many clients, else set up afresh (and kept there
// when asked).
func benchFixtureFor(b *testing.B, asOf domain.Date, clients int) *fixture {
	b.Helper()
	dir := b.TempDir()
	var cached string
	if *benchFixture != "" {
		cached = filepath.Join(*benchFixture, fmt.Sprintf("clients-%d", clients))
		if _, err := os.Stat(filepath.Join(cached, sqlite.FileName)); err == nil {
			copyFile(b, filepath.Join(cached, sqlite.FileName), filepath.Join(dir, sqlite.FileName))
			f := &fixture{tb: b, dir: dir, clk: &clock{}}
			f.clk.setDay(asOf)
			f.open()
			b.Cleanup(func() { f.store.Close() })
			benchReadModels(b, f, cached)
			return f
		}
	}
	f := &fixture{tb: b, dir: dir, clk: &clock{}}
	f.clk.setDay(asOf)
	f.open()
	b.Cleanup(func() { f.store.Close() })
	f.MustSetUpFirm(false, 0) // one invoice per item
	start := time.Now()
	setUpClients(f, clients, 128)
	b.Logf("set-up of %d clients, %d services: %s", clients, 2*clients, time.Since(start).Round(time.Millisecond))
	if cached != "" {
		if err := f.store.Close(); err != nil { // checkpoints the WAL into the file
			b.Fatal(err)
		}
		if err := os.MkdirAll(cached, 0o755); err != nil {
			b.Fatal(err)
		}
		copyFile(b, filepath.Join(dir, sqlite.FileName), filepath.Join(cached, sqlite.FileName))
		f.open()
	}
	benchReadModels(b, f, cached)
	return f
}

// benchReadModels puts the read models of f's store in its data folder: a
// copy of the cache folder's for this version of the projections, else
// built from the log (and kept there when there is a cache folder).
func benchReadModels(b *testing.B, f *fixture, cache string) {
	b.Helper()
	var versions []string
	for _, sp := range (&projections.Models{}).Specs() {
		versions = append(versions, fmt.Sprintf("%s%d", sp.Name, sp.Version))
	}
	name := "readmodels-" + strings.Join(versions, "-") + ".db"
	file := filepath.Join(f.dir, storeurl.ReadModelsFile)
	if cache != "" {
		if _, err := os.Stat(filepath.Join(cache, name)); err == nil {
			copyFile(b, filepath.Join(cache, name), file)
			return
		}
	}
	start := time.Now()
	db, err := rmdb.OpenSQLite(file)
	if err != nil {
		b.Fatal(err)
	}
	idx, err := billingrun.OpenIndexOn(context.Background(), f.store, db, projections.RunnerOptions{})
	if err == nil {
		err = idx.Update(context.Background())
		err = errors.Join(err, idx.Close())
	}
	if err = errors.Join(err, db.Close()); err != nil {
		b.Fatal(err)
	}
	b.Logf("read models of the set-up built in %s", time.Since(start).Round(time.Millisecond))
	if cache != "" {
		copyFile(b, file, filepath.Join(cache, name))
	}
}

// benchIndex opens the read models in f's data folder as `remit bill` does;
// the returned func closes them.
func benchIndex(b *testing.B, s eventstore.Store, dir string) (*billingrun.Index, func()) {
	b.Helper()
	ctx := context.Background()
	db, err := storeurl.OpenReadModels(ctx, "", "", storeurl.Options{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	idx, err := billingrun.OpenIndexOn(ctx, s, db, projections.RunnerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return idx, func() {
		if err := errors.Join(idx.Close(), db.Close()); err != nil {
			b.Error(err)
		}
	}
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	in, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// maxRSS is the process's peak resident set so far, in MB.
func maxRSS() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // kB on Linux
}

func setUpClients(f *fixture, n, workers int) {
	ctx := context.Background()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Go(func() {
			for c := int(next.Add(1) - 1); c < n; c = int(next.Add(1) - 1) {
				id := f.ok(f.svc.CreateClient(ctx, billing.ClientRequest{Name: fmt.Sprintf("Client %d", c), Kind: client.KindBusiness,
					Contacts: []client.Contact{{Name: "Accounts", Email: "accounts@client.test"}}}, staff())).ID
				f.ok(f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: id, Method: client.PaymentMethodDetails{
					Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: sandbox.TokenCardSucceeds, Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2030,
				}}, staff()))
				for s := range 2 {
					f.MustService(id, fmt.Sprintf("Service %d", s), every(domain.FrequencyMonths, domain.MustDate(2025, 3, 1+s)), true)
				}
			}
		})
	}
	wg.Wait()
}

// startProfile starts the CPU profile of -billingrun.runprofile and the
// execution trace of -billingrun.runtrace, if asked, and returns what stops
// them.
func startProfile(b *testing.B) func() {
	var stops []func()
	if *benchProfile != "" {
		out, err := os.Create(*benchProfile)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(out); err != nil {
			b.Fatal(err)
		}
		stops = append(stops, func() { pprof.StopCPUProfile(); out.Close() })
	}
	if *benchTrace != "" {
		out, err := os.Create(*benchTrace)
		if err != nil {
			b.Fatal(err)
		}
		if err := trace.Start(out); err != nil {
			b.Fatal(err)
		}
		stops = append(stops, func() { trace.Stop(); out.Close() })
	}
	if *benchAllocs != "" {
		stops = append(stops, func() {
			// The profile is as of the last collection, and a bulk run
			// collects rarely (BulkGC): without this one it would miss
			// most of the run.
			runtime.GC()
			out, err := os.Create(*benchAllocs)
			if err != nil {
				b.Fatal(err)
			}
			defer out.Close()
			if err := pprof.Lookup("allocs").WriteTo(out, 0); err != nil {
				b.Fatal(err)
			}
		})
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}

// BenchmarkBill measures `remit bill` as users run it: the store opened as
// the command opens it (storeurl, the data folder), a billing.Service on the
// real clock (time.Now, so every invoice is planned at its own instant), the
// data folder's read models opened and brought up to date as the command
// does (billingrun.OpenIndexOn), billingrun.Run; then the same again with
// nothing left to do (a re-run for the same date, as a second `remit bill`
// would be). Like the command, each then applies what it appended to the
// read models: that is timed apart (the "read models" step, and s/catchup
// for the first run's). The fixture is BenchmarkRun's (-billingrun.items
// due items, built through billing's commands, and its read models;
// -billingrun.fixture keeps both). It reports s/run and cpu-s/run of the
// first run, the process's peak RSS by its end (MB-peak-rss/run; the set-up
// before it only copies files), s/catchup, and s/rerun of the second; its
// log gives each step's wall time and the process's CPU in it (a step whose
// CPU is near twice its wall time kept both cores busy).
func BenchmarkBill(b *testing.B) {
	asOf := domain.MustDate(2025, 4, 2)
	clients := *benchItems / 4
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		f := benchFixtureFor(b, asOf, clients)
		if err := f.store.Close(); err != nil {
			b.Fatal(err)
		}
		var steps []string
		var rss float64 // the process's peak RSS by the end of the first run, MB
		// bill returns the run's report, wall and CPU time, and the time it
		// then took to apply what it appended to the read models.
		bill := func(profile bool) (billingrun.Report, time.Duration, time.Duration, time.Duration) {
			defer billingrun.BulkGC()() // as the command does
			s, err := storeurl.Open(ctx, "", storeurl.Options{DataDir: f.dir})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			cpu0 := cpuTime()
			t0 := time.Now()
			last, lastCPU := t0, cpu0
			// Each step's wall time and the process's CPU in it: CPU over
			// wall near 2 on 2 cores means both worked.
			step := func(name string) {
				cpu := cpuTime()
				steps = append(steps, fmt.Sprintf("%s %.2fs (%.2f cpu-s)", name, time.Since(last).Seconds(), (cpu-lastCPU).Seconds()))
				last, lastCPU = time.Now(), cpu
			}
			svc := billing.New(billing.Config{Store: s, Now: time.Now, NewID: uuid.New})
			stop := func() {}
			if profile {
				stop = startProfile(b)
			}
			idx, closeIndex := benchIndex(b, s, f.dir)
			defer closeIndex()
			rep, err := billingrun.Run(ctx, s, svc, asOf, billingrun.Options{Index: idx, Actor: "cli:bill", Step: step})
			stop()
			if err != nil || len(rep.Errors) > 0 {
				b.Fatalf("run: %v %v", err, rep.Errors)
			}
			step("done")
			el, cpu := time.Since(t0), cpuTime()-cpu0
			if profile {
				rss = maxRSS()
			}
			if *benchRunOnly {
				return rep, el, cpu, 0
			}
			// `remit bill` leaves the read models up to date with what it
			// appended (see app/cli/bill.go): timed apart.
			t1 := time.Now()
			if err := idx.Update(ctx); err != nil {
				b.Fatal(err)
			}
			step("read models")
			return rep, el, cpu, time.Since(t1)
		}
		b.StartTimer()
		rep, el, cpu, catchup := bill(true)
		b.StopTimer()
		again, rerun := billingrun.Report{}, time.Duration(0)
		if !*benchRunOnly {
			again, rerun, _, _ = bill(false)
		}
		if rep.Issued != 4*clients || again.Issued != 0 || again.Items != 0 {
			b.Fatalf("first run %+v, re-run %+v", rep, again)
		}
		b.ReportMetric(el.Seconds(), "s/run")
		b.ReportMetric(cpu.Seconds(), "cpu-s/run")
		b.ReportMetric(catchup.Seconds(), "s/catchup")
		b.ReportMetric(rss, "MB-peak-rss/run")
		b.ReportMetric(rerun.Seconds(), "s/rerun")
		b.Logf("%d items, %d invoices issued in %s (%s of CPU); its events applied to the read models in %s; re-run with nothing to do: %s; steps: %s",
			rep.Items, rep.Issued, el.Round(time.Millisecond), cpu.Round(time.Millisecond), catchup.Round(time.Millisecond), rerun.Round(time.Millisecond),
			strings.Join(steps, ", "))
		f.open()
		checkExactlyOnce(b, f.store, rep.Items)
		blocks, err := f.store.ReadStream(ctx, numbering.StreamName(), 0, eventstore.Forward, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("the numbers of %d invoices were reserved in %d events", rep.Issued, len(blocks))
		b.StartTimer()
	}
}
