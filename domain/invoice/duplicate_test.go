package invoice_test

import (
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/invoice"
)

var duplicateAttempt = uuid.MustParse("66666666-6666-4666-8666-000000000002")

func duplicateCmd(amount string) invoice.RecordDuplicateRefund {
	return invoice.RecordDuplicateRefund{AttemptID: duplicateAttempt, GatewayReference: "pi_2", GatewayRefundReference: "re_2", Amount: aud(amount), Date: refundOn, Now: now}
}

func TestRecordDuplicateRefund(t *testing.T) {
	paid := []domain.Event{MustIssued(t), succeeded("159.50")}
	done := invoice.InvoiceDuplicatePaymentRefunded{InvoiceID: invoiceID, AttemptID: duplicateAttempt, GatewayReference: "pi_2", GatewayRefundReference: "re_2",
		Amount: aud("159.50"), Date: refundOn, At: now}
	mod := func(f func(*invoice.RecordDuplicateRefund)) invoice.RecordDuplicateRefund {
		c := duplicateCmd("159.50")
		f(&c)
		return c
	}
	decidertest.Run(t, decider, []decidertest.Case[invoice.Command]{
		{Name: "OK", Given: paid, When: duplicateCmd("159.50"), Then: []domain.Event{done}},
		{Name: "AlreadyRecorded", Given: append(paid, done), When: duplicateCmd("159.50")},
		{Name: "OKOnAVoidInvoice", Given: []domain.Event{MustIssued(t), voided()}, When: duplicateCmd("159.50"), Then: []domain.Event{done}},
		{Name: "ErrRecordedAsAPayment", Given: paid, When: mod(func(c *invoice.RecordDuplicateRefund) { c.AttemptID = attemptID }), Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrZero", Given: paid, When: duplicateCmd("0"), Err: decidertest.ThenErr(domain.EINVALID, "amount")},
		{Name: "ErrOtherCurrency", Given: paid, When: mod(func(c *invoice.RecordDuplicateRefund) { c.Amount = domain.MustMoney("10", "USD") }), Err: decidertest.ThenErr(domain.EINVALID, "amount")},
		{Name: "ErrNoRefund", Given: paid, When: mod(func(c *invoice.RecordDuplicateRefund) { c.GatewayRefundReference = "" }), Err: decidertest.ThenErr(domain.EINVALID, "gateway_refund_reference")},
		{Name: "ErrNotIssued", When: duplicateCmd("1.00"), Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
	// The money came in and went out: the invoice is as it was.
	before, after := invoice.Fold(paid), invoice.Fold(append(paid, done))
	if after.Status != before.Status || !after.Balance().Equal(before.Balance()) || !after.Paid.Equal(before.Paid) || !after.Duplicates[duplicateAttempt] {
		t.Errorf("after a refunded duplicate: %s %s %s; before: %s %s %s", after.Status, after.Balance(), after.Paid, before.Status, before.Balance(), before.Paid)
	}
}
