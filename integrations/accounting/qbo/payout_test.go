package qbo_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/integrations/accounting"
	"remit/integrations/accounting/qbo/qbotest"
)

// payout is a payout of 1,067.80 from Undeposited Funds (4, the clearing
// account here) to Checking (35), and its 32.20 of fees to Bank Charges (8).
func payout() (accounting.Transfer, accounting.Expense) {
	day := domain.MustDate(2025, 3, 12)
	return accounting.Transfer{ID: uuid.New(), FromAccount: "4", ToAccount: "35", Amount: money("1067.80"), Date: day, Reference: "po_1"},
		accounting.Expense{ID: uuid.New(), FromAccount: "4", ExpenseAccount: "8", Payee: "Stripe", Description: "Stripe fees, payout po_1",
			Amount: money("32.20"), Date: day, Reference: "po_1"}
}

func TestPushPayoutTransferAndPurchaseOnce(t *testing.T) {
	e := MustEnv(t)
	ctx := context.Background()
	tr, ex := payout()
	for i := range 2 {
		ack, err := e.c.PushTransfer(ctx, tr)
		if err != nil || ack.LedgerID == "" || ack.Existing != (i == 1) {
			t.Fatalf("transfer, push %d: %+v, %v", i+1, ack, err)
		}
		ack, err = e.c.PushExpense(ctx, ex)
		if err != nil || ack.LedgerID == "" || ack.Existing != (i == 1) {
			t.Fatalf("fees, push %d: %+v, %v", i+1, ack, err)
		}
	}
	trs, ps := e.srv.Transfers(), e.srv.Purchases()
	if len(trs) != 1 || len(ps) != 1 {
		t.Fatalf("%d transfers and %d purchases, want one each", len(trs), len(ps))
	}
	if got := trs[0]; got.FromAccountRef.Value != "4" || got.ToAccountRef.Value != "35" || got.Amount.String() != "1067.8" || got.TxnDate != "2025-03-12" {
		t.Errorf("transfer: %+v", got)
	}
	p := ps[0]
	if p.PaymentType != "Cash" || p.AccountRef.Value != "4" || !decimal.RequireFromString(p.TotalAmt.String()).Equal(decimal.RequireFromString("32.2")) || len(p.Line) != 1 ||
		p.Line[0].AccountBasedExpenseLineDetail.AccountRef.Value != "8" {
		t.Errorf("purchase: %+v", p)
	}
}

func TestPushPayoutResponseLostCreatesOne(t *testing.T) {
	e := MustEnv(t)
	ctx := context.Background()
	tr, ex := payout()
	e.srv.FailNext(http.MethodPost, "/transfer", qbotest.Fault{Status: http.StatusBadGateway, AfterCommit: true})
	e.srv.FailNext(http.MethodPost, "/purchase", qbotest.Fault{Status: http.StatusServiceUnavailable})
	if _, err := e.c.PushTransfer(ctx, tr); err == nil {
		t.Fatal("a lost answer was taken as success")
	} else if tmp, _ := accounting.IsTemporary(err); !tmp {
		t.Fatalf("err = %v, want temporary", err)
	}
	if _, err := e.c.PushExpense(ctx, ex); err == nil {
		t.Fatal("a 503 was taken as success")
	}
	if ack, err := e.c.PushTransfer(ctx, tr); err != nil || !ack.Existing {
		t.Fatalf("retry of the transfer: %+v, %v; want the one created before", ack, err)
	}
	if ack, err := e.c.PushExpense(ctx, ex); err != nil || ack.Existing {
		t.Fatalf("retry of the fees: %+v, %v; want it created now", ack, err)
	}
	if len(e.srv.Transfers()) != 1 || len(e.srv.Purchases()) != 1 {
		t.Errorf("%d transfers and %d purchases after retries, want one each", len(e.srv.Transfers()), len(e.srv.Purchases()))
	}
}

func TestPushPayoutUnknownAccountIsPermanent(t *testing.T) {
	e := MustEnv(t)
	tr, ex := payout()
	tr.ToAccount = "999"
	_, err := e.c.PushTransfer(context.Background(), tr)
	MustPermanent(t, err, http.StatusBadRequest, "999")
	ex.ExpenseAccount = "35" // a bank account, not an expense account
	_, err = e.c.PushExpense(context.Background(), ex)
	MustPermanent(t, err, http.StatusBadRequest, "35")
	if len(e.srv.Transfers())+len(e.srv.Purchases()) != 0 {
		t.Error("a refused document was kept")
	}
}
