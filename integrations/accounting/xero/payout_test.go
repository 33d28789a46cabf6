package xero_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/integrations/accounting"
	"remit/integrations/accounting/xero/xerotest"
)

// payoutOrg is the test organisation with a Stripe clearing bank account
// (610) and Xero's default Bank Fees expense account (404); 091 is the
// firm's bank account.
func payoutOrg(t *testing.T) *xerotest.Server {
	s := xerotest.New(t)
	s.AddAccount("610", "Stripe", "BANK")
	s.AddAccount("404", "Bank Fees", "EXPENSE")
	return s
}

func money(s string) domain.Money {
	return domain.Money{Amount: decimal.RequireFromString(s), Currency: nzd}
}

func TestPushPayoutTransferAndFeesOnce(t *testing.T) {
	s := payoutOrg(t)
	l, _ := MustLedger(t, s)
	ctx := context.Background()
	day := domain.MustDate(2026, 3, 4)
	tr := accounting.Transfer{ID: uuid.New(), FromAccount: "610", ToAccount: bankAccount, Amount: money("1067.80"), Date: day, Reference: "po_1"}
	ex := accounting.Expense{ID: uuid.New(), FromAccount: "610", ExpenseAccount: "404", Payee: "Stripe", Description: "Stripe fees, payout po_1",
		Amount: money("32.20"), Date: day, Reference: "po_1"}
	for i := range 2 {
		ack, err := l.PushTransfer(ctx, tr)
		if err != nil || ack.LedgerID == "" || ack.Existing != (i == 1) {
			t.Fatalf("transfer, push %d: %+v, %v", i+1, ack, err)
		}
		ack, err = l.PushExpense(ctx, ex)
		if err != nil || ack.LedgerID == "" || ack.Existing != (i == 1) {
			t.Fatalf("fees, push %d: %+v, %v", i+1, ack, err)
		}
	}
	bts := s.BankTransfers()
	if len(bts) != 1 {
		t.Fatalf("bank transfers: %d, want 1", len(bts))
	}
	bt := bts[0]
	from, to := bt["FromBankAccount"].(map[string]any), bt["ToBankAccount"].(map[string]any)
	if from["Code"] != "610" || to["Code"] != bankAccount || bt["Amount"].(interface{ String() string }).String() != "1067.8" {
		t.Errorf("bank transfer: %v", bt)
	}
	txs := s.BankTransactions()
	if len(txs) != 1 {
		t.Fatalf("bank transactions: %d, want 1", len(txs))
	}
	tx := txs[0]
	lines := tx["LineItems"].([]any)
	if tx["Type"] != "SPEND" || tx["BankAccount"].(map[string]any)["Code"] != "610" || len(lines) != 1 ||
		lines[0].(map[string]any)["AccountCode"] != "404" || tx["Total"].(interface{ String() string }).String() != "32.2" ||
		tx["Contact"].(map[string]any)["Name"] != "Stripe" {
		t.Errorf("fees: %v", tx)
	}
}

func TestPushPayoutAfterTemporaryFailureCreatesOne(t *testing.T) {
	s := payoutOrg(t)
	l, _ := MustLedger(t, s)
	ctx := context.Background()
	day := domain.MustDate(2026, 3, 4)
	tr := accounting.Transfer{ID: uuid.New(), FromAccount: "610", ToAccount: bankAccount, Amount: money("10.00"), Date: day, Reference: "po_2"}
	s.Fail(xerotest.Fault{Method: http.MethodPut, Path: "/BankTransfers", Status: http.StatusServiceUnavailable, Body: `{"Message":"busy"}`})
	_, err := l.PushTransfer(ctx, tr)
	if temp, _ := accounting.IsTemporary(err); !temp {
		t.Fatalf("a 503 should be temporary: %v", err)
	}
	if ack, err := l.PushTransfer(ctx, tr); err != nil || ack.Existing {
		t.Fatalf("retry: %+v, %v", ack, err)
	}
	if n := len(s.BankTransfers()); n != 1 {
		t.Errorf("bank transfers after a retry: %d, want 1", n)
	}
}

func TestPushPayoutRefusedAccountIsPermanent(t *testing.T) {
	s := payoutOrg(t)
	l, _ := MustLedger(t, s)
	day := domain.MustDate(2026, 3, 4)
	// 200 is a revenue account: Xero refuses it as a transfer's bank account.
	_, err := l.PushTransfer(context.Background(), accounting.Transfer{ID: uuid.New(), FromAccount: "200", ToAccount: bankAccount, Amount: money("5.00"), Date: day})
	if err == nil {
		t.Fatal("a transfer from a revenue account was accepted")
	}
	if temp, _ := accounting.IsTemporary(err); temp {
		t.Errorf("a refused transfer should be permanent: %v", err)
	}
	if len(s.BankTransfers()) != 0 {
		t.Error("a refused transfer was kept")
	}
}
