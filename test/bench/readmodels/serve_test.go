package readmodels

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var (
	flagLoad   = flag.Duration("readmodels.load", 60*time.Second, "how long BenchmarkServeFootprint drives HTTP load")
	flagRate   = flag.Float64("readmodels.rate", 0, "BenchmarkServeFootprint and BenchmarkQueries: requests per second in all (0: the 50 goroutines send back to back, which saturates the CPU)")
	flagWrites = flag.Float64("readmodels.writes", 0, "BenchmarkServeFootprint and BenchmarkQueries: rounds per second of writes during the load, each creating a client and issuing it an instant bill (through the API; in BenchmarkQueries through billing, on live models) (0: reads only)")
	flagSeedRM = flag.Bool("readmodels.seedrm", false, "BenchmarkServeFootprint: put the shared rebuilt read models in the data folder, so that the first start too finds them (nearly) up to date")
)

// BenchmarkServeFootprint runs the real binary: `go build` of cmd/remit,
// the shared store copied into a fresh data folder (with a user and a read
// token made by `remit user add` and `remit token create`), then `remit
// serve` on it twice: the first start finds no read models and rebuilds them
// from the log; the second finds them up to date (target < 2 s). After the
// second start it reads the server's RSS (target < 300 MB at 1M events),
// drives -readmodels.load (default 60 s) of mixed GETs from 50 goroutines
// (the big client's page through the API, the clients list searched and
// filtered, the invoice list by status; about -readmodels.rate a second in
// all when given, else back to back), with -readmodels.writes rounds a
// second of writes beside them (a client created and billed through the
// API), logs the RSS each minute of it, reads the RSS again, and sends
// SIGTERM (target: exits within 2 s). It reports each, with the HTTP
// latencies (p50/p99 per request kind). The hour of mixed load:
// -readmodels.load 1h -readmodels.rate 100 -readmodels.writes 2.
func BenchmarkServeFootprint(b *testing.B) {
	bs := theStore(b)
	tmp := b.TempDir()
	bin := filepath.Join(tmp, "remit")
	t0 := time.Now()
	if out, err := exec.Command("go", "build", "-o", bin, "remit/cmd/remit").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	b.Logf("built the binary in %s", time.Since(t0).Round(time.Millisecond))
	for b.Loop() {
		b.StopTimer()
		data := filepath.Join(tmp, "data")
		os.RemoveAll(data)
		copyDir(b, bs.dir, data)
		run := func(args ...string) string {
			cmd := exec.Command(bin, append(args, "--data", data)...)
			cmd.Env = append(os.Environ(), "REMIT_PASSWORD=bench-password-long-enough")
			out, err := cmd.CombinedOutput()
			if err != nil {
				b.Fatalf("remit %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			return string(out)
		}
		if *flagSeedRM {
			st, _ := openStore(b)
			theModels(b, st)
			copyFile(b, sharedRMPath(b), filepath.Join(data, "readmodels.db"))
		}
		run("user", "add", "bench@firm.test", "--role", "owner")
		out := strings.TrimSpace(run("token", "create", "--user", "bench@firm.test", "--scope", "read"))
		token := out[strings.LastIndex(out, "\n")+1:]
		out = strings.TrimSpace(run("token", "create", "--user", "bench@firm.test", "--scope", "write"))
		writeToken := out[strings.LastIndex(out, "\n")+1:]

		first := startServe(b, bin, data)
		b.Logf("first start (seeded read models: %v): %.1f s, RSS %s (%s); %s", *flagSeedRM, first.ready.Seconds(), mbKB(first.rss()), first.rssParts(), loadavg())
		firstExit := first.stop(b)
		rm, _ := os.Stat(filepath.Join(data, "readmodels.db"))
		second := startServe(b, bin, data)
		rssStart, partsStart := second.rss(), second.rssParts()
		b.Logf("second start (read models up to date): %.2f s (target < 2 s), RSS %s (%s; %s; target < 300 MB); read models file %s; %s",
			second.ready.Seconds(), mbKB(rssStart), partsStart, second.goMemory(), mb(uint64(sizeOf(rm))), loadavg())
		stopSampling := second.sampleRSS(b, time.Minute)
		wctx, stopWrites := context.WithCancel(context.Background())
		writes := make(chan writeResult, 1)
		go func() { writes <- driveWrites(wctx, second.url, writeToken, *flagWrites) }()
		lat, n, bad := driveLoad(b, second.url, token, bs, *flagLoad)
		stopWrites()
		w := <-writes
		b.Logf("RSS each minute of the load: %s", stopSampling())
		if *flagWrites > 0 {
			b.Logf("writes during the load: %d rounds (client + instant bill), %d failed, command p50 %.1f ms p99 %.1f ms", w.rounds, w.failed, ms(pct(w.lat, 50)), ms(pct(w.lat, 99)))
			if w.failed > 0 {
				b.Errorf("%d write rounds failed: %s", w.failed, w.firstErr)
			}
		}
		rssAfter, partsAfter := second.rss(), second.rssParts()
		goAfter := second.goMemory()
		if *flagHeapProfile != "" {
			second.saveHeapProfile(b, *flagHeapProfile+".serve")
		}
		la := loadavg()
		exit := second.stop(b)
		b.ReportMetric(first.ready.Seconds(), "first-start-s")
		b.ReportMetric(second.ready.Seconds(), "second-start-s")
		b.ReportMetric(float64(rssStart)/1024, "rss-start-MB")
		b.ReportMetric(float64(rssAfter)/1024, "rss-after-load-MB")
		// Per event of the store: what grows with the log shows here.
		b.ReportMetric(float64(rssStart)*1024/float64(max(bs.meta.Events, 1)), "rss-start-B/event")
		b.ReportMetric(float64(rssAfter)*1024/float64(max(bs.meta.Events, 1)), "rss-after-load-B/event")
		b.ReportMetric(exit.Seconds(), "sigterm-exit-s")
		b.ReportMetric(float64(n)/flagLoad.Seconds(), "http-req/s")
		var lines []string
		kinds := make([]string, 0, len(lat))
		for k := range lat {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		for _, k := range kinds {
			ds := lat[k]
			slices.Sort(ds)
			b.ReportMetric(ms(pct(ds, 50)), "http-"+k+"-p50-ms")
			b.ReportMetric(ms(pct(ds, 99)), "http-"+k+"-p99-ms")
			lines = append(lines, fmt.Sprintf("%s n=%d p50 %.2f p99 %.2f ms", k, len(ds), ms(pct(ds, 50)), ms(pct(ds, 99))))
		}
		b.Logf("%s of load: %d requests (%.0f/s), %d not 200; RSS after %s (%s; %s); SIGTERM → exit in %.2f s (target < 2 s; first run's %.2f s); %s; %s",
			*flagLoad, n, float64(n)/flagLoad.Seconds(), bad, mbKB(rssAfter), partsAfter, goAfter, exit.Seconds(), firstExit.Seconds(), la, strings.Join(lines, "; "))
		if bad > 0 {
			b.Errorf("%d requests failed", bad)
		}
		b.StartTimer()
	}
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return 0
	}
	return fi.Size()
}

func mbKB(kb uint64) string { return fmt.Sprintf("%.0f MB", float64(kb)/1024) }

// server is a running `remit serve`.
type server struct {
	cmd   *exec.Cmd
	url   string
	ready time.Duration // from exec to the "serving" line
	done  chan error
	log   *strings.Builder
	mu    *sync.Mutex
	// metrics is the server's metrics listener (--metrics-addr), where
	// its Go runtime's figures are read.
	metrics string
}

var (
	servingLine = regexp.MustCompile(`Remit is serving .* on (http://\S+)`)
	metricsLine = regexp.MustCompile(`Prometheus metrics at (http://\S+)/metrics`)
)

func startServe(b *testing.B, bin, data string) *server {
	b.Helper()
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	s := &server{cmd: cmd, done: make(chan error, 1), log: &strings.Builder{}, mu: &sync.Mutex{}}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.log.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := metricsLine.FindStringSubmatch(sc.Text()); m != nil {
				s.mu.Lock()
				s.metrics = m[1]
				s.mu.Unlock()
			}
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { s.done <- cmd.Wait(); pw.Close() }()
	select {
	case s.url = <-found:
		s.ready = time.Since(t0)
		// The metrics listener's line follows the serving line.
		for i := 0; i < 100 && s.metricsURL() == ""; i++ {
			time.Sleep(20 * time.Millisecond)
		}
	case err := <-s.done:
		b.Fatalf("remit serve exited: %v\n%s", err, s.output())
	case <-time.After(30 * time.Minute):
		cmd.Process.Kill()
		b.Fatalf("remit serve not ready after 30 min\n%s", s.output())
	}
	return s
}

func (s *server) metricsURL() string { s.mu.Lock(); defer s.mu.Unlock(); return s.metrics }

func (s *server) output() string { s.mu.Lock(); defer s.mu.Unlock(); return s.log.String() }

// rss is the server's resident set in kB (/proc/PID/status VmRSS).
func (s *server) rss() uint64 { return s.status()["VmRSS"] }

// rssParts says how the resident set splits: anonymous memory (Go heap,
// SQLite page caches) and file pages (the stores' memory-mapped files,
// which the kernel can drop).
func (s *server) rssParts() string {
	st := s.status()
	return fmt.Sprintf("RssAnon %s, RssFile %s", mbKB(st["RssAnon"]), mbKB(st["RssFile"]))
}

// goMemory says how much of the resident set the Go runtime accounts for,
// from the server's own metrics: the heap in use, everything the runtime
// got from the OS, and the goroutines. What the resident set holds beyond
// the runtime's total is C memory: SQLite's (page caches, schemas,
// statements; remit_sqlite_memory_bytes) and the C allocator's own.
func (s *server) goMemory() string {
	v, err := s.metricValues()
	if err != nil {
		return err.Error()
	}
	sqlite := "SQLite's memory not reported"
	if n, ok := v["remit_sqlite_memory_bytes"]; ok {
		sqlite = fmt.Sprintf("SQLite %.0f MB", n/(1<<20))
	}
	return fmt.Sprintf("Go heap in use %.0f MB, Go runtime from the OS %.0f MB (released back %.0f MB), %s, %d goroutines",
		v["go_memstats_heap_inuse_bytes"]/(1<<20), v["go_memstats_sys_bytes"]/(1<<20), v["go_memstats_heap_released_bytes"]/(1<<20), sqlite, int(v["go_goroutines"]))
}

// memoryBrief is goMemory in short, for the samples each minute: the Go
// heap in use and SQLite's memory, in MB.
func (s *server) memoryBrief() string {
	v, err := s.metricValues()
	if err != nil {
		return "?"
	}
	out := fmt.Sprintf("heap %.0f", v["go_memstats_heap_inuse_bytes"]/(1<<20))
	if n, ok := v["remit_sqlite_memory_bytes"]; ok {
		out += fmt.Sprintf(", SQLite %.0f", n/(1<<20))
	}
	return out
}

// metricValues reads the server's metrics listener: each unlabelled
// series by name.
func (s *server) metricValues() (map[string]float64, error) {
	s.mu.Lock()
	base := s.metrics
	s.mu.Unlock()
	if base == "" {
		return nil, errors.New("no metrics listener")
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	v := map[string]float64{}
	for _, l := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(l); len(f) == 2 && !strings.HasPrefix(l, "#") {
			if x, err := strconv.ParseFloat(f[1], 64); err == nil {
				v[f[0]] = x
			}
		}
	}
	return v, nil
}

// saveHeapProfile writes the server's live heap profile (after a
// collection) to path, from its metrics listener (`go tool pprof path`).
func (s *server) saveHeapProfile(b *testing.B, path string) {
	s.mu.Lock()
	base := s.metrics
	s.mu.Unlock()
	resp, err := http.Get(base + "/debug/pprof/heap?gc=1")
	if err != nil {
		b.Logf("heap profile: %v", err)
		return
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode == http.StatusOK {
		err = os.WriteFile(path, raw, 0o644)
	}
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Logf("heap profile: %s %v", resp.Status, err)
		return
	}
	b.Logf("the server's heap after the load: %s", path)
}

// status reads /proc/PID/status's sizes in kB.
func (s *server) status() map[string]uint64 {
	out := map[string]uint64{}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return out
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && strings.HasSuffix(f[0], ":") {
			if n, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				out[strings.TrimSuffix(f[0], ":")] = n
			}
		}
	}
	return out
}

