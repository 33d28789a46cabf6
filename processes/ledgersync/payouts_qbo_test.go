package ledgersync_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"remit/domain/ledger"
	"remit/integrations/accounting"
	"remit/integrations/accounting/qbo"
	"remit/integrations/accounting/qbo/qbotest"
	"remit/processes/ledgersync"
)

// TestPayoutReachesQBOOnce runs the process manager with the real QBO
// adapter against the QBO test company: a payout becomes one Transfer from
// the clearing account (4) to the default bank account (35) and one
// Purchase of its fees to the default fees account (8), after a 503 on the
// first transfer; a restart creates nothing more.
func TestPayoutReachesQBOOnce(t *testing.T) {
	f := newFixture(t)
	qs := qbotest.New(t, qbotest.Options{})
	qdir := t.TempDir()
	if err := qbo.Connect(qdir, qbo.Connection{ClientID: qs.ClientID(), ClientSecret: qs.ClientSecret(), Token: qbo.Token{RefreshToken: qs.RefreshToken()}}); err != nil {
		t.Fatal(err)
	}
	c, err := qbo.Open(qdir, qs.RealmID, qbo.Options{BaseURL: qs.URL, TokenURL: qs.TokenURL})
	if err != nil {
		t.Fatal(err)
	}
	f.ok(ledgersync.Connect(context.Background(), f.store, f.dir, ledgersync.ConnectRequest{
		Provider: "qbo", TenantID: qs.RealmID, Mapping: ledger.Mapping{RevenueAccount: "1", ClearingAccount: "4"}, Now: f.clk.Now(),
		Secrets: ledgersync.Secrets{ClientID: "app-1", ClientSecret: "s3cret"},
	}, f.meta()))
	qs.FailNext(http.MethodPost, "/transfer", qbotest.Fault{Status: http.StatusServiceUnavailable, Message: "busy"})
	f.recordPayout("po_1")
	open := func() *ledgersync.Sync {
		s, err := ledgersync.Open(ledgersync.Config{Store: f.store, DataDir: f.dir, Now: f.clk.Now, Ledgers: map[string]accounting.Ledger{"qbo": c},
			BaseDelay: time.Minute, MaxDelay: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	f.catchUp(s)
	if len(qs.Transfers()) != 0 || len(events[ledger.LedgerPushFailed](f)) != 1 {
		t.Fatalf("after a 503: %d transfers, failures %+v", len(qs.Transfers()), events[ledger.LedgerPushFailed](f))
	}
	f.clk.add(time.Minute)
	f.tick(s)
	f.catchUp(open())
	trs, ps := qs.Transfers(), qs.Purchases()
	if len(trs) != 1 || len(ps) != 1 {
		t.Fatalf("%d transfers and %d purchases, want 1 and 1", len(trs), len(ps))
	}
	if tr := trs[0]; tr.FromAccountRef.Value != "4" || tr.ToAccountRef.Value != ledger.DefaultQBOBankAccount || tr.Amount.String() != "1067.8" || tr.TxnDate != "2026-03-05" {
		t.Errorf("transfer: %+v", tr)
	}
	if p := ps[0]; p.AccountRef.Value != "4" || p.Line[0].AccountBasedExpenseLineDetail.AccountRef.Value != ledger.DefaultQBOFeesAccount || p.Line[0].Amount.String() != "32.2" {
		t.Errorf("purchase: %+v", p)
	}
	if rep := f.reconcile(); !rep.OK() || rep.Pushes != 2 {
		t.Errorf("reconcile: %+v", rep)
	}
}
