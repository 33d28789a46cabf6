package app_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
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

// TestRefundReachesXeroOnce runs the wired app connected to Xero (a server
// validating every request against Xero's published spec): half of a
// collected payment is refunded; the refund's credit note and the refund
// itself (a payment on the credit note out of the clearing account) reach
// Xero once each; the refund meets a 503 first and is retried on a later
// tick; a restart pushes nothing again; the invoice reads synced and the
// ledger reconciles.
func TestRefundReachesXeroOnce(t *testing.T) {
	xs := xerotest.New(t)
	xs.AddAccount("610", "Stripe", "BANK")
	ctx := context.Background()
	dir := t.TempDir()
	var mu sync.Mutex
	now := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	cfg := app.Config{DataDir: dir, Addr: "127.0.0.1:0", NoAuth: true, NoOutbox: true, NoBillingRun: true, Now: clock}
	a, err := app.Open(ctx, cfg)
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
	must(ledgersync.Connect(ctx, a.Store, dir, ledgersync.ConnectRequest{Provider: "xero", TenantID: xs.TenantID, Now: clock(),
		Mapping: domledger.Mapping{RevenueAccount: "200", ClearingAccount: "610", TaxTypes: map[string]string{"15": "OUTPUT2"}}}, meta("connect")))
	c := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Kiwi Exports Ltd", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@kiwi.example"}}}, meta("client"))).ID
	inv := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c,
		Lines: []billing.InstantLine{{Description: "Annual accounts", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(1000), TaxRate: decimal.NewFromInt(15)}},
	}, meta("invoice"))).ID
	must(svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: inv, Outcome: invoice.AttemptSucceeded, GatewayReference: "ch_1",
		Amount: decimal.NewFromInt(1150), Date: domain.MustDate(2026, 3, 10)}, meta("collected")))
	if err := a.Ledger.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if len(xs.Invoices()) != 1 || len(xs.Payments()) != 1 {
		t.Fatalf("before the refund Xero holds %d invoices and %d payments, want 1 and 1", len(xs.Invoices()), len(xs.Payments()))
	}

	half := decimal.NewFromInt(575)
	plan, err := svc.PlanRefund(ctx, billing.RefundRequest{InvoiceID: inv, Amount: &half, Reason: "one month cancelled"}, meta("refund"))
	if err != nil {
		t.Fatal(err)
	}
	xs.Fail(xerotest.Fault{Method: http.MethodPut, Path: "/Payments", Status: http.StatusServiceUnavailable, Body: `{"Message":"busy"}`})
	refunded := must(svc.RecordRefund(ctx, plan, "re_1", meta("refund")))
	if err := a.Ledger.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if len(xs.CreditNotes()) != 1 || len(xs.Payments()) != 1 {
		t.Fatalf("after a 503 Xero holds %d credit notes and %d payments, want 1 and 1", len(xs.CreditNotes()), len(xs.Payments()))
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if err := a.Ledger.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	refunds := func() []map[string]any {
		var out []map[string]any
		for _, p := range xs.Payments() {
			if p["PaymentType"] == "ARCREDITPAYMENT" {
				out = append(out, p)
			}
		}
		return out
	}
	rs := refunds()
	if len(rs) != 1 {
		t.Fatalf("Xero holds %d refunds, want 1", len(rs))
	}
	cn := xs.CreditNotes()[0]
	if rs[0]["CreditNote"].(map[string]any)["CreditNoteID"] != cn["CreditNoteID"] || rs[0]["Account"].(map[string]any)["Code"] != "610" || cn["Status"] != "PAID" {
		t.Errorf("refund %v against credit note %v (%v)", rs[0], cn["CreditNoteID"], cn["Status"])
	}
	if err := a.Runner.WaitFor(ctx, refunded.Position); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := a.Models.Invoice(ctx, inv, domain.DateOf(clock(), time.UTC))
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
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := app.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Ledger.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Ledger.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if len(refunds()) != 1 || len(xs.CreditNotes()) != 1 {
		t.Errorf("after a restart Xero holds %d refunds and %d credit notes, want 1 and 1", len(refunds()), len(xs.CreditNotes()))
	}
	rep, err := ledgersync.Reconcile(ctx, b.Store)
	if err != nil || !rep.OK() || rep.Pushes != 4 {
		t.Errorf("reconcile: %+v, %v", rep, err)
	}
}

// TestDisputeReachesXeroOnce: with a disputes account mapped, a lost
// dispute's withdrawal (clearing → "Disputed payments") and its fee
// (clearing → fees) reach Xero's spec-validating test server once each,
// and the ledger reconciles.
func TestDisputeReachesXeroOnce(t *testing.T) {
	xs := xerotest.New(t)
	xs.AddAccount("610", "Stripe", "BANK")
	xs.AddAccount("615", "Disputed payments", "CURRENT")
	xs.AddAccount("404", "Bank Fees", "EXPENSE")
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
		Mapping: domledger.Mapping{RevenueAccount: "200", ClearingAccount: "610", DisputesAccount: "615", TaxTypes: map[string]string{"15": "OUTPUT2"}}}, meta("connect")))
	c := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Kiwi Exports Ltd", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@kiwi.example"}}}, meta("client"))).ID
	inv := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c,
		Lines: []billing.InstantLine{{Description: "Annual accounts", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(1000), TaxRate: decimal.NewFromInt(15)}},
	}, meta("invoice"))).ID
	must(svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: inv, Outcome: invoice.AttemptSucceeded, GatewayReference: "ch_1",
		Amount: decimal.NewFromInt(1150), Date: domain.MustDate(2026, 3, 10)}, meta("collected")))
	must(svc.RecordDispute(ctx, billing.DisputeReport{InvoiceID: inv, ChargeReference: "ch_1", GatewayDisputeReference: "dp_1", Amount: decimal.NewFromInt(1150),
		Reason: "fraudulent", Outcome: invoice.DisputeLost, Fee: decimal.NewFromInt(25)}, meta("dispute")))
	for range 2 {
		if err := a.Ledger.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		if err := a.Ledger.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	txs := xs.BankTransactions()
	if len(txs) != 2 {
		t.Fatalf("Xero holds %d bank transactions, want 2: %v", len(txs), txs)
	}
	accounts := map[string]string{}
	for _, tx := range txs {
		line := tx["LineItems"].([]any)[0].(map[string]any)
		if tx["Type"] != "SPEND" || tx["BankAccount"].(map[string]any)["Code"] != "610" {
			t.Errorf("bank transaction: %v", tx)
		}
		accounts[line["AccountCode"].(string)] = fmt.Sprint(tx["Total"])
	}
	if accounts["615"] != "1150" || accounts["404"] != "25" {
		t.Errorf("amounts by account: %v", accounts)
	}
	rep, err := ledgersync.Reconcile(ctx, a.Store)
	if err != nil || !rep.OK() || rep.Pushes != 4 {
		t.Errorf("reconcile: %+v, %v", rep, err)
	}
}
