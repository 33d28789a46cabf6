package app_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
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

// TestPayNowWithACardNotKeptSaysSo: a client with no method on file pays an
// invoice on the pay-now page with a card they do not keep. The staff's
// invoice page (audit trail, payments, attempts) and the API's invoice say
// the client paid through the pay-now page with that card (brand and last
// four digits, as the gateway described it), not "from no payment method"
// or "Client's default (none on file)".
func TestPayNowWithACardNotKeptSaysSo(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	a := mustOpenApp(t, dir, now)
	meta, must := commandHelpers(t)
	svc := a.Billing
	must(svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney"}, meta("firm")))
	c := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Acme Pty Ltd", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@acme.example"}}}, meta("client"))).ID
	inv := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c,
		Lines: []billing.InstantLine{{Description: "Tax return", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(500), TaxRate: decimal.NewFromInt(10)}},
	}, meta("invoice"))).ID

	hc := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// The read models may not show the invoice yet: ask until they do.
	var link struct{ URL string }
	var resp *http.Response
	var err error
	for deadline := time.Now().Add(20 * time.Second); link.URL == ""; time.Sleep(50 * time.Millisecond) {
		if resp, err = hc.Post(a.URL()+"/api/invoices/"+inv.String()+"/payment-link", "application/json", nil); err != nil {
			t.Fatal(err)
		}
		_ = json.NewDecoder(resp.Body).Decode(&link)
		resp.Body.Close()
		if link.URL == "" && time.Now().After(deadline) {
			t.Fatalf("no payment link: %d", resp.StatusCode)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, link.URL, strings.NewReader(neturl.Values{"_token": {"0f000000-0000-4000-8000-000000000003"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", a.URL())
	if resp, err = hc.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sid := strings.TrimPrefix(resp.Header.Get("Location"), "/sandbox-gateway/checkout/")
	if _, err := a.Payments.Sandbox.CompleteForTest(ctx, sid, payments.TypeCard, neturl.Values{"number": {"4242424242424242"}, "expiry": {"12/30"}, "cvc": {"123"}}); err != nil {
		t.Fatal(err)
	}
	if resp, err = hc.Get(link.URL + "/paid?session=" + sid); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	var view struct {
		Status   string
		Payments []struct {
			Through  string
			PaidWith *struct{ Kind, Brand, Last4, Label string } `json:"paid_with"`
		}
		Attempts []struct{ Through string }
		Audit    []struct{ Text string }
	}
	raw := get(t, hc, a.URL()+"/api/invoices/"+inv.String())
	if err := json.Unmarshal([]byte(raw), &view); err != nil || view.Status != "paid" {
		t.Fatalf("the invoice after paying: %v %s", err, raw)
	}
	if len(view.Payments) != 1 || view.Payments[0].Through != "pay_now" || len(view.Attempts) != 1 || view.Attempts[0].Through != "pay_now" {
		t.Errorf("the API's payments %+v and attempts %+v, want one each through pay_now", view.Payments, view.Attempts)
	} else if pw := view.Payments[0].PaidWith; pw == nil || pw.Kind != "card" || pw.Brand != "visa" || pw.Last4 != "4242" || pw.Label != "Visa •••• 4242" {
		t.Errorf("the API's payment was made with %+v, want the Visa ending 4242", pw)
	}
	if !strings.Contains(raw, "paid by the client on 10 Mar 2026 through the pay-now page with Visa •••• 4242, not kept on file") || strings.Contains(raw, "from no payment method") {
		t.Errorf("the API's audit trail does not say how the client paid: %+v", view.Audit)
	}
	// The client's receipt names the card too (bounded wait for the outbox).
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		receipt := ""
		files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
		for _, f := range files {
			raw, _ := os.ReadFile(f)
			if text := strings.NewReplacer("=\r\n", "", "=\n", "").Replace(string(raw)); strings.Contains(text, "We received your payment") {
				receipt = text
			}
		}
		if strings.Contains(receipt, "from Visa ending 4242 for invoice INV-000001") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no receipt naming the card in %s/outbox: %q", dir, receipt)
		}
	}
	// The payments' CSV export says so too.
	csvReq, _ := http.NewRequest(http.MethodGet, a.URL()+"/api/invoices/"+inv.String()+"/payments", nil)
	csvReq.Header.Set("Accept", "text/csv")
	if resp, err = hc.Do(csvReq); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if err != nil || len(rows) != 2 {
		t.Fatalf("the payments CSV: %v %q", err, rows)
	}
	col := map[string]string{}
	for i, h := range rows[0] {
		col[h] = rows[1][i]
	}
	if col["through"] != "pay_now" || col["paid_with"] != "Visa •••• 4242" || col["amount"] != "550.00" {
		t.Errorf("the payments CSV's row: %v", col)
	}
	page := get(t, hc, a.URL()+"/invoices/"+inv.String())
	for _, want := range []string{"through the pay-now page with Visa •••• 4242, not kept on file", "Visa •••• 4242 through the pay-now page (not kept on file)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the staff invoice page lacks %q", want)
		}
	}
	for _, wrong := range []string{"from no payment method", "Client&#39;s default (none on file)</td>"} {
		if strings.Contains(page, wrong) {
			t.Errorf("the staff invoice page says %q of the pay-now payment", wrong)
		}
	}
}
