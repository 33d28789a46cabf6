package projections

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/ledger"
	"remit/domain/payout"
)

// TestPayoutLedgerStatus: a payout recorded before a ledger was connected
// is not pushed; one after is pending, retry queued after a temporary
// failure, pending while its fees are still to go, then synced.
func TestPayoutLedgerStatus(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	ctx := context.Background()
	dec := decimal.RequireFromString
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	rec := func(ref string) payout.PayoutRecorded {
		return payout.PayoutRecorded{PayoutID: payout.ID("sandbox", ref), Gateway: "sandbox", Reference: ref, Currency: aud, Amount: dec("97.35"), Fees: dec("2.65"),
			ArrivalDate: date(2025, 5, 3), Status: payout.StatusPaid, At: at,
			Lines: []payout.Line{{Kind: payout.KindCharge, Reference: "ch_" + ref, Gross: dec("100"), Fee: dec("2.65"), Net: dec("97.35")}}}
	}
	old, fresh := rec("po_old"), rec("po_new")
	head := e.MustAppend(payout.StreamName(old.PayoutID), "system:payouts", old)
	conn := ledger.StreamName(ledger.ConnectionID("xero"))
	e.MustAppend(conn, "staff", ledger.LedgerConnected{Provider: "xero", TenantID: "t", Mapping: ledger.Mapping{RevenueAccount: "200", ClearingAccount: "610"},
		FromPosition: head, At: at})
	e.MustAppend(payout.StreamName(fresh.PayoutID), "system:payouts", fresh)
	status := func(id payout.PayoutRecorded) InvoiceLedger {
		t.Helper()
		m := e.MustModels()
		d, err := m.Payout(ctx, id.PayoutID)
		if err != nil {
			t.Fatal(err)
		}
		return d.Ledger
	}
	if st := status(old); st.Status != LedgerBeforeConnection {
		t.Errorf("payout before connecting: %+v", st)
	}
	if st := status(fresh); st.Status != LedgerPending {
		t.Errorf("new payout: %+v", st)
	}
	trID, feesID := ledger.PayoutPushID("xero", fresh.PayoutID, ledger.KindTransfer), ledger.PayoutPushID("xero", fresh.PayoutID, ledger.KindFees)
	money := func(s string) domain.Money { return domain.Money{Amount: dec(s), Currency: aud} }
	e.MustAppend(ledger.StreamName(trID), "system:ledgersync", ledger.LedgerPushFailed{PushID: trID, Provider: "xero", Kind: ledger.KindTransfer, PayoutID: fresh.PayoutID,
		Amount: money("97.35"), Reason: "503: busy", Temporary: true, Attempt: 1, RetryAt: at.Add(time.Minute), At: at})
	if st := status(fresh); st.Status != LedgerRetryQueued || st.Providers[0].Reason != "503: busy" {
		t.Errorf("after a temporary failure: %+v", st)
	}
	e.MustAppend(ledger.StreamName(trID), "system:ledgersync", ledger.LedgerPushSucceeded{PushID: trID, Provider: "xero", Kind: ledger.KindTransfer, PayoutID: fresh.PayoutID,
		LedgerID: "BT-1", Amount: money("97.35"), Attempt: 2, At: at})
	if st := status(fresh); st.Status != LedgerPending {
		t.Errorf("transfer pushed, fees not yet: %+v", st)
	}
	e.MustAppend(ledger.StreamName(feesID), "system:ledgersync", ledger.LedgerPushSucceeded{PushID: feesID, Provider: "xero", Kind: ledger.KindFees, PayoutID: fresh.PayoutID,
		LedgerID: "BTX-1", Amount: money("2.65"), Attempt: 1, At: at})
	st := status(fresh)
	if st.Status != LedgerSynced || st.Providers[0].LedgerID != "BT-1" {
		t.Errorf("both pushed: %+v", st)
	}
	page, err := e.MustModels().ListPayouts(ctx, Paging{})
	if err != nil || len(page.Items) != 2 || page.Items[0].Ledger.Status == "" {
		t.Errorf("list: %+v, %v", page, err)
	}
	// The invoices' ledger projection does not take a payout's push for an
	// invoice's.
	if l, err := e.MustModels().Ledger.of(ctx, [16]byte{}); err != nil || len(l.Providers) != 1 || l.Providers[0].Pushed != 0 {
		t.Errorf("nil invoice's ledger record: %+v, %v", l, err)
	}
}
