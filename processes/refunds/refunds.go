// Package refunds refunds collected gateway payments and records the
// gateway's disputes on them: the process around the payment gateway's
// refund and dispute port (integrations/payments, refund.go) and the
// invoice's refund and dispute commands (billing, refunds.go).
//
// # A refund, exactly once
//
// Refund plans the refund (billing.PlanRefund: the invoice's own rules,
// checked before the gateway is asked, so a refund Remit would refuse is
// never made), asks the gateway with the idempotency key "refund/<refund
// id>", then records the answer (billing.RecordRefund: InvoicePaymentRefunded
// and its credit note). The refund id is derived from the command id, which
// the API takes from the request's Idempotency-Key and the UI from the form
// it rendered; a crash between the gateway's answer and the append is
// repaired by sending the same request again: the plan names the same
// refund, the gateway answers the refund it made, and the append happens
// once.
//
// # Disputes
//
// Stripe delivers disputes to its webhook (charge.dispute.*; RecordDispute
// is its OnDispute); the sandbox lists them and the scheduler polls
// (SyncDisputes). A dispute names only its charge: the invoice is the one
// whose collection made it (billing.InvoiceOfCharge). Its id is derived from
// the gateway's dispute id, so it is recorded once however often it is
// reported, and its outcome once.
package refunds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/integrations/payments"
)

// Refunder refunds payments and records disputes.
type Refunder struct {
	Billing *billing.Service
	// Gateway refunds; nil refuses every refund (the configured gateway
	// cannot refund).
	Gateway payments.Refunder
	// Store is where the invoice of a disputed charge is looked up.
	Store eventstore.Store
	// Logger hears about disputes that cannot be recorded; nil discards.
	Logger *slog.Logger
}

// Actor is recorded on disputes reported by a gateway.
const Actor = "gateway"

// Refund refunds r through the gateway and records it; Result.ID is the
// refund's id. See the package doc for why it is safe to repeat.
func (f *Refunder) Refund(ctx context.Context, r billing.RefundRequest, meta billing.Meta) (billing.Result, error) {
	if meta.CommandID == "" {
		meta.CommandID = uuid.NewString()
	}
	plan, err := f.Billing.PlanRefund(ctx, r, meta)
	if err != nil {
		return billing.Result{}, err
	}
	if plan.Recorded {
		return f.Billing.RecordRefund(ctx, plan, "", meta) // appends nothing: answers the invoice
	}
	if f.Gateway == nil {
		return billing.Result{}, domain.Conflict("The payment gateway Remit runs with cannot refund payments.")
	}
	res, err := f.Gateway.Refund(ctx, payments.RefundRequest{
		IdempotencyKey: "refund/" + plan.RefundID.String(), ChargeReference: plan.ChargeReference, Amount: plan.Amount, Reason: plan.Reason,
		Metadata: map[string]string{"invoice_id": plan.InvoiceID.String(), "refund_id": plan.RefundID.String(), "invoice_number": plan.Number},
	})
	switch {
	case errors.Is(err, payments.ErrRefundRefused):
		return billing.Result{}, domain.Conflict("The payment gateway refused to refund %s of invoice %s: %v", plan.Amount, plan.Number, err)
	case err != nil:
		return billing.Result{}, fmt.Errorf("refund %s of invoice %s: %w", plan.Amount, plan.Number, err)
	}
	out, err := f.Billing.RecordRefund(ctx, plan, res.Reference, meta)
	if err != nil {
		// The money went back: the operator must know, whatever the error.
		f.logger().Error("the gateway refunded but the refund is not recorded; send the same request again",
			"invoice", plan.Number, "refund", plan.RefundID, "gateway_refund", res.Reference, "amount", plan.Amount.String(), "err", err)
	}
	return out, err
}

func (f *Refunder) logger() *slog.Logger {
	if f.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return f.Logger
}

// RecordDispute records one dispute a gateway reported (and its outcome,
// when closed). A dispute on a charge no invoice here collected, or one the
// invoice refuses, is logged and answered nil: reporting it again would
// change nothing. An error means the store could not be reached.
func (f *Refunder) RecordDispute(ctx context.Context, d payments.Dispute, correlation string) error {
	log := f.logger()
	invoiceID := d.InvoiceID
	if invoiceID == uuid.Nil {
		// The gateway did not say: look the charge up (a read of the log's
		// payments, for a rare event).
		var err error
		if invoiceID, err = billing.InvoiceOfCharge(ctx, f.Store, d.ChargeReference); err != nil {
			return err
		}
	}
	if invoiceID == uuid.Nil {
		log.Info("dispute of a payment Remit did not collect", "dispute", d.Reference, "charge", d.ChargeReference)
		return nil
	}
	rep := billing.DisputeReport{InvoiceID: invoiceID, ChargeReference: d.ChargeReference, GatewayDisputeReference: d.Reference,
		Amount: d.Amount.Amount, Reason: d.Reason, Fee: d.Fee.Amount}
	switch d.Status {
	case payments.DisputeWon:
		rep.Outcome = invoice.DisputeWon
	case payments.DisputeLost:
		rep.Outcome = invoice.DisputeLost
	}
	_, err := f.Billing.RecordDispute(ctx, rep, billing.Meta{Actor: Actor, CorrelationID: correlation})
	switch domain.ErrorCode(err) {
	case "":
		return nil
	case domain.ECONFLICT, domain.EINVALID, domain.ENOTFOUND:
		log.Warn("dispute not recorded", "dispute", d.Reference, "invoice", invoiceID, "err", err)
		return nil
	}
	return fmt.Errorf("record dispute %s: %w", d.Reference, err)
}

// SyncDisputes records every dispute a gateway that lists them (the
// sandbox) has now; recording one already recorded appends nothing.
func (f *Refunder) SyncDisputes(ctx context.Context, l payments.DisputeLister) (int, error) {
	ds, err := l.Disputes(ctx)
	if err != nil {
		return 0, fmt.Errorf("list disputes: %w", err)
	}
	for _, d := range ds {
		if err := f.RecordDispute(ctx, d, "disputes/poll"); err != nil {
			return 0, err
		}
	}
	return len(ds), nil
}
