package billingrun

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain/invoice"
	"remit/integrations/payments"
)

// NowOutcome is what a charge made on the spot came to: the invoice's
// status after it (paid, payment rejected with the decline, or payment
// scheduled while a bank debit is pending) and the decline's reason.
type NowOutcome struct {
	Number         string
	Status         invoice.Status
	DeclineCode    string
	DeclineMessage string
	// Pending is true when the gateway has not answered yet (a bank
	// debit): the daily collection asks it again with the same key.
	Pending bool
	// Attempted is true when this call made the attempt (false when the
	// invoice had nothing due today: paid, or collected by someone else).
	Attempted bool
}

// CollectNow retries one invoice's collection on the spot ("Retry now" on
// the Collections page): it schedules the retry for today from methodID
// (zero: the method last used) under meta's command id, then makes the
// attempt through the same path as Collect (attempt: the balance charged
// through gw with the attempt's id as idempotency key, its outcome
// recorded), and answers the outcome. A repeat of the same command (a
// double click, a retried request) schedules nothing new and charges with
// the same attempt id, so the gateway charges once; a collection already
// attempted is only reported. A Collect running at the same moment makes
// the same attempt with the same key: one charge either way.
func CollectNow(ctx context.Context, svc *billing.Service, gw payments.Gateway, invoiceID, methodID uuid.UUID, meta billing.Meta) (NowOutcome, error) {
	today, err := svc.Today(ctx)
	if err != nil {
		return NowOutcome{}, err
	}
	if _, err := svc.ScheduleRetry(ctx, billing.InvoiceRequest{InvoiceID: invoiceID, Date: today, PaymentMethodID: methodID}, meta); err != nil {
		return NowOutcome{}, err
	}
	return AttemptDueNow(ctx, svc, gw, invoiceID, meta.Actor)
}

// AttemptDueNow makes, on the spot, the attempt of the invoice's collection
// or retry scheduled for today (or earlier), through the same path as
// Collect, and answers the outcome: what a client who asked for the charge
// "today" on their link is told, rather than waiting for the next daily
// run. An invoice with nothing due today is only reported. Collect making
// the same attempt at the same moment uses the same attempt id, hence the
// same idempotency key: one charge either way.
func AttemptDueNow(ctx context.Context, svc *billing.Service, gw payments.Gateway, invoiceID uuid.UUID, actor string) (NowOutcome, error) {
	today, err := svc.Today(ctx)
	if err != nil {
		return NowOutcome{}, err
	}
	f, err := svc.Firm(ctx)
	if err != nil {
		return NowOutcome{}, err
	}
	st, cl, err := svc.InvoiceNow(ctx, invoiceID)
	if err != nil {
		return NowOutcome{}, err
	}
	attempted := false
	if st.Status == invoice.StatusPaymentScheduled && !st.Collection.Date.IsZero() && !st.Collection.Date.After(today) {
		status, err := attempt(ctx, cl, f, svc, gw, st, today, actor)
		if err != nil {
			return NowOutcome{}, fmt.Errorf("collect invoice %s now: %w", st.Number, err)
		}
		if status == payments.StatusPending {
			return NowOutcome{Number: st.Number, Status: st.Status, Pending: true, Attempted: true}, nil
		}
		if st, _, err = svc.InvoiceNow(ctx, invoiceID); err != nil {
			return NowOutcome{}, err
		}
		attempted = true
	}
	out := NowOutcome{Number: st.Number, Status: st.Status, Attempted: attempted}
	if st.Status == invoice.StatusPaymentRejected {
		out.DeclineCode, out.DeclineMessage = st.LastRejection.DeclineCode, st.LastRejection.DeclineMessage
	}
	return out, nil
}
