package ledgersync_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/integrations/accounting"
	"remit/integrations/accounting/qbo"
	"remit/integrations/accounting/qbo/qbotest"
	"remit/processes/ledgersync"
)

// The recording ledger takes refunds too, once per id; a refund needs its
// credit note in the ledger.
func (l *recordingLedger) PushRefund(_ context.Context, r accounting.Refund) (accounting.Ack, error) {
	l.mu.Lock()
	has := false
	for _, d := range l.docs {
		has = has || (d.kind == "credit_note" && d.ledgerID == r.CreditNoteLedgerID)
	}
	l.mu.Unlock()
	if !has {
		return accounting.Ack{}, &accounting.Error{Status: 400, Message: "no credit note " + r.CreditNoteLedgerID}
	}
	return l.push("refund", r.ID, doc{amount: r.Amount, refund: r})
}

// refundHalf collects the invoice through the gateway (ch_1) and refunds
// 550.00 of it as re_1.
func (f *fixture) refundHalf(id uuid.UUID) {
	f.t.Helper()
	ctx := context.Background()
	f.ok(f.svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: id, Outcome: invoice.AttemptSucceeded,
		GatewayReference: "ch_1", Amount: decimal.NewFromInt(1100), Date: domain.MustDate(2026, 3, 9)}, f.meta()))
	half := decimal.NewFromInt(550)
	m := f.meta()
	plan, err := f.svc.PlanRefund(ctx, billing.RefundRequest{InvoiceID: id, Amount: &half, Reason: "cancelled"}, m)
	if err != nil {
		f.t.Fatal(err)
	}
	f.ok(f.svc.RecordRefund(ctx, plan, "re_1", m))
}

// TestRefundCreditNoteIsPushedUnallocated: a refund's credit note goes to
// the ledger as a credit not allocated to the (paid) invoice, which the
// ledgers would refuse; an ordinary credit note is still allocated.
func TestRefundCreditNoteIsPushedUnallocated(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	paid := f.issue()
	f.refundHalf(paid)
	half := decimal.NewFromInt(550)
	open := f.issue()
	f.credit(open, "100")
	f.catchUp(f.sync(f.xero))

	var refundCredit, goodwill bool
	f.xero.mu.Lock()
	defer f.xero.mu.Unlock()
	for _, d := range f.xero.docs {
		if d.kind != "credit_note" {
			continue
		}
		switch d.credit.InvoiceNumber {
		case "INV-000001":
			refundCredit = d.credit.InvoiceLedgerID == "" && d.credit.Total.Amount.Equal(half)
		case "INV-000002":
			goodwill = d.credit.InvoiceLedgerID != ""
		}
	}
	if !refundCredit || !goodwill {
		t.Fatalf("refund's credit note unallocated: %v; goodwill credit allocated: %v", refundCredit, goodwill)
	}
}

// TestRefundPushedOnceAgainstItsCreditNote: the refund itself goes out of
// the clearing account against its credit note, after it, once through
// restarts and ticks, and reconciles.
func TestRefundPushedOnceAgainstItsCreditNote(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	id := f.issue()
	f.refundHalf(id)
	s := f.sync(f.xero)
	f.catchUp(s)

	cn := f.xero.docOf(t, "credit_note")
	r := f.xero.docOf(t, "refund").refund
	if r.CreditNoteLedgerID != cn.ledgerID || r.FromAccount != "610" || r.Amount.String() != "AUD 550.00" || r.Reference != "re_1" ||
		r.InvoiceNumber != "INV-000001" || r.ContactLedgerID != cn.contact.LedgerID || r.Date.IsZero() {
		t.Errorf("refund: %+v (credit note %s)", r, cn.ledgerID)
	}
	var kinds []ledger.Kind
	for _, e := range events[ledger.LedgerPushSucceeded](f) {
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kindStrings(kinds), ",") != "invoice,payment,credit_note,refund" {
		t.Errorf("pushes in order: %v", kinds)
	}
	s2 := f.sync(f.xero)
	f.catchUp(s2)
	f.tick(s2)
	f.tick(s)
	if f.xero.callCount("refund") != 1 {
		t.Errorf("refund pushed %d times", f.xero.callCount("refund"))
	}
	if rep := f.reconcile(); !rep.OK() || rep.Pushes != 4 {
		t.Errorf("reconcile = %+v", rep)
	}
	if st := f.status(id); len(st.Providers) != 1 || st.Providers[0].Status != "synced" {
		t.Errorf("invoice's ledger status: %+v", st)
	}
}

