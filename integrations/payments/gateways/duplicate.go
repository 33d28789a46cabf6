package gateways

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/eventstore"
	"remit/integrations/payments"
)

// A payment the gateway took that its invoice refuses (the invoice was paid
// meanwhile: a second browser tab paid by bank debit what the first paid by
// card, or a pay-now payment crossed a collection) is money nobody owes:
// refundDuplicate gives it back in full at once, with an idempotency key
// derived from its attempt, and records InvoiceDuplicatePaymentRefunded so
// the books see it collected and refunded. Run again (the redirect and the
// webhook both reporting it), the gateway answers the same refund and the
// record appends nothing.

// DuplicateRefundKey is the idempotency key of the refund of attempt's
// duplicate payment.
func DuplicateRefundKey(attemptID uuid.UUID) string { return "remit-duplicate/" + attemptID.String() }

// refundDuplicate refunds res (a succeeded payment the invoice refused with
// refusal) and records it, answering the log position recorded; it answers
// refusal when the payment is not one
// to refund (not succeeded, not a refusal by the invoice's rules, or no
// gateway that refunds).
func refundDuplicate(ctx context.Context, gw any, store eventstore.Store, svc *billing.Service, log *slog.Logger, invoiceID, attemptID uuid.UUID,
	res payments.ChargeResult, refusal error, meta billing.Meta) (uint64, error) {
	rf, ok := gw.(payments.Refunder)
	if !ok || res.Status != payments.StatusSucceeded || res.Reference == "" || !res.Amount.Amount.IsPositive() {
		return 0, refusal
	}
	switch domain.ErrorCode(refusal) {
	case domain.ECONFLICT, domain.EINVALID:
	default:
		return 0, refusal
	}
	// An attempt the invoice recorded (as a payment, or as a rejection the
	// gateway now contradicts) is not a duplicate: nothing is refunded.
	st, err := foldInvoice(ctx, store, invoiceID)
	if err != nil {
		return 0, err
	}
	if _, recorded := st.Attempts[attemptID]; recorded || !st.Issued() {
		return 0, refusal
	}
	r, err := rf.Refund(ctx, payments.RefundRequest{IdempotencyKey: DuplicateRefundKey(attemptID), ChargeReference: res.Reference, Amount: res.Amount,
		Reason:   "duplicate payment: the invoice had nothing left to pay",
		Metadata: map[string]string{"invoice_id": invoiceID.String(), "attempt_id": attemptID.String()}})
	if err != nil {
		return 0, fmt.Errorf("refund the duplicate payment %s of invoice %s (%v): %w", res.Reference, invoiceID, refusal, err)
	}
	log.Warn("a payment the invoice refused was refunded in full", "invoice", invoiceID, "charge", res.Reference, "refund", r.Reference, "why", refusal)
	rec, err := svc.RecordDuplicateRefund(ctx, billing.DuplicateRefund{InvoiceID: invoiceID, AttemptID: attemptID, ChargeReference: res.Reference,
		GatewayRefundReference: r.Reference, Amount: res.Amount}, meta)
	return rec.Position, err
}
