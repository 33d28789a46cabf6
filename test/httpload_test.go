package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"remit/app"
	"remit/domain/user"
	"remit/web/auth"
)

// BenchmarkHTTPCommands is the load test of issue 17: the real program
// (app.Open, wired as `remit serve` wires it, on the embedded store) on
// loopback, driven through its JSON API with a bearer token. Each operation
// is one worker's round: create a client, then issue it an instant bill
// (two commands, each answered once the read models show it). The
// sub-benchmarks run 1, 8 and 64 workers against one server, and report
// commands/s and the p50 and p99 latency of one command; the keyed ones
// send every command with an Idempotency-Key, as a client that retries
// does, so its answer is kept for the retries. cpu-ms/command is the
// process's CPU time (user and system, server and load generator together)
// per command: unlike the rates, it barely moves with the machine's load.
// The outbox emails each invoice behind the requests: emails-behind-ms is
// how long after the last command it had emailed them all, and
// cpu-ms/command+email the CPU per command until then (the fair figure to
// compare two builds by: an outbox that falls further behind leaves more
// of its work out of cpu-ms/command).
//
//	go test -run '^$' -bench BenchmarkHTTPCommands -benchtime 256x ./test/
func BenchmarkHTTPCommands(b *testing.B) {
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DataDir: b.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	owner, err := a.Auth.AddUser(ctx, auth.NewUser{Email: "owner@firm.example", Name: "Olive Owner", Role: user.RoleOwner, Password: "correct horse battery staple"}, "bench")
	if err != nil {
		b.Fatal(err)
	}
	tok, err := a.Auth.CreateToken(ctx, owner, "load", user.ScopeWrite, nil, "bench")
	if err != nil {
		b.Fatal(err)
	}
	hc := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	var keyNo atomic.Int64
	send := func(keyed bool, path string, body any) (map[string]any, error) {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequest(http.MethodPost, a.Web.URL()+path, bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		req.Header.Set("Content-Type", "application/json")
		if keyed {
			req.Header.Set("Idempotency-Key", fmt.Sprintf("load-%d", keyNo.Add(1)))
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusCreated {
			return nil, fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, out)
		}
		var m map[string]any
		return m, json.Unmarshal(out, &m)
	}
	if _, err := send(false, "/api/firm", map[string]any{
		"name": "Ledger & Co", "base_currency": "AUD", "time_zone": "Australia/Sydney", "payment_terms_days": 14,
		"address": map[string]any{"line1": "1 George St", "city": "Sydney", "country": "AU"},
	}); err != nil {
		b.Fatal(err)
	}
	var clientNo atomic.Int64
	round := func(keyed bool) (created, billed time.Duration, err error) {
		n := clientNo.Add(1)
		start := time.Now()
		c, err := send(keyed, "/api/clients", map[string]any{
			"name": fmt.Sprintf("Client %d", n), "kind": "business",
			"contacts": []any{map[string]any{"name": "Alice", "email": fmt.Sprintf("alice%d@client.example", n)}},
		})
		if err != nil {
			return 0, 0, err
		}
		created = time.Since(start)
		start = time.Now()
		_, err = send(keyed, "/api/invoices", map[string]any{
			"client_id": c["id"], "lines": []any{map[string]any{"description": "Advice", "quantity": "1", "unit_price": "1450", "tax_rate": "10"}},
		})
		return created, time.Since(start), err
	}
	runs := []struct {
		name    string
		workers int
		keyed   bool
	}{{"concurrency=1", 1, false}, {"concurrency=8", 8, false}, {"concurrency=64", 64, false}, {"keyed/concurrency=8", 8, true}, {"keyed/concurrency=64", 64, true}}
	for _, run := range runs {
		workers := run.workers
		b.Run(run.name, func(b *testing.B) {
			latencies := make([]time.Duration, 2*b.N)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			cpu0 := processCPU(b)
			start := time.Now()
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						c, bill, err := round(run.keyed)
						if err != nil {
							b.Error(err)
							return
						}
						latencies[2*i], latencies[2*i+1] = c, bill
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			cpu := processCPU(b) - cpu0
			// The commands' emails: the outbox follows the log behind the
			// requests, so how far it falls behind moves its CPU in or out
			// of the window above. Waiting for it to email every invoice
			// counts the work the commands caused, whoever does it when.
			if err := a.Outbox.CatchUp(ctx); err != nil {
				b.Fatal(err)
			}
			drained, cpuAll := time.Since(start)-elapsed, processCPU(b)-cpu0
			b.StopTimer()
			slices.Sort(latencies)
			pct := func(p float64) float64 {
				return float64(latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Microseconds()) / 1000
			}
			b.ReportMetric(float64(2*b.N)/elapsed.Seconds(), "commands/s")
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(2*b.N), "cpu-ms/command")
			b.ReportMetric(float64(drained.Microseconds())/1000, "emails-behind-ms")
			b.ReportMetric(float64(cpuAll.Microseconds())/1000/float64(2*b.N), "cpu-ms/command+email")
		})
	}
}

// processCPU is the CPU time (user and system) the process has used.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
