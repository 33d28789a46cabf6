package app_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/app"
	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	domledger "remit/domain/ledger"
	"remit/domain/payout"
	"remit/integrations/accounting/xero"
	"remit/integrations/accounting/xero/xerotest"
	"remit/integrations/payments"
	"remit/processes/ledgersync"
	"remit/processes/payouts"
)

// TestPayoutReachesXeroOnce runs the wired app connected to Xero (a server
// validating every request against Xero's published spec): a payout the
// gateway made is pushed as a bank transfer of its net (clearing → bank)
// and a spend-money transaction of its fees, once each; the first transfer
// meets a 503 and is retried on a later tick; a restart pushes nothing
// again; the payout reads synced.
func TestPayoutReachesXeroOnce(t *testing.T) {
	xs := xerotest.New(t)
	xs.AddAccount("610", "Stripe", "BANK")
	xs.AddAccount("404", "Bank Fees", "EXPENSE")
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
	must(a.Billing.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "NZD", TimeZone: "Pacific/Auckland"}, meta("firm")))
	if err := xero.Connect(dir, xero.FileConfig{TenantID: xs.TenantID, ClientID: xs.ClientID, ClientSecret: xs.ClientSecret,
		BaseURL: xs.URL, TokenURL: xs.TokenURL, Token: xero.Token{RefreshToken: xs.RefreshToken()}}); err != nil {
		t.Fatal(err)
	}
	must(ledgersync.Connect(ctx, a.Store, dir, ledgersync.ConnectRequest{Provider: "xero", TenantID: xs.TenantID, Now: clock(),
		Mapping: domledger.Mapping{RevenueAccount: "200", ClearingAccount: "610", BankAccount: "091", TaxTypes: map[string]string{"15": "OUTPUT2"}}}, meta("connect")))

	xs.Fail(xerotest.Fault{Method: http.MethodPut, Path: "/BankTransfers", Status: http.StatusServiceUnavailable, Body: `{"Message":"busy"}`})
	dec := decimal.RequireFromString
	p := payments.Payout{Reference: "po_1", Currency: domain.MustCurrency("NZD"), Amount: domain.MustMoney("1113.38", "NZD"),
		ArrivalDate: domain.MustDate(2026, 3, 12), Status: "paid", Lines: []payments.PayoutLine{
			{Kind: payments.LineCharge, Reference: "ch_1", Gross: dec("1150.00"), Fee: dec("36.62"), Net: dec("1113.38")},
		}}
	if _, _, err := payouts.Record(ctx, billing.Env{Store: a.Store, Catalog: catalog.New()}, "stripe", p, clock()); err != nil {
		t.Fatal(err)
	}
	if err := a.Ledger.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(xs.BankTransfers()); n != 0 {
		t.Fatalf("a transfer was kept after a 503: %d", n)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if err := a.Ledger.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	bts, txs := xs.BankTransfers(), xs.BankTransactions()
	if len(bts) != 1 || len(txs) != 1 {
		t.Fatalf("Xero holds %d bank transfers and %d bank transactions, want 1 and 1", len(bts), len(txs))
	}
	if from, to := bts[0]["FromBankAccount"].(map[string]any)["Code"], bts[0]["ToBankAccount"].(map[string]any)["Code"]; from != "610" || to != "091" {
		t.Errorf("transfer from %v to %v, want 610 to 091", from, to)
	}
	if txs[0]["Type"] != "SPEND" || txs[0]["Contact"].(map[string]any)["Name"] != "Stripe" {
		t.Errorf("fees: %v", txs[0])
	}
	head, err := a.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Runner.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	id := payout.ID("stripe", "po_1")
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err := a.Models.Payout(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if v.Ledger.Status == "synced" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the payout's ledger status is %+v, want synced", v.Ledger)
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
	if len(xs.BankTransfers()) != 1 || len(xs.BankTransactions()) != 1 {
		t.Errorf("after a restart Xero holds %d transfers and %d bank transactions, want 1 and 1", len(xs.BankTransfers()), len(xs.BankTransactions()))
	}
	rep, err := ledgersync.Reconcile(ctx, b.Store)
	if err != nil || !rep.OK() {
		t.Errorf("reconcile: %+v, %v", rep, err)
	}
}