func kindStrings(ks []ledger.Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// TestRefundRetriedAfterTemporaryFailureWithoutDuplicate: the ledger made
// the refund but its answer was a 503 (a timeout after the commit): a retry
// is queued, reconcile reports the refund not pushed yet, and the retry finds
// the refund the ledger holds and creates no second one.
func TestRefundRetriedAfterTemporaryFailureWithoutDuplicate(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	id := f.issue()
	f.refundHalf(id)
	f.xero.failKindAfterCreate = map[string]error{"refund": &accounting.Error{Temporary: true, Status: 503, Message: "Service Unavailable"}}
	s := f.sync(f.xero)
	f.catchUp(s)
	failed := events[ledger.LedgerPushFailed](f)
	if len(failed) != 1 || failed[0].Kind != ledger.KindRefund || !failed[0].Temporary || failed[0].InvoiceID != id {
		t.Fatalf("failures: %+v", failed)
	}
	rep := f.reconcile()
	if rep.OK() || !strings.Contains(rep.Summary(), "refund") || !strings.Contains(rep.Summary(), "not pushed yet") {
		t.Errorf("reconcile while the retry waits: %s", rep.Summary())
	}
	if st := f.status(id); len(st.Providers) != 1 || st.Providers[0].Status != "retry_queued" {
		t.Errorf("invoice's ledger status: %+v", st)
	}
	f.clk.add(time.Minute)
	f.tick(s)
	ok := events[ledger.LedgerPushSucceeded](f)
	last := ok[len(ok)-1]
	if last.Kind != ledger.KindRefund || !last.Existing || last.Attempt != 2 {
		t.Errorf("the retry: %+v", last)
	}
	if f.xero.count("refund") != 1 || f.xero.callCount("refund") != 2 {
		t.Errorf("refunds in the ledger: %d after %d calls", f.xero.count("refund"), f.xero.callCount("refund"))
	}
	if rep := f.reconcile(); !rep.OK() {
		t.Errorf("reconcile after the retry: %s", rep.Summary())
	}
}

// TestReconcileFindsARefundNeverPushed: a refund recorded while no process
// ran is reported missing, naming it.
func TestReconcileFindsARefundNeverPushed(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	id := f.issue()
	f.catchUp(f.sync(f.xero))
	f.refundHalf(id)
	rep := f.reconcile()
	all := rep.Summary()
	if !strings.Contains(all, "refund") || !strings.Contains(all, "never pushed") || len(rep.Differences) != 3 {
		t.Errorf("differences: %s", all)
	}
}

// TestRefundReachesQBOOnce runs the process manager with the real QBO
// adapter against the QBO test company: a half refund of a collected
// invoice becomes its credit memo and one check from the clearing account
// (4) to Accounts Receivable (84) with the credit memo applied to it, after
// a 503 on the first check; a restart creates nothing more.
func TestRefundReachesQBOOnce(t *testing.T) {
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
		Provider: "qbo", TenantID: qs.RealmID, Mapping: ledger.Mapping{RevenueAccount: "1", ClearingAccount: "4", TaxTypes: map[string]string{"10": "TAX"}},
		Now: f.clk.Now(), Secrets: ledgersync.Secrets{ClientID: "app-1", ClientSecret: "s3cret"},
	}, f.meta()))
	id := f.issue()
	f.refundHalf(id)
	qs.FailNext(http.MethodPost, "/purchase", qbotest.Fault{Status: http.StatusServiceUnavailable, Message: "busy"})
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
	if len(qs.Purchases()) != 0 || len(qs.CreditMemos()) != 1 {
		t.Fatalf("after a 503: %d purchases, %d credit memos", len(qs.Purchases()), len(qs.CreditMemos()))
	}
	f.clk.add(time.Minute)
	f.tick(s)
	f.catchUp(open())
	ps := qs.Purchases()
	if len(ps) != 1 {
		t.Fatalf("%d purchases, want 1", len(ps))
	}
	p := ps[0]
	if p.PaymentType != "Check" || p.AccountRef.Value != "4" || p.EntityRef == nil || p.EntityRef.Type != "Customer" ||
		p.Line[0].AccountBasedExpenseLineDetail.AccountRef.Value != ledger.DefaultQBOReceivableAccount || p.Line[0].Amount.String() != "550" {
		t.Errorf("check: %+v", p)
	}
	if cm := qs.CreditMemos()[0]; string(*cm.RemainingCredit) != "0.00" || qs.CheckApplied(p.ID).String() != "550" {
		t.Errorf("credit memo left %s, %s applied to the check", *cm.RemainingCredit, qs.CheckApplied(p.ID))
	}
	if rep := f.reconcile(); !rep.OK() || rep.Pushes != 4 {
		t.Errorf("reconcile: %+v", rep)
	}
}
