package qbo_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/integrations/accounting"
	"remit/integrations/accounting/qbo/qbotest"
)

// refundCredit pushes INV-000042 (110.00), its payment into the clearing
// account (4), and a refund's credit memo of 55.00 left unallocated, as the
// ledger sync does; it returns the refund to push.
func refundCredit(t *testing.T, e *env) accounting.Refund {
	t.Helper()
	ctx := context.Background()
	inv := invoice()
	ia := MustPush(t, e.c, inv)
	if _, err := e.c.PushPayment(ctx, accounting.Payment{ID: uuid.New(), InvoiceLedgerID: ia.LedgerID, InvoiceNumber: inv.Number,
		Amount: money("110"), Date: domain.MustDate(2025, 3, 10), AccountCode: "4", Reference: "ch_1"}); err != nil {
		t.Fatal(err)
	}
	cn := accounting.CreditNote{ID: uuid.New(), InvoiceNumber: inv.Number, Contact: inv.Contact, Currency: inv.Currency,
		Date: domain.MustDate(2025, 3, 11), Reason: "Refund: cancelled",
		Lines: []accounting.Line{{Description: "Credit against INV-000042", Quantity: decidertest.Dec("1"), UnitPrice: money("50"), Net: money("50"),
			Tax: money("5"), Gross: money("55"), TaxRate: decidertest.Dec("0.1"), AccountCode: "1", TaxType: "TAX"}},
		Net: money("50"), Tax: money("5"), Total: money("55")}
	ca, err := e.c.PushCreditNote(ctx, cn)
	if err != nil {
		t.Fatal(err)
	}
	return accounting.Refund{ID: uuid.New(), CreditNoteLedgerID: ca.LedgerID, ContactLedgerID: ca.ContactID, InvoiceNumber: inv.Number,
		FromAccount: "4", ReceivableAccount: "84", Amount: money("55"), Date: domain.MustDate(2025, 3, 11), Reference: "re_1"}
}

// refundChecks are the company's checks to customers.
func refundChecks(e *env) []qbotest.Purchase {
	var out []qbotest.Purchase
	for _, p := range e.srv.Purchases() {
		if p.PaymentType == "Check" {
			out = append(out, p)
		}
	}
	return out
}

// TestPushRefundChecksTheCustomerAndUsesTheCreditMemoOnce: a refund is a
// check from the clearing account to Accounts Receivable for the customer,
// and the credit memo applied to it; pushed again, nothing new.
func TestPushRefundChecksTheCustomerAndUsesTheCreditMemoOnce(t *testing.T) {
	e := MustEnv(t)
	r := refundCredit(t, e)
	ctx := context.Background()
	ack, err := e.c.PushRefund(ctx, r)
	if err != nil || ack.LedgerID == "" || ack.Existing || ack.ContactID != r.ContactLedgerID {
		t.Fatalf("refund: %+v, %v", ack, err)
	}
	checks := refundChecks(e)
	if len(checks) != 1 {
		t.Fatalf("%d checks, want 1", len(checks))
	}
	c := checks[0]
	if c.ID != ack.LedgerID || c.AccountRef.Value != "4" || c.EntityRef.Value != r.ContactLedgerID || c.EntityRef.Type != "Customer" ||
		len(c.Line) != 1 || c.Line[0].AccountBasedExpenseLineDetail.AccountRef.Value != "84" || c.TotalAmt.String() != "55.00" ||
		!strings.Contains(c.PrivateNote, "re_1") || !strings.Contains(c.PrivateNote, "remit:"+r.ID.String()) {
		t.Errorf("check: %+v", c)
	}
	if cm := e.srv.CreditMemos()[0]; string(*cm.RemainingCredit) != "0.00" {
		t.Errorf("credit memo's remaining credit = %s, want 0.00", *cm.RemainingCredit)
	}
	if got := e.srv.CheckApplied(c.ID); got.String() != "55" {
		t.Errorf("applied to the check: %s", got)
	}
	payments := len(e.srv.Payments())
	again, err := e.c.PushRefund(ctx, r)
	if err != nil || again.LedgerID != ack.LedgerID || !again.Existing || len(refundChecks(e)) != 1 || len(e.srv.Payments()) != payments {
		t.Fatalf("re-push: %+v, %v; %d checks", again, err, len(refundChecks(e)))
	}
}

// TestPushRefundApplicationLostIsMadeOnRetry: the check is made but the
// application's answer is lost; the retry finds the check and applies the
// credit memo once.
func TestPushRefundApplicationLostIsMadeOnRetry(t *testing.T) {
	e := MustEnv(t)
	r := refundCredit(t, e)
	ctx := context.Background()
	e.srv.FailNext(http.MethodPost, "/payment", qbotest.Fault{Status: http.StatusServiceUnavailable})
	if _, err := e.c.PushRefund(ctx, r); err == nil {
		t.Fatal("a 503 was taken as success")
	} else if tmp, _ := accounting.IsTemporary(err); !tmp {
		t.Fatalf("a 503 should be temporary: %v", err)
	}
	if len(refundChecks(e)) != 1 {
		t.Fatalf("the check was not made before the failure")
	}
	ack, err := e.c.PushRefund(ctx, r)
	if err != nil || ack.Existing {
		t.Fatalf("retry: %+v, %v", ack, err)
	}
	if len(refundChecks(e)) != 1 || e.srv.CheckApplied(ack.LedgerID).String() != "55" {
		t.Errorf("after the retry: %d checks, %s applied", len(refundChecks(e)), e.srv.CheckApplied(ack.LedgerID))
	}
}

// TestPushRefundToAnUnknownAccountIsPermanent: QuickBooks refuses a check
// from an account the company does not have.
func TestPushRefundToAnUnknownAccountIsPermanent(t *testing.T) {
	e := MustEnv(t)
	r := refundCredit(t, e)
	r.FromAccount = "999"
	_, err := e.c.PushRefund(context.Background(), r)
	if tmp, _ := accounting.IsTemporary(err); err == nil || tmp {
		t.Fatalf("want a permanent error: %v", err)
	}
	if len(refundChecks(e)) != 0 {
		t.Error("a refused check was kept")
	}
}
