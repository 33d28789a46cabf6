package ledgersync_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/integrations/accounting"
	"remit/processes/ledgersync"
)

// The recording ledger takes disputes' moves too, once per id.
func (l *recordingLedger) PushDisputeMove(_ context.Context, m accounting.DisputeMove) (accounting.Ack, error) {
	kind := "dispute_out"
	if m.Back {
		kind = "dispute_back"
	}
	return l.push(kind, m.ID, doc{amount: m.Amount, dispute: m})
}

// dispute collects the invoice as charge ref and records the gateway's
// dispute dp of all of it, with an outcome when not empty (lost: a fee of
// 15.00).
func (f *fixture) dispute(id uuid.UUID, ref, dp string, outcome invoice.DisputeOutcome) {
	f.t.Helper()
	ctx := context.Background()
	f.ok(f.svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: id, Outcome: invoice.AttemptSucceeded,
		GatewayReference: ref, Amount: decimal.NewFromInt(1100), Date: domain.MustDate(2026, 3, 9)}, f.meta()))
	r := billing.DisputeReport{InvoiceID: id, ChargeReference: ref, GatewayDisputeReference: dp, Amount: decimal.NewFromInt(1100), Reason: "fraudulent"}
	f.ok(f.svc.RecordDispute(ctx, r, f.meta()))
	if outcome != "" {
		r.Outcome = outcome
		if outcome == invoice.DisputeLost {
			r.Fee = decimal.NewFromInt(15)
		}
		f.ok(f.svc.RecordDispute(ctx, r, f.meta()))
	}
}

func connectWithDisputes(f *fixture) {
	f.t.Helper()
	m := mapping()
	m.DisputesAccount = "615"
	f.ok(ledgersyncConnect(f, m))
}

// TestDisputesPushedWhenADisputesAccountIsMapped: a won dispute moves the
// amount out of the clearing account to the disputes account and back; a
// lost one moves it out and spends its fee to the fees account; each once,
// reconciled.
func TestDisputesPushedWhenADisputesAccountIsMapped(t *testing.T) {
	f := newFixture(t)
	connectWithDisputes(f)
	won, lost := f.issue(), f.issue()
	f.dispute(won, "ch_w", "dp_w", invoice.DisputeWon)
	f.dispute(lost, "ch_l", "dp_l", invoice.DisputeLost)
	s := f.sync(f.xero)
	f.catchUp(s)
	f.tick(f.sync(f.xero))

	if n := f.xero.count("dispute_out"); n != 2 {
		t.Fatalf("%d withdrawals, want 2", n)
	}
	back := f.xero.docOf(t, "dispute_back").dispute
	if back.Reference != "dp_w" || back.ClearingAccount != "610" || back.DisputesAccount != "615" || back.Amount.String() != "AUD 1100.00" ||
		back.Contact.Name != "Harbour Cafe" || back.Date.IsZero() {
		t.Errorf("won dispute: %+v", back)
	}
	fee := f.xero.docOf(t, "expense").expense
	if fee.Reference != "dp_l" || fee.FromAccount != "610" || fee.ExpenseAccount != ledger.DefaultXeroFeesAccount || fee.Amount.String() != "AUD 15.00" {
		t.Errorf("lost dispute's fee: %+v", fee)
	}
	if f.xero.callCount("dispute_out") != 2 || f.xero.callCount("dispute_back") != 1 || f.xero.callCount("expense") != 1 {
		t.Errorf("pushed again: %v", f.xero.calls)
	}
	if rep := f.reconcile(); !rep.OK() || rep.Pushes != 8 {
		t.Errorf("reconcile = %+v", rep)
	}
}

// TestDisputesNotPushedWithoutADisputesAccount: with no disputes account
// mapped nothing of a dispute goes to the ledger, and what follows it on the
// invoice still does; reconcile expects no dispute push.
func TestDisputesNotPushedWithoutADisputesAccount(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	id := f.issue()
	f.dispute(id, "ch_l", "dp_l", invoice.DisputeLost)
	f.credit(id, "100")
	f.catchUp(f.sync(f.xero))
	if f.xero.count("dispute_out")+f.xero.count("expense") != 0 || f.xero.count("credit_note") != 1 {
		t.Errorf("ledger: %v", f.xero.calls)
	}
	if rep := f.reconcile(); !rep.OK() || rep.Pushes != 3 {
		t.Errorf("reconcile = %+v", rep)
	}
	st, err := ledgersync.Status(context.Background(), f.store)
	if err != nil || len(st) != 1 || st[0].Synced != 1 || st[0].Pending != 0 {
		t.Errorf("status: %+v, %v", st, err)
	}
}
