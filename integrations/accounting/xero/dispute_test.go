package xero_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/integrations/accounting"
)

// TestPushDisputeMovesOnce: a dispute's withdrawal is a SPEND from the
// clearing account coded to the disputes account, its return a RECEIVE;
// each made once, the client as the contact.
func TestPushDisputeMovesOnce(t *testing.T) {
	s := payoutOrg(t)
	s.AddAccount("615", "Disputed payments", "CURRENT")
	l, _ := MustLedger(t, s)
	ctx := context.Background()
	day := domain.MustDate(2026, 3, 12)
	out := accounting.DisputeMove{ID: uuid.New(), ClearingAccount: "610", DisputesAccount: "615", Contact: accounting.Contact{LedgerID: lisaParker},
		Description: "Dispute dp_1", Amount: money("115.00"), Date: day, Reference: "dp_1"}
	back := out
	back.ID, back.Back = uuid.New(), true
	for i := range 2 {
		for _, m := range []accounting.DisputeMove{out, back} {
			ack, err := l.PushDisputeMove(ctx, m)
			if err != nil || ack.LedgerID == "" || ack.Existing != (i == 1) {
				t.Fatalf("push %d (back %v): %+v, %v", i+1, m.Back, ack, err)
			}
		}
	}
	txs := s.BankTransactions()
	if len(txs) != 2 {
		t.Fatalf("%d bank transactions, want 2", len(txs))
	}
	for i, want := range []string{"SPEND", "RECEIVE"} {
		tx := txs[i]
		line := tx["LineItems"].([]any)[0].(map[string]any)
		if tx["Type"] != want || tx["BankAccount"].(map[string]any)["Code"] != "610" || line["AccountCode"] != "615" ||
			tx["Contact"].(map[string]any)["ContactID"] != lisaParker || str(tx["Total"]) != "115" {
			t.Errorf("%s: %v", want, tx)
		}
	}
}
