package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	stripego "github.com/stripe/stripe-go/v82"

	"remit/domain"
	"remit/integrations/payments"
)

// Refunds and disputes.
//
// Refund creates a Stripe Refund of the PaymentIntent (Remit's charge
// reference, pi_…) with Remit's idempotency key; Stripe answers a repeated
// key with the refund it made. Stripe's invalid-request answers (more than
// is left, a disputed charge) are payments.ErrRefundRefused.
//
// Disputes arrive at the webhook as charge.dispute.created, .updated and
// .closed with the Dispute object; DisputeOf maps it to Remit's words (the
// disputed charge is its PaymentIntent, as Charge recorded it; a lost
// dispute's fee is the sum of the fees of its balance transactions).

var _ payments.Refunder = (*Gateway)(nil)

// Refund implements payments.Refunder.
func (g *Gateway) Refund(ctx context.Context, req payments.RefundRequest) (payments.RefundResult, error) {
	minor := req.Amount.Amount.Shift(int32(req.Amount.Currency.MinorUnits))
	if !minor.IsInteger() || !minor.IsPositive() {
		return payments.RefundResult{}, fmt.Errorf("stripe: %w: cannot refund %s", payments.ErrRefundRefused, req.Amount)
	}
	p := &stripego.RefundCreateParams{Amount: stripego.Int64(minor.IntPart())}
	if strings.HasPrefix(req.ChargeReference, "ch_") || strings.HasPrefix(req.ChargeReference, "py_") {
		p.Charge = stripego.String(req.ChargeReference)
	} else {
		p.PaymentIntent = stripego.String(req.ChargeReference)
	}
	for k, v := range req.Metadata {
		p.AddMetadata(k, v)
	}
	if req.Reason != "" {
		p.AddMetadata("remit_reason", req.Reason)
	}
	p.AddMetadata("remit_idempotency_key", req.IdempotencyKey)
	p.SetIdempotencyKey(req.IdempotencyKey)
	re, err := g.sc.V1Refunds.Create(ctx, p)
	if err != nil {
		var se *stripego.Error
		if errors.As(err, &se) && (se.Type == stripego.ErrorTypeInvalidRequest || se.HTTPStatusCode == http.StatusBadRequest) {
			return payments.RefundResult{}, fmt.Errorf("stripe: %w: %s", payments.ErrRefundRefused, se.Msg)
		}
		return payments.RefundResult{}, fmt.Errorf("stripe: create refund: %w", err)
	}
	switch re.Status {
	case stripego.RefundStatusFailed, stripego.RefundStatusCanceled:
		return payments.RefundResult{}, fmt.Errorf("stripe: %w: refund %s %s", payments.ErrRefundRefused, re.ID, re.Status)
	}
	return payments.RefundResult{Reference: re.ID, Amount: money(re.Amount, string(re.Currency), req.Amount.Currency),
		Pending: re.Status == stripego.RefundStatusPending || re.Status == stripego.RefundStatusRequiresAction}, nil
}

// money is an amount in a currency's minor units; fallback is the currency
// when Stripe's is missing or unknown.
func money(minor int64, code string, fallback domain.Currency) domain.Money {
	cur, err := domain.ParseCurrency(strings.ToUpper(code))
	if err != nil {
		cur = fallback
	}
	return domain.NewMoney(decimal.New(minor, -int32(cur.MinorUnits)), cur)
}

// DisputeNotification is a dispute Stripe sent to the webhook.
type DisputeNotification struct {
	// EventID is Stripe's event id (evt_…).
	EventID string
	Dispute payments.Dispute
}

// DisputeOf maps a Stripe Dispute to payments.Dispute.
func DisputeOf(d *stripego.Dispute) payments.Dispute {
	amount := money(d.Amount, string(d.Currency), domain.Currency{})
	out := payments.Dispute{Reference: d.ID, Amount: amount, Reason: string(d.Reason), Status: payments.DisputeOpen,
		Fee: domain.Zero(amount.Currency), Created: time.Unix(d.Created, 0).UTC()}
	switch {
	case d.PaymentIntent != nil && d.PaymentIntent.ID != "":
		out.ChargeReference = d.PaymentIntent.ID
		out.InvoiceID, _ = uuid.Parse(d.PaymentIntent.Metadata["invoice_id"]) // when Stripe sent it expanded
	case d.Charge != nil:
		out.ChargeReference = d.Charge.ID
	}
	switch d.Status {
	case stripego.DisputeStatusWon:
		out.Status = payments.DisputeWon
	case stripego.DisputeStatusLost:
		out.Status = payments.DisputeLost
		var fee int64
		for _, bt := range d.BalanceTransactions {
			if bt != nil && bt.Amount < 0 { // the withdrawal, with its fee
				fee += bt.Fee
			}
		}
		out.Fee = money(fee, string(d.Currency), amount.Currency)
	}
	return out
}

// Chargeback reports whether a Stripe dispute took money back: not an
// inquiry (warning_needs_response, warning_under_review, warning_closed),
// which moves no money until it becomes a dispute, nor a prevented one.
func Chargeback(d *stripego.Dispute) bool {
	switch d.Status {
	case stripego.DisputeStatusWarningNeedsResponse, stripego.DisputeStatusWarningUnderReview,
		stripego.DisputeStatusWarningClosed, stripego.DisputeStatusPrevented:
		return false
	}
	return true
}

// serveDispute handles a charge.dispute.* event: the dispute goes to
// OnDispute (ignored without one).
func (h Webhook) serveDispute(w http.ResponseWriter, r *http.Request, eventID string, raw json.RawMessage) {
	var d stripego.Dispute
	if err := json.Unmarshal(raw, &d); err != nil || d.ID == "" {
		http.Error(w, "bad dispute", http.StatusBadRequest)
		return
	}
	if !Chargeback(&d) {
		w.WriteHeader(http.StatusOK) // an inquiry: no money moved
		return
	}
	if h.OnDispute != nil {
		if err := h.OnDispute(r.Context(), DisputeNotification{EventID: eventID, Dispute: DisputeOf(&d)}); err != nil {
			http.Error(w, "could not record the dispute", http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}
