package xero_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/integrations/accounting"
	"remit/integrations/accounting/xero/xerotest"
)

// refundedCreditNote pushes a paid invoice of 230.00 and the unallocated
// credit note of a refund of 115.00 (100 + 15% GST), as the ledger sync
// does, and returns the credit note's ack.
func refundedCreditNote(t *testing.T, s *xerotest.Server) (accounting.Ack, accounting.Refund) {
	t.Helper()
	l, _ := MustLedger(t, s)
	ctx := context.Background()
	client := newClient("Refund Me Ltd")
	inv := invoice("INV-0701", client, false, line("Audit", "2", "100.00", "0", false))
	ack := MustPushInvoice(t, l, inv)
	if _, err := l.PushPayment(ctx, accounting.Payment{ID: uuid.New(), InvoiceLedgerID: ack.LedgerID, InvoiceNumber: inv.Number,
		Amount: domain.MustMoney("230.00", "NZD"), Date: domain.MustDate(2025, time.March, 4), AccountCode: bankAccount}); err != nil {
		t.Fatal(err)
	}
	cl := line("Audit (one hour refunded)", "1", "100.00", "0", false)
	cn := accounting.CreditNote{ID: uuid.New(), InvoiceNumber: inv.Number, Contact: client, Currency: nzd,
		Date: domain.MustDate(2025, time.March, 5), Reason: "Refund: cancelled", Lines: []accounting.Line{cl}, Net: cl.Net, Tax: cl.Tax, Total: cl.Gross}
	cack, err := l.PushCreditNote(ctx, cn)
	if err != nil {
		t.Fatal(err)
	}
	return cack, accounting.Refund{ID: uuid.New(), CreditNoteLedgerID: cack.LedgerID, ContactLedgerID: cack.ContactID, InvoiceNumber: inv.Number,
		FromAccount: bankAccount, Amount: domain.MustMoney("115.00", "NZD"), Date: domain.MustDate(2025, time.March, 5), Reference: "re_1"}
}

// TestPushRefundPaysOutTheCreditNoteOnce: a refund is a payment against
// the credit note out of the clearing account, made once; the credit note
// is then fully used (PAID in Xero).
func TestPushRefundPaysOutTheCreditNoteOnce(t *testing.T) {
	s := xerotest.New(t)
	l, _ := MustLedger(t, s)
	cack, r := refundedCreditNote(t, s)
	ctx := context.Background()
	first, err := l.PushRefund(ctx, r)
	if err != nil || first.LedgerID == "" || first.Existing {
		t.Fatalf("refund: %+v, %v", first, err)
	}
	again, err := l.PushRefund(ctx, r)
	if err != nil || again.LedgerID != first.LedgerID || !again.Existing {
		t.Fatalf("refund again: %+v, %v", again, err)
	}
	var refunds []map[string]any
	for _, p := range s.Payments() {
		if p["PaymentType"] == "ARCREDITPAYMENT" {
			refunds = append(refunds, p)
		}
	}
	if len(refunds) != 1 {
		t.Fatalf("refund payments in Xero: %d, want 1", len(refunds))
	}
	p := refunds[0]
	if p["CreditNote"].(map[string]any)["CreditNoteID"] != cack.LedgerID || p["Account"].(map[string]any)["Code"] != bankAccount ||
		str(p["Amount"]) != "115" || p["Reference"] != "re_1 "+r.ID.String() {
		t.Errorf("refund payment: %v", p)
	}
	for _, cn := range s.CreditNotes() {
		if cn["CreditNoteID"] == cack.LedgerID && (cn["Status"] != "PAID" || str(cn["RemainingCredit"]) != "0") {
			t.Errorf("credit note after its refund: %v, remaining %v", cn["Status"], cn["RemainingCredit"])
		}
	}
	// More than the credit left is Xero's refusal, permanent.
	over := r
	over.ID = uuid.New()
	_, err = l.PushRefund(ctx, over)
	if le := ledgerError(t, err); le.Temporary {
		t.Errorf("a refund of a used credit note should be refused for good: %+v", le)
	}
}

func TestPushRefundAfterTemporaryFailureCreatesOne(t *testing.T) {
	s := xerotest.New(t)
	l, _ := MustLedger(t, s)
	_, r := refundedCreditNote(t, s)
	ctx := context.Background()
	s.Fail(xerotest.Fault{Method: http.MethodPut, Path: "/Payments", Status: http.StatusServiceUnavailable, Body: `{"Message":"busy"}`})
	if _, err := l.PushRefund(ctx, r); err == nil {
		t.Fatal("the 503 was not reported")
	} else if temp, _ := accounting.IsTemporary(err); !temp {
		t.Fatalf("a 503 should be temporary: %v", err)
	}
	if ack, err := l.PushRefund(ctx, r); err != nil || ack.Existing {
		t.Fatalf("retry: %+v, %v", ack, err)
	}
	n := 0
	for _, p := range s.Payments() {
		if p["PaymentType"] == "ARCREDITPAYMENT" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("refund payments after a retry: %d, want 1", n)
	}
}

func TestPushRefundWithoutItsCreditNoteIsPermanent(t *testing.T) {
	s := xerotest.New(t)
	l, _ := MustLedger(t, s)
	_, err := l.PushRefund(context.Background(), accounting.Refund{ID: uuid.New(), FromAccount: bankAccount, Amount: domain.MustMoney("1.00", "NZD"),
		Date: domain.MustDate(2025, time.March, 5), Reference: "re_2"})
	if le := ledgerError(t, err); le.Temporary {
		t.Errorf("want a permanent error: %+v", le)
	}
}
