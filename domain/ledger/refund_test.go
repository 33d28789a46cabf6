package ledger_test

import (
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/ledger"
)

func TestRefundAndDisputePushKinds(t *testing.T) {
	inv, source := uuid.New(), uuid.New()
	var cases []decidertest.Case[ledger.Command]
	for _, k := range []ledger.Kind{ledger.KindRefund, ledger.KindDispute, ledger.KindDisputeWon, ledger.KindDisputeFee} {
		id := ledger.PushID("xero", source, 0)
		ok := ledger.LedgerPushSucceeded{PushID: id, Provider: "xero", Kind: k, InvoiceID: inv, SourceEventID: source,
			DocumentID: ledger.DocumentID(uuid.New(), 0), LedgerID: "P-1", Attempt: 1, At: now}
		cases = append(cases, decidertest.Case[ledger.Command]{Name: "Succeeded/" + string(k), When: ledger.RecordPushSucceeded{Event: ok}, Then: []domain.Event{ok}})
	}
	decidertest.Run(t, decider, cases)
}

func TestRefundAndDisputeAccounts(t *testing.T) {
	var m ledger.Mapping
	if m.ReceivableAccountFor("qbo") != "84" || m.ReceivableAccountFor("xero") != "" || m.PushesDisputes() {
		t.Error("defaults: QBO's A/R is 84, Xero needs none, disputes are not pushed")
	}
	m.ReceivableAccount, m.DisputesAccount = "1100", "615"
	if m.ReceivableAccountFor("qbo") != "1100" || !m.PushesDisputes() {
		t.Error("the firm's own accounts are not used")
	}
	changed := mapping()
	changed.DisputesAccount = "615"
	decidertest.Run(t, decider, []decidertest.Case[ledger.Command]{
		{Name: "Connect/NewDisputesAccount", Given: []domain.Event{ledger.LedgerConnected{Provider: "xero", TenantID: "t-1", Mapping: mapping(), At: now}},
			When: ledger.Connect{Provider: "xero", TenantID: "t-1", Mapping: changed, Now: now},
			Then: []domain.Event{ledger.LedgerMappingChanged{Provider: "xero", Mapping: changed, At: now}}},
	})
}