// stop sends SIGTERM and returns how long the server took to exit.
func (s *server) stop(b *testing.B) time.Duration {
	b.Helper()
	t0 := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	select {
	case err := <-s.done:
		el := time.Since(t0)
		if err != nil {
			b.Errorf("remit serve exited with %v\n%s", err, s.output())
		}
		return el
	case <-time.After(2 * time.Minute):
		s.cmd.Process.Kill()
		b.Fatalf("remit serve still running 2 min after SIGTERM\n%s", s.output())
		return 0
	}
}

// driveLoad sends GETs from 50 goroutines for d and returns the latencies
// by kind, how many requests were sent and how many did not answer 200.
func driveLoad(b *testing.B, base, token string, bs benchStore, d time.Duration) (map[string][]time.Duration, int, int) {
	big := bs.meta.BigClient.String()
	reqs := []struct{ kind, path string }{
		{"client", "/api/clients/" + big},
		{"client-services", "/api/clients/" + big + "/services"},
		{"client-schedule", "/api/clients/" + big + "/schedule"},
		{"client-invoices", "/api/clients/" + big + "/invoices"},
		{"client-activity", "/api/clients/" + big + "/activity"},
		{"clients-search", "/api/clients?search=" + url.QueryEscape("client 4")},
		{"clients-has-overdue", "/api/clients?filter=has_overdue"},
		{"invoices-overdue", "/api/invoices?status=overdue"},
		{"invoices-paid", "/api/invoices?status=paid"},
		{"invoices-awaiting", "/api/invoices?status=awaiting_payment"},
		{"invoices-rejected", "/api/invoices?status=payment_rejected"},
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var next, n, bad atomic.Int64
	var mu sync.Mutex
	lat := map[string][]time.Duration{}
	var wg sync.WaitGroup
	// At -readmodels.rate the goroutines take turns from one ticker (an
	// open loop of about that many requests a second), else they send
	// back to back.
	var tick <-chan time.Time
	if *flagRate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / *flagRate))
		defer t.Stop()
		tick = t.C
	}
	for range 50 {
		wg.Go(func() {
			mine := map[string][]time.Duration{}
			for ctx.Err() == nil {
				if tick != nil {
					select {
					case <-tick:
					case <-ctx.Done():
						continue
					}
				}
				r := reqs[int(next.Add(1)-1)%len(reqs)]
				req, _ := http.NewRequest(http.MethodGet, base+r.path, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("%s: %s", r.path, resp.Status)
					}
				}
				mine[r.kind] = append(mine[r.kind], time.Since(t0))
				n.Add(1)
				if err != nil && bad.Add(1) <= 3 {
					b.Logf("GET %s: %v", r.path, err)
				}
			}
			mu.Lock()
			for k, ds := range mine {
				lat[k] = append(lat[k], ds...)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return lat, int(n.Load()), int(bad.Load())
}

// idField finds the id in a command's answer.
var idField = regexp.MustCompile(`"id":"([^"]+)"`)

type writeResult struct {
	rounds, failed int
	lat            []time.Duration // per command, sorted
	firstErr       error
}

// driveWrites creates a client and issues it an instant bill through the
// API, perSecond rounds a second, until ctx ends: the writes of a firm at
// work beside the reads, so the read models' live loop and the caches are
// exercised while the footprint is measured.
func driveWrites(ctx context.Context, base, token string, perSecond float64) writeResult {
	var res writeResult
	if perSecond <= 0 {
		return res
	}
	hc := &http.Client{Timeout: time.Minute}
	post := func(path, body string) (string, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		t0 := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		res.lat = append(res.lat, time.Since(t0))
		// 202: accepted and recorded, not yet in the read models when the
		// server answered (a loaded server says so rather than wait).
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusAccepted {
			return "", fmt.Errorf("POST %s: %s %s", path, resp.Status, raw)
		}
		m := idField.FindSubmatch(raw)
		if m == nil {
			return "", fmt.Errorf("POST %s: no id in %s", path, raw)
		}
		return string(m[1]), nil
	}
	t := time.NewTicker(time.Duration(float64(time.Second) / perSecond))
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			slices.Sort(res.lat)
			return res
		case <-t.C:
		}
		id, err := post("/api/clients", fmt.Sprintf(`{"name":"Load client %d","kind":"business","contacts":[{"name":"Alice","email":"alice%d@load.example"}]}`, n, n))
		if err == nil {
			_, err = post("/api/invoices", fmt.Sprintf(`{"client_id":%q,"lines":[{"description":"Advice","quantity":"1","unit_price":"450","tax_rate":"10"}]}`, id))
		}
		res.rounds++
		if err != nil && ctx.Err() == nil {
			res.failed++
			if res.firstErr == nil {
				res.firstErr = err
			}
		}
	}
}

