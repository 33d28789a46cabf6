package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"remit/app"
	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/eventstore/idempotency"

	"github.com/shopspring/decimal"
)

// TestRejectedPaymentEmailCarriesAClientLink runs the wired app: a card that
// declines is charged by the billing run, and the rejection email written
// to the outbox carries a signed link to the client's payment-method page.
func TestRejectedPaymentEmailCarriesAClientLink(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	a := mustOpenApp(t, dir, now)
	meta, must := commandHelpers(t)
	svc := a.Billing
	must(svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", RetryAfterDays: []int{3}}, meta("firm")))
	c := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Acme Pty Ltd", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@acme.example"}}}, meta("client"))).ID
	pm := must(svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: c, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: "pm_card_chargeDeclined", Brand: "visa", Last4: "0002", ExpiryMonth: 12, ExpiryYear: 2030,
	}}, meta("card"))).ID
	inv := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, PaymentMethodID: pm,
		Lines: []billing.InstantLine{{Description: "Tax return", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(500), TaxRate: decimal.NewFromInt(10)}},
	}, meta("invoice"))).ID
	must(svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: inv, Date: domain.MustDate(2026, 3, 10), PaymentMethodID: pm}, meta("collect")))

	res := a.Sched.RunOnce(ctx, a.Sched.Index, now)
	if res.Err != nil {
		t.Fatalf("billing run: %+v", res)
	}
	// The outbox writes the rejection email; wait for it (bounded).
	deadline := time.Now().Add(20 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
		for _, f := range files {
			raw, _ := os.ReadFile(f)
			if strings.Contains(string(raw), "declined") {
				if !strings.Contains(string(raw), "https://billing.example.com/c/m/") {
					t.Fatalf("the rejection email has no client link:\n%s", raw)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rejection email in %s/outbox (files %v)", dir, files)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestOpenReportsAnUnusableIdempotencyFile: when the idempotency records
// cannot be opened (here a folder stands where their file goes), Open
// answers an error naming them instead of crashing while it cleans up.
func TestOpenReportsAnUnusableIdempotencyFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, idempotency.RecordsFile), 0o700); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), app.Config{DataDir: dir, Addr: "127.0.0.1:0", NoAuth: true})
	if err == nil {
		a.Close()
		t.Fatal("Open succeeded with no usable idempotency file")
	}
	if !strings.Contains(err.Error(), "idempotency") {
		t.Errorf("error %q does not name the idempotency records", err)
	}
}
