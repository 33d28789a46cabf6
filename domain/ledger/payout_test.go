package ledger_test

import (
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/ledger"
)

func TestPayoutPushes(t *testing.T) {
	payoutID, source := uuid.New(), uuid.New()
	tr := ledger.PayoutPushID("xero", payoutID, ledger.KindTransfer)
	if tr != ledger.PayoutPushID("xero", payoutID, ledger.KindTransfer) || tr == ledger.PayoutPushID("xero", payoutID, ledger.KindFees) ||
		tr == ledger.PayoutPushID("qbo", payoutID, ledger.KindTransfer) {
		t.Error("payout push ids are not one per provider, payout and kind")
	}
	if ledger.PayoutDocumentID(payoutID, ledger.KindTransfer) == ledger.PayoutDocumentID(payoutID, ledger.KindFees) {
		t.Error("a payout's two documents share an id")
	}
	ok := ledger.LedgerPushSucceeded{PushID: tr, Provider: "xero", Kind: ledger.KindTransfer, PayoutID: payoutID, SourceEventID: source,
		DocumentID: ledger.PayoutDocumentID(payoutID, ledger.KindTransfer), LedgerID: "BT-1", Attempt: 1, At: now}
	orphan := ok
	orphan.PayoutID = uuid.Nil
	decidertest.Run(t, decider, []decidertest.Case[ledger.Command]{
		{Name: "PayoutTransfer/OK", When: ledger.RecordPushSucceeded{Event: ok}, Then: []domain.Event{ok}},
		{Name: "PayoutTransfer/ErrNoPayout", When: ledger.RecordPushSucceeded{Event: orphan}, Err: decidertest.ThenErr(domain.EINVALID)},
		{Name: "PayoutTransfer/Again", Given: []domain.Event{ok}, When: ledger.RecordPushSucceeded{Event: ok}},
	})
	if s := ledger.Fold([]domain.Event{ok}); s.Push.PayoutID != payoutID || s.Push.Status != ledger.PushSucceeded {
		t.Errorf("folded push: %+v", s.Push)
	}
}

func TestPayoutAccountDefaults(t *testing.T) {
	var m ledger.Mapping
	if m.BankAccountFor("xero") != "090" || m.FeesAccountFor("xero") != "404" || m.BankAccountFor("qbo") != "35" || m.FeesAccountFor("qbo") != "8" {
		t.Error("the providers' default payout accounts changed")
	}
	m.BankAccount, m.FeesAccount = "091", "405"
	if m.BankAccountFor("qbo") != "091" || m.FeesAccountFor("xero") != "405" {
		t.Error("the firm's own payout accounts are not used")
	}
	changed := mapping()
	changed.FeesAccount = "405"
	decidertest.Run(t, decider, []decidertest.Case[ledger.Command]{
		{Name: "Connect/NewFeesAccount", Given: []domain.Event{ledger.LedgerConnected{Provider: "xero", TenantID: "t-1", Mapping: mapping(), At: now}},
			When: ledger.Connect{Provider: "xero", TenantID: "t-1", Mapping: changed, Now: now},
			Then: []domain.Event{ledger.LedgerMappingChanged{Provider: "xero", Mapping: changed, At: now}}},
	})
}
