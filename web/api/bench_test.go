package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
)

// BenchmarkClientSummary measures GET /api/clients/{id} for a client with
// 1,000 invoices under 50 concurrent requests on loopback, and reports the
// p50 and p99 latencies (target p99 under 20 ms).
func BenchmarkClientSummary(b *testing.B) {
	a := newApp(b)
	a.mustSetUpFirm()
	clientID := uuid.MustParse(a.mustCreateClient("Acme"))
	ctx := context.Background()
	var last billing.Result
	for i := range 1000 {
		res, err := a.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: clientID, Lines: []billing.InstantLine{{
			Description: fmt.Sprintf("Work %d", i), Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(100), TaxRate: decimal.NewFromInt(10),
		}}}, billing.Meta{Actor: "bench", CommandID: fmt.Sprintf("bench-invoice-%d", i)})
		if err != nil {
			b.Fatalf("issue invoice %d: %v", i, err)
		}
		last = res
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := a.runner.WaitFor(wctx, last.Position); err != nil {
		b.Fatalf("wait for projections: %v", err)
	}
	sum := a.must(http.StatusOK, "GET", "/api/clients/"+clientID.String(), nil)
	if n := get(b, sum, "open_invoices").(float64); n != 1000 {
		b.Fatalf("%v open invoices, want 1000", n)
	}

	const workers = 50
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}}
	url := a.server.URL() + "/api/clients/" + clientID.String()
	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				start := time.Now()
				resp, err := hc.Get(url)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				latencies[i] = time.Since(start)
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
