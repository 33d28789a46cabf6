package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/app"
	"remit/billing"
	"remit/domain/client"
	"remit/domain/firm"
)

// TestRunBillingNowSaysWhatTheJobsDid: the staff UI's "Run billing now" on a
// day with no invoice to issue and no payment to collect, but a payment
// reminder due by the firm's dunning policy, confirms the reminder sent
// rather than "nothing was due"; the second run the same day finds nothing.
func TestRunBillingNowSaysWhatTheJobsDid(t *testing.T) {
	a := openWithReminderDue(t)
	hc := &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	run := func(token string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, a.URL()+"/billing-run", strings.NewReader(neturl.Values{"_token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", a.URL())
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("Run billing now answered %d", resp.StatusCode)
		}
		for _, ck := range resp.Cookies() {
			if v, err := neturl.QueryUnescape(ck.Value); err == nil && strings.HasPrefix(v, "Billing run") {
				return v
			}
		}
		t.Fatalf("Run billing now set no confirmation: %v", resp.Header.Values("Set-Cookie"))
		return ""
	}
	if got, want := run("0f000000-0000-4000-8000-000000000001"), "Billing run for 11 Mar 2026: 1 payment reminder sent."; got != want {
		t.Errorf("first run: %q, want %q", got, want)
	}
	if got, want := run("0f000000-0000-4000-8000-000000000002"), "Billing run for 11 Mar 2026: nothing was due."; got != want {
		t.Errorf("second run: %q, want %q", got, want)
	}
}

// openWithReminderDue is Remit on 11 March 2026 (Sydney), with one invoice
// due on 24 March and a dunning policy that reminds 13 days before the due
// date: the day's run has no invoice to issue and no payment to collect,
// but one reminder to send.
func openWithReminderDue(t *testing.T) *app.App {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC) // 12:00 in Sydney
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", NoAuth: true, PublicURL: "https://billing.example.com", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	meta, must := commandHelpers(t)
	svc := a.Billing
	must(svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14}, meta("firm")))
	// Due on 24 March: a reminder 13 days before, on the 11th.
	must(svc.ChangeDunningPolicy(ctx, firm.DunningPolicy{FinalAction: firm.FinalLeave, RemindBeforeDue: []int{13}}, meta("policy")))
	c := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Acme Pty Ltd", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@acme.example"}}}, meta("client"))).ID
	must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c,
		Lines: []billing.InstantLine{{Description: "Tax return", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(500), TaxRate: decimal.NewFromInt(10)}},
	}, meta("invoice")))
	mu.Lock()
	now = now.AddDate(0, 0, 1)
	mu.Unlock()
	return a

}

// TestBillingRunAPISaysWhatTheJobsDid: POST /api/billing-runs answers what
// the daily jobs did beside billing and collection (here one payment
// reminder sent), and nothing on the second run the same day.
func TestBillingRunAPISaysWhatTheJobsDid(t *testing.T) {
	a := openWithReminderDue(t)
	run := func() []map[string]any {
		t.Helper()
		resp, err := http.Post(a.URL()+"/api/billing-runs", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Jobs []map[string]any `json:"jobs"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /api/billing-runs: %d, %v", resp.StatusCode, err)
		}
		return out.Jobs
	}
	got := run()
	if len(got) != 1 || got[0]["count"] != 1.0 || got[0]["what"] != "payment reminder sent" || got[0]["failed"] != false {
		t.Errorf("first run's jobs: %v, want one payment reminder sent", got)
	}
	if got := run(); got == nil || len(got) != 0 {
		t.Errorf("second run's jobs: %#v, want an empty list", got)
	}
}
