package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/app"
	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/integrations/payments/sandbox"
)

// TestSandboxDisputeThroughTheWiredApp: the wired app charges a card the
// sandbox disputes; the billing run three days later (POST
// /api/billing-runs) records the dispute, the invoice awaits payment again
// and cannot be refunded, and the run after the dispute closes records it
// lost with its fee.
func TestSandboxDisputeThroughTheWiredApp(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(days int) { mu.Lock(); defer mu.Unlock(); now = now.AddDate(0, 0, days) }
	a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", NoAuth: true, PublicURL: "https://billing.example.com", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	meta, must := commandHelpers(t)
	svc := a.Billing
	must(svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney"}, meta("firm")))
	c := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Acme Pty Ltd", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@acme.example"}}}, meta("client"))).ID
	pm := must(svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: c, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: sandbox.TokenCardDisputed, Brand: "visa", Last4: "0259", ExpiryMonth: 12, ExpiryYear: 2030,
	}}, meta("card"))).ID
	inv := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, PaymentMethodID: pm,
		Lines: []billing.InstantLine{{Description: "Tax return", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(500), TaxRate: decimal.NewFromInt(10)}},
	}, meta("invoice"))).ID
	must(svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: inv, Date: domain.MustDate(2026, 3, 10), PaymentMethodID: pm}, meta("collect")))

	base := a.Web.URL()
	post := func(path, body string) int {
		t.Helper()
		res, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	invoice := func() map[string]any {
		t.Helper()
		res, err := http.Get(base + "/api/invoices/" + inv.String())
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	disputes := func(m map[string]any) []any { d, _ := m["disputes"].([]any); return d }

	if code := post("/api/billing-runs", ""); code != http.StatusOK {
		t.Fatalf("billing run: %d", code)
	}
	if m := invoice(); m["status"] != "paid" || len(disputes(m)) != 0 {
		t.Fatalf("after the charge: status %v, disputes %v", m["status"], disputes(m))
	}
	advance(sandbox.DisputeOpenDays)
	post("/api/billing-runs", "")
	m := invoice()
	ds := disputes(m)
	if len(ds) != 1 || ds[0].(map[string]any)["status"] != "open" || m["stored_status"] != "awaiting_payment" {
		t.Fatalf("after the dispute opened: status %v, disputes %v", m["stored_status"], ds)
	}
	if code := post("/api/invoices/"+inv.String()+"/refunds", `{"reason":"goodwill"}`); code != http.StatusConflict {
		t.Fatalf("refund of a disputed payment: %d, want 409", code)
	}
	advance(sandbox.DisputeCloseDays - sandbox.DisputeOpenDays)
	post("/api/billing-runs", "")
	ds = disputes(invoice())
	if len(ds) != 1 || ds[0].(map[string]any)["status"] != "lost" {
		t.Fatalf("after the dispute closed: %v", ds)
	}
}
