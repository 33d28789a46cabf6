package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/app"
	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
	domledger "remit/domain/ledger"
	"remit/integrations/accounting/xero"
	"remit/integrations/accounting/xero/xerotest"
	"remit/processes/ledgersync"
)

// TestInvoiceAndPaymentReachXero runs the wired app connected to Xero (a
// server validating every request against Xero's published spec): an issued
// invoice and its payment are pushed once each, and the invoice shows it.
func TestInvoiceAndPaymentReachXero(t *testing.T) {
	xs := xerotest.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a, err := app.Open(ctx, app.Config{DataDir: dir, Addr: "127.0.0.1:0", NoAuth: true, NoOutbox: true, NoBillingRun: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	meta, must := commandHelpers(t)
	svc := a.Billing
	must(svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "NZD", TimeZone: "Pacific/Auckland"}, meta("firm")))
	if err := xero.Connect(dir, xero.FileConfig{TenantID: xs.TenantID, ClientID: xs.ClientID, ClientSecret: xs.ClientSecret,
		BaseURL: xs.URL, TokenURL: xs.TokenURL, Token: xero.Token{RefreshToken: xs.RefreshToken()}}); err != nil {
		t.Fatal(err)
	}
	must(ledgersync.Connect(ctx, a.Store, dir, ledgersync.ConnectRequest{Provider: "xero", TenantID: xs.TenantID, Now: now,
		Mapping: domledger.Mapping{RevenueAccount: "200", ClearingAccount: "091", TaxTypes: map[string]string{"15": "OUTPUT2"}}}, meta("connect")))

	c := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Kiwi Exports Ltd", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@kiwi.example"}}}, meta("client"))).ID
	inv := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c,
		Lines: []billing.InstantLine{{Description: "Annual accounts", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(1000), TaxRate: decimal.NewFromInt(15)}},
	}, meta("invoice"))).ID
	paid := must(svc.RecordOfflinePayment(ctx, billing.InvoiceRequest{InvoiceID: inv, Amount: decimal.NewFromInt(1150), Method: invoice.PaidByBankTransfer,
		Date: domain.MustDate(2026, 3, 10), Reference: "DD-1"}, meta("paid")))

	if err := a.Ledger.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Ledger.WaitFor(ctx, paid.Position); err != nil {
		t.Fatal(err)
	}
	if got := len(xs.Invoices()); got != 1 {
		t.Fatalf("Xero holds %d invoices, want 1", got)
	}
	if got := xs.Invoices()[0]["Reference"]; got != inv.String() {
		t.Errorf("Xero's invoice reference = %v, want Remit's invoice id %s", got, inv)
	}
	if got := len(xs.Payments()); got != 1 {
		t.Fatalf("Xero holds %d payments, want 1", got)
	}
	if err := a.Runner.WaitFor(ctx, paid.Position); err != nil {
		t.Fatal(err)
	}
	// The read model follows the sync's own events.
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := a.Models.Invoice(context.Background(), inv, domain.DateOf(now, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if d.Ledger.Status == "synced" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the invoice's ledger status is %+v, want synced", d.Ledger)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A restart pushes nothing twice.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := app.Open(ctx, app.Config{DataDir: dir, Addr: "127.0.0.1:0", NoAuth: true, NoOutbox: true, NoBillingRun: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Ledger.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if len(xs.Invoices()) != 1 || len(xs.Payments()) != 1 {
		t.Errorf("after a restart Xero holds %d invoices and %d payments, want 1 and 1", len(xs.Invoices()), len(xs.Payments()))
	}
}
