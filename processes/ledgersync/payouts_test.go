package ledgersync_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/ledger"
	"remit/domain/payout"
	"remit/eventstore"
	"remit/integrations/accounting"
	"remit/processes/ledgersync"
)

// The recording ledger takes payouts too: a transfer and an expense, each
// once per id.

func (l *recordingLedger) PushTransfer(_ context.Context, t accounting.Transfer) (accounting.Ack, error) {
	return l.push("transfer", t.ID, doc{amount: t.Amount, transfer: t})
}

func (l *recordingLedger) PushExpense(_ context.Context, e accounting.Expense) (accounting.Ack, error) {
	return l.push("expense", e.ID, doc{amount: e.Amount, expense: e})
}

// docOf returns the only document of a kind.
func (l *recordingLedger) docOf(t *testing.T, kind string) doc {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []doc
	for _, d := range l.docs {
		if d.kind == kind {
			out = append(out, d)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d %s documents, want 1", len(out), kind)
	}
	return out[0]
}

// recordPayout records the sandbox's payout po_1: two charges of 550.00
// with 16.10 of fees each, paid out 1,067.80 on 5 March.
func (f *fixture) recordPayout(ref string) uuid.UUID {
	f.t.Helper()
	aud := domain.MustCurrency("AUD")
	d := decimal.RequireFromString
	cmd := payout.Record{Gateway: "stripe", Reference: ref, Currency: aud, Amount: d("1067.80"), ArrivalDate: domain.MustDate(2026, 3, 5), Status: payout.StatusPaid,
		Lines: []payout.Line{
			{Kind: payout.KindCharge, Reference: "ch_a", Gross: d("550.00"), Fee: d("16.10"), Net: d("533.90")},
			{Kind: payout.KindCharge, Reference: "ch_b", Gross: d("550.00"), Fee: d("16.10"), Net: d("533.90")},
		}, Now: f.clk.Now()}
	evs, err := payout.Decide(payout.State{}, cmd)
	if err != nil || len(evs) != 1 {
		f.t.Fatalf("payout: %v", err)
	}
	id := payout.ID("stripe", ref)
	if _, err := billing.Record(context.Background(), billing.Env{Store: f.store, Catalog: catalog.New()}, payout.StreamName(id), eventstore.NoStream,
		uuid.NewSHA1(id, []byte("recorded")), evs[0], f.meta()); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func TestPayoutPushedOnceAsTransferAndFees(t *testing.T) {
	f := newFixture(t)
	f.connect(false)
	id := f.recordPayout("po_1")
	s := f.sync(f.xero)
	f.catchUp(s)

	tr := f.xero.docOf(t, "transfer").transfer
	if tr.FromAccount != "610" || tr.ToAccount != ledger.DefaultXeroBankAccount || tr.Amount.String() != "AUD 1067.80" ||
		tr.Date != domain.MustDate(2026, 3, 5) || tr.Reference != "po_1" || tr.ID != ledger.PayoutDocumentID(id, ledger.KindTransfer) {
		t.Errorf("transfer: %+v", tr)
	}
	ex := f.xero.docOf(t, "expense").expense
	if ex.FromAccount != "610" || ex.ExpenseAccount != ledger.DefaultXeroFeesAccount || ex.Amount.String() != "AUD 32.20" || ex.Payee != "Stripe" {
		t.Errorf("fees: %+v", ex)
	}
	ok := events[ledger.LedgerPushSucceeded](f)
	if len(ok) != 2 || ok[0].Kind != ledger.KindTransfer || ok[1].Kind != ledger.KindFees || ok[0].PayoutID != id || ok[0].InvoiceID != uuid.Nil {
		t.Fatalf("successes: %+v", ok)
	}

	// A restart, a replay and a tick push nothing again.
	s2 := f.sync(f.xero)
	f.catchUp(s2)
	f.tick(s2)
	f.tick(s)
	if f.xero.callCount("transfer") != 1 || f.xero.callCount("expense") != 1 || len(events[ledger.LedgerPushSucceeded](f)) != 2 {
		t.Errorf("pushed again: %d transfers, %d expenses", f.xero.callCount("transfer"), f.xero.callCount("expense"))
	}
	if rep := f.reconcile(); !rep.OK() || rep.Pushes != 2 {
		t.Errorf("reconcile = %+v", rep)
	}
}

func TestPayoutMappingAccountsAndHistory(t *testing.T) {
	f := newFixture(t)
	f.recordPayout("po_old") // before connecting: not pushed
	m := mapping()
	m.BankAccount, m.FeesAccount = "091", "405"
	f.ok(ledgersyncConnect(f, m))
	f.recordPayout("po_new")
	s := f.sync(f.xero)
	f.catchUp(s)
	tr := f.xero.docOf(t, "transfer").transfer
	ex := f.xero.docOf(t, "expense").expense
	if tr.Reference != "po_new" || tr.ToAccount != "091" || ex.ExpenseAccount != "405" {
		t.Errorf("transfer %+v, fees %+v", tr, ex)
	}
}

func TestPayoutRetriedAfterTemporaryFailureAndWaitsAfterPermanent(t *testing.T) {
	f := newFixture(t)
	f.connect(false)
	f.xero.failNext(&accounting.Error{Temporary: true, Status: 503, Message: "Service Unavailable"})
	f.recordPayout("po_1")
	s := f.sync(f.xero)
	f.catchUp(s)
	failed := events[ledger.LedgerPushFailed](f)
	// The fees do not wait for the transfer.
	if len(failed) != 1 || !failed[0].Temporary || failed[0].Kind != ledger.KindTransfer || f.xero.count("transfer") != 0 || f.xero.count("expense") != 1 {
		t.Fatalf("after the failure: %+v", failed)
	}
	f.tick(s) // not due yet
	if f.xero.callCount("transfer") != 1 {
		t.Fatal("retried before its time")
	}
	f.clk.add(time.Minute)
	f.tick(s)
	if f.xero.count("transfer") != 1 || f.xero.count("expense") != 1 {
		t.Fatalf("after the retry: %v", f.xero.docs)
	}
	if ok := events[ledger.LedgerPushSucceeded](f); len(ok) != 2 || ok[1].Kind != ledger.KindTransfer || ok[1].Attempt != 2 {
		t.Errorf("successes: %+v", ok)
	}

	// A refused document is recorded for good and not pushed again.
	f.xero.failNext(&accounting.Error{Status: 400, Message: "Account code '404' is not a valid code"})
	f.recordPayout("po_2")
	f.tick(s)
	f.clk.add(2 * time.Hour)
	f.tick(s)
	var perm []ledger.LedgerPushFailed
	for _, e := range events[ledger.LedgerPushFailed](f) {
		if !e.Temporary {
			perm = append(perm, e)
		}
	}
	if len(perm) != 1 || perm[0].Kind != ledger.KindTransfer || f.xero.callCount("transfer") != 3 || f.xero.count("expense") != 2 {
		t.Errorf("permanent failures %+v, %d transfer calls", perm, f.xero.callCount("transfer"))
	}
	if rep := f.reconcile(); rep.OK() {
		t.Error("reconcile missed the payout that failed")
	}
	st, err := ledgersync.Status(context.Background(), f.store)
	if err != nil || len(st) != 1 {
		t.Fatalf("status: %+v, %v", st, err)
	}
	if c := st[0]; c.Payouts != 2 || c.PayoutsSynced != 1 || len(c.PayoutProblems) != 1 || c.PayoutProblems[0].Reference != "po_2" || !c.PayoutProblems[0].Failed ||
		!strings.Contains(c.PayoutProblems[0].Why, "404") || len(c.Waiting) != 1 {
		t.Errorf("status: %+v", c)
	}
}

func ledgersyncConnect(f *fixture, m ledger.Mapping) (billing.Result, error) {
	return ledgersync.Connect(context.Background(), f.store, f.dir, ledgersync.ConnectRequest{
		Provider: "xero", TenantID: "tenant-1", Mapping: m, Now: f.clk.Now(),
		Secrets: ledgersync.Secrets{ClientID: "app-1", ClientSecret: "s3cret"},
	}, f.meta())
}

// TestPayoutNegativeNetGoesFromTheBank: a payout whose refunds exceed its
// charges took money from the bank: the transfer goes bank → clearing, for
// the amount taken; its fees are spent from the clearing account as ever.
func TestPayoutNegativeNetGoesFromTheBank(t *testing.T) {
	f := newFixture(t)
	f.connect(false)
	d := decimal.RequireFromString
	cmd := payout.Record{Gateway: "stripe", Reference: "po_neg", Currency: domain.MustCurrency("AUD"), Amount: d("-40.30"), ArrivalDate: domain.MustDate(2026, 3, 5),
		Status: payout.StatusPaid, Lines: []payout.Line{
			{Kind: payout.KindCharge, Reference: "ch_a", Gross: d("60.00"), Fee: d("0.30"), Net: d("59.70")},
			{Kind: payout.KindRefund, Reference: "re_a", Gross: d("-100.00"), Fee: d("0"), Net: d("-100.00")},
		}, Now: f.clk.Now()}
	evs, err := payout.Decide(payout.State{}, cmd)
	if err != nil {
		t.Fatal(err)
	}
	id := payout.ID("stripe", "po_neg")
	if _, err := billing.Record(context.Background(), billing.Env{Store: f.store, Catalog: catalog.New()}, payout.StreamName(id), eventstore.NoStream,
		uuid.NewSHA1(id, []byte("recorded")), evs[0], f.meta()); err != nil {
		t.Fatal(err)
	}
	f.catchUp(f.sync(f.xero))
	tr := f.xero.docOf(t, "transfer").transfer
	if tr.FromAccount != ledger.DefaultXeroBankAccount || tr.ToAccount != "610" || tr.Amount.String() != "AUD 40.30" {
		t.Errorf("transfer: %+v", tr)
	}
	if ex := f.xero.docOf(t, "expense").expense; ex.Amount.String() != "AUD 0.30" || ex.FromAccount != "610" {
		t.Errorf("fees: %+v", ex)
	}
	if rep := f.reconcile(); !rep.OK() {
		t.Errorf("reconcile: %+v", rep)
	}
}
