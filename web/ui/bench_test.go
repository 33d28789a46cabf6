package ui_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/web/ui"
)

// BenchmarkClientPage renders the client page (Summary) and the first page
// of the Invoices tab of a client with 1,000 invoices, on the server (no
// network), and reports the p99 of each as p99-ms.
func BenchmarkClientPage(b *testing.B) {
	a := newApp(b)
	id := a.mustClient("Busy Client")
	a.mustCard(id, "pm_card_visa")
	a.mustService(id, "Bookkeeping", "250", date("2025-03-20"), true)
	var last billing.Result
	for i := range 1000 {
		res, err := a.svc.IssueInvoice(context.Background(), billing.IssueInvoiceRequest{ClientID: id, IssueDate: date("2024-01-01").AddDays(i % 400),
			Lines: []billing.InstantLine{{Description: "Work", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(int64(100 + i)), TaxRate: decimal.NewFromInt(10)}}}, a.meta())
		if err != nil {
			b.Fatal(err)
		}
		last = res
	}
	a.wait(last)
	h := ui.New(ui.Config{Billing: a.svc, Models: a.models, Runner: a.runner, Store: a.store, Now: func() time.Time { return now }})
	base := "/clients/" + id.String()
	for _, tab := range []struct{ name, path string }{{"summary", base}, {"invoices", base + "/invoices"}, {"schedule", base + "/schedule"}} {
		path := tab.path
		b.Run(tab.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				rec := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(rec, req)
				took = append(took, time.Since(start))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s = %d", path, rec.Code)
				}
			}
			slices.Sort(took)
			p99 := took[min(len(took)-1, len(took)*99/100)]
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
		})
	}
}