// sampleRSS reads the server's RSS every interval until the returned
// function is called, which returns the samples ("0m 95 MB (heap 40,
// SQLite 20), 1m 120 MB (…)…": the Go heap in use and SQLite's memory in MB).
func (s *server) sampleRSS(b *testing.B, every time.Duration) func() string {
	done := make(chan struct{})
	out := make(chan string, 1)
	go func() {
		var parts []string
		t := time.NewTicker(every)
		defer t.Stop()
		for i := 0; ; i++ {
			parts = append(parts, fmt.Sprintf("%dm %s (%s)", i*int(every/time.Minute), mbKB(s.rss()), s.memoryBrief()))
			select {
			case <-done:
				out <- strings.Join(parts, ", ")
				return
			case <-t.C:
			}
		}
	}()
	return func() string { close(done); return <-out }
}

func copyFile(b *testing.B, from, to string) {
	b.Helper()
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// copyDir copies the regular files of from (the store's folder) into to,
// leaving out the writer's lock.
func copyDir(b *testing.B, from, to string) {
	b.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		b.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || e.Name() == "LOCK" || e.Name() == metaFile || strings.HasPrefix(e.Name(), rebuiltFile) {
			continue
		}
		in, err := os.Open(filepath.Join(from, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		out, err := os.Create(filepath.Join(to, e.Name()))
		if err == nil {
			_, err = io.Copy(out, in)
			err = errors.Join(err, out.Close())
		}
		in.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
}
