package invoice_test

import (
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/invoice"
)

var (
	refundID   = uuid.MustParse("99999999-9999-4999-8999-000000000001")
	refund2ID  = uuid.MustParse("99999999-9999-4999-8999-000000000002")
	refundCNID = uuid.MustParse("88888888-8888-4888-8888-000000000011")
	refundCN2  = uuid.MustParse("88888888-8888-4888-8888-000000000012")
	disputeID  = uuid.MustParse("aaaaaaaa-aaaa-4aaa-8aaa-000000000001")
	refundOn   = issueOn.AddDays(5)
)

func refundCmd(amount string) invoice.RefundPayment {
	return invoice.RefundPayment{RefundID: refundID, CreditNoteID: refundCNID, GatewayReference: "ch_1", GatewayRefundReference: "re_1",
		Amount: aud(amount), Reason: "Service cancelled", Date: refundOn, Now: now}
}

func refunded(amount string) invoice.InvoicePaymentRefunded {
	return invoice.InvoicePaymentRefunded{InvoiceID: invoiceID, RefundID: refundID, GatewayReference: "ch_1", GatewayRefundReference: "re_1",
		Amount: aud(amount), Reason: "Service cancelled", CreditNoteID: refundCNID, Date: refundOn, At: now}
}

func refundCredit(amount string) invoice.InvoiceCreditNoteIssued {
	return invoice.InvoiceCreditNoteIssued{InvoiceID: invoiceID, CreditNoteID: refundCNID, Amount: aud(amount), Reason: "Refund: Service cancelled", At: now}
}

func disputeCmd(amount string) invoice.RecordDispute {
	return invoice.RecordDispute{DisputeID: disputeID, GatewayReference: "ch_1", GatewayDisputeReference: "dp_1", Amount: aud(amount), Reason: "fraudulent", Date: refundOn, Now: now}
}

func disputed(amount string) invoice.InvoicePaymentDisputed {
	return invoice.InvoicePaymentDisputed{InvoiceID: invoiceID, DisputeID: disputeID, GatewayReference: "ch_1", GatewayDisputeReference: "dp_1",
		Amount: aud(amount), Reason: "fraudulent", Date: refundOn, At: now}
}

func disputeClosed(o invoice.DisputeOutcome) invoice.InvoiceDisputeClosed {
	fee := aud("0")
	if o == invoice.DisputeLost {
		fee = aud("15.00")
	}
	return invoice.InvoiceDisputeClosed{InvoiceID: invoiceID, DisputeID: disputeID, GatewayReference: "ch_1", GatewayDisputeReference: "dp_1",
		Outcome: o, Amount: aud("159.50"), Fee: fee, Date: refundOn.AddDays(10), At: now}
}

