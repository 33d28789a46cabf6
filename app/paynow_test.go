package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain/client"
	"remit/integrations/payments"
)

// TestPayNowThroughServe runs the wired app: an invoice to a client with no
// method on file is emailed with its pay-now link; the API signs another;
// the client's page sends "Pay now" to the sandbox's hosted page, the client
// pays there, comes back, and the invoice is paid.
func TestPayNowThroughServe(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	a := mustOpenApp(t, dir, now)
	meta, must := commandHelpers(t)
	svc := a.Billing
	must(svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney"}, meta("firm")))
	c := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Acme Pty Ltd", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@acme.example"}}}, meta("client"))).ID
	inv := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c,
		Lines: []billing.InstantLine{{Description: "Tax return", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(500), TaxRate: decimal.NewFromInt(10)}},
	}, meta("invoice"))).ID

	// The invoice email carries the link (bounded wait for the outbox).
	deadline := time.Now().Add(20 * time.Second)
	for found := false; !found; {
		files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
		for _, f := range files {
			raw, _ := os.ReadFile(f)
			found = found || strings.Contains(string(raw), "https://billing.example.com/c/i/")
		}
		if !found && time.Now().After(deadline) {
			t.Fatalf("no invoice email with a pay-now link in %s/outbox", dir)
		}
		time.Sleep(50 * time.Millisecond)
	}

	hc := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Post(a.URL()+"/api/invoices/"+inv.String()+"/payment-link", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var link struct{ URL string }
	_ = json.NewDecoder(resp.Body).Decode(&link)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(link.URL, a.URL()+"/c/i/") {
		t.Fatalf("payment link: %d %q", resp.StatusCode, link.URL)
	}
	page := get(t, hc, link.URL)
	if !strings.Contains(page, "Pay A$550.00 now") {
		t.Fatalf("the pay-now page offers no payment:\n%s", page)
	}
	req, _ := http.NewRequest(http.MethodPost, link.URL, strings.NewReader(neturl.Values{"_token": {"0f000000-0000-4000-8000-000000000001"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", a.URL())
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	gw := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(gw, "/sandbox-gateway/checkout/") {
		t.Fatalf("Pay now answered %d to %q, want the sandbox's page", resp.StatusCode, gw)
	}
	if !strings.Contains(get(t, hc, a.URL()+gw), "Sandbox test gateway") {
		t.Fatal("the sandbox's hosted page is not served")
	}
	sid := strings.TrimPrefix(gw, "/sandbox-gateway/checkout/")
	if _, err := a.Payments.Sandbox.CompleteForTest(ctx, sid, payments.TypeCard, neturl.Values{"number": {"4242424242424242"}, "expiry": {"12/30"}, "cvc": {"123"}}); err != nil {
		t.Fatal(err)
	}
	resp, err = hc.Get(link.URL + "/paid?session=" + sid)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the return answered %d", resp.StatusCode)
	}
	var view struct{ Status string }
	raw := get(t, hc, a.URL()+"/api/invoices/"+inv.String())
	if err := json.Unmarshal([]byte(raw), &view); err != nil || view.Status != "paid" {
		t.Fatalf("the invoice after paying: %v %s", err, raw)
	}
}

func get(t *testing.T, hc *http.Client, u string) string {
	t.Helper()
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", u, resp.StatusCode, b)
	}
	return string(b)
}