func TestRefundPayment(t *testing.T) {
	paid := []domain.Event{MustIssued(t), succeeded("159.50")}
	mod := func(f func(*invoice.RefundPayment)) invoice.RefundPayment {
		c := refundCmd("50.00")
		f(&c)
		return c
	}
	second := mod(func(c *invoice.RefundPayment) {
		c.RefundID, c.CreditNoteID, c.Amount = refund2ID, refundCN2, aud("109.51")
	})
	decidertest.Run(t, decider, []decidertest.Case[invoice.Command]{
		{Name: "OK", Given: paid, When: refundCmd("50.00"), Then: []domain.Event{refunded("50.00"), refundCredit("50.00")}},
		{Name: "OKInFull", Given: paid, When: refundCmd("159.50"), Then: []domain.Event{refunded("159.50"), refundCredit("159.50")}},
		{Name: "AlreadyRecorded", Given: append(paid, refunded("50.00"), refundCredit("50.00")), When: refundCmd("50.00")},
		{Name: "ErrMoreThanLeft", Given: append(paid, refunded("50.00"), refundCredit("50.00")), When: second, Err: decidertest.ThenErr(domain.EINVALID, "amount")},
		{Name: "ErrMoreThanCollected", Given: paid, When: refundCmd("159.51"), Err: decidertest.ThenErr(domain.EINVALID, "amount")},
		{Name: "ErrNoGatewayPayment", Given: []domain.Event{MustIssued(t), recorded(paymentID, "159.50")}, When: refundCmd("1.00"), Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrUnknownCharge", Given: paid, When: mod(func(c *invoice.RefundPayment) { c.GatewayReference = "ch_other" }), Err: decidertest.ThenErr(domain.EINVALID, "charge_reference")},
		{Name: "ErrNoReason", Given: paid, When: mod(func(c *invoice.RefundPayment) { c.Reason = " " }), Err: decidertest.ThenErr(domain.EINVALID, "reason")},
		{Name: "ErrZero", Given: paid, When: refundCmd("0"), Err: decidertest.ThenErr(domain.EINVALID, "amount")},
		{Name: "ErrUnderDispute", Given: append(paid, disputed("100.00")), When: refundCmd("10.00"), Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrLostDispute", Given: append(paid, disputed("159.50"), disputeClosed(invoice.DisputeLost)), When: refundCmd("10.00"), Err: decidertest.ThenErr(domain.EINVALID, "amount")},
		{Name: "ErrNotIssued", When: refundCmd("10.00"), Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestRefundKeepsTotalsAgreeing(t *testing.T) {
	s := invoice.Fold([]domain.Event{MustIssued(t), succeeded("159.50"), refunded("50.00"), refundCredit("50.00")})
	if s.Status != invoice.StatusPaid || !s.Balance().IsZero() {
		t.Fatalf("after a partial refund of a paid invoice: status %s, balance %s; want paid, 0", s.Status, s.Balance())
	}
	if !s.Paid.Amount.Equal(decidertest.Dec("109.50")) || !s.Credited.Amount.Equal(decidertest.Dec("50")) || !s.Refunded.Amount.Equal(decidertest.Dec("50")) {
		t.Fatalf("paid %s credited %s refunded %s; want 109.50, 50, 50", s.Paid, s.Credited, s.Refunded)
	}
	if left := s.Charges["ch_1"].Refundable(); !left.Amount.Equal(decidertest.Dec("109.50")) {
		t.Fatalf("refundable %s, want 109.50", left)
	}
	if err := invoice.CheckRefund(s, invoice.RefundPayment{RefundID: refund2ID, CreditNoteID: refundCN2, GatewayReference: "ch_1", Amount: aud("109.51"), Reason: "x", Date: refundOn}); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("CheckRefund of more than is left: %v", err)
	}
}

func TestRecordDispute(t *testing.T) {
	paid := []domain.Event{MustIssued(t), succeeded("159.50")}
	decidertest.Run(t, decider, []decidertest.Case[invoice.Command]{
		{Name: "OK", Given: paid, When: disputeCmd("159.50"), Then: []domain.Event{disputed("159.50")}},
		{Name: "AlreadyRecorded", Given: append(paid, disputed("159.50")), When: disputeCmd("159.50")},
		{Name: "ErrMoreThanHeld", Given: append(paid, refunded("50.00"), refundCredit("50.00")), When: disputeCmd("159.50"), Err: decidertest.ThenErr(domain.EINVALID, "amount")},
		{Name: "ErrUnknownCharge", Given: []domain.Event{MustIssued(t)}, When: disputeCmd("1.00"), Err: decidertest.ThenErr(domain.EINVALID, "gateway_reference")},
	})
}

func TestCloseDispute(t *testing.T) {
	open := []domain.Event{MustIssued(t), succeeded("159.50"), disputed("159.50")}
	lost := invoice.CloseDispute{DisputeID: disputeID, Outcome: invoice.DisputeLost, Fee: aud("15.00"), Date: refundOn.AddDays(10), Now: now}
	won := invoice.CloseDispute{DisputeID: disputeID, Outcome: invoice.DisputeWon, Date: refundOn.AddDays(10), Now: now}
	decidertest.Run(t, decider, []decidertest.Case[invoice.Command]{
		{Name: "OKLost", Given: open, When: lost, Then: []domain.Event{disputeClosed(invoice.DisputeLost)}},
		{Name: "OKWon", Given: open, When: won, Then: []domain.Event{disputeClosed(invoice.DisputeWon)}},
		{Name: "AlreadyClosed", Given: append(open, disputeClosed(invoice.DisputeWon)), When: won},
		{Name: "ErrClosedOtherwise", Given: append(open, disputeClosed(invoice.DisputeWon)), When: lost, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNoSuchDispute", Given: open[:2], When: won, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestDisputeStatuses(t *testing.T) {
	base := []domain.Event{MustIssued(t), succeeded("159.50"), disputed("159.50")}
	cases := []struct {
		name    string
		given   []domain.Event
		status  invoice.Status
		balance string
		open    bool
	}{
		{"Open", base, invoice.StatusAwaitingPayment, "159.50", true},
		{"Won", append(base, disputeClosed(invoice.DisputeWon)), invoice.StatusPaid, "0", false},
		{"Lost", append(base, disputeClosed(invoice.DisputeLost)), invoice.StatusAwaitingPayment, "159.50", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := invoice.Fold(tc.given)
			if s.Status != tc.status || !s.Balance().Amount.Equal(decidertest.Dec(tc.balance)) {
				t.Fatalf("status %s balance %s, want %s %s", s.Status, s.Balance(), tc.status, tc.balance)
			}
			if _, open := s.OpenDispute(); open != tc.open {
				t.Fatalf("open dispute = %v, want %v", open, tc.open)
			}
		})
	}
}
