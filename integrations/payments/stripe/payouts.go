package stripe

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	stripego "github.com/stripe/stripe-go/v82"

	"remit/domain"
	"remit/integrations/payments"
)

var _ payments.PayoutSource = (*Gateway)(nil)

// Payouts implements payments.PayoutSource: the payouts Stripe paid (status
// paid) or that failed, created at or after since, oldest first, each with
// its balance transactions (GET /v1/balance_transactions?payout=po_…, the
// source of each expanded so a charge names its PaymentIntent, the
// reference Remit recorded when it collected, and its invoice).
//
// Balance transactions map to payout lines as: charge and payment →
// charge; refund and payment_refund → refund; a dispute (an adjustment
// whose source is a dispute) → a dispute line of its amount and, when
// Stripe took a dispute fee, a separate dispute_fee line of it (the dispute
// events book that fee, not the payout); any other → adjustment. The
// payout's own balance transaction is left out.
func (g *Gateway) Payouts(ctx context.Context, since time.Time) ([]payments.Payout, error) {
	var out []payments.Payout
	for _, status := range []stripego.PayoutStatus{stripego.PayoutStatusPaid, stripego.PayoutStatusFailed} {
		p := &stripego.PayoutListParams{Status: stripego.String(string(status))}
		if !since.IsZero() {
			p.CreatedRange = &stripego.RangeQueryParams{GreaterThanOrEqual: since.Unix()}
		}
		for po, err := range g.sc.V1Payouts.List(ctx, p) {
			if err != nil {
				return nil, fmt.Errorf("stripe: list payouts: %w", err)
			}
			payout, err := g.payout(ctx, po)
			if err != nil {
				return nil, err
			}
			out = append(out, payout)
		}
	}
	// Stripe lists newest first; Remit records oldest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

func (g *Gateway) payout(ctx context.Context, po *stripego.Payout) (payments.Payout, error) {
	cur, err := domain.ParseCurrency(strings.ToUpper(string(po.Currency)))
	if err != nil {
		return payments.Payout{}, fmt.Errorf("stripe: payout %s: %w", po.ID, err)
	}
	minor := func(n int64) decimal.Decimal { return decimal.New(n, -int32(cur.MinorUnits)) }
	arrival := time.Unix(po.ArrivalDate, 0).UTC()
	out := payments.Payout{
		Reference: po.ID, Currency: cur, Amount: domain.NewMoney(minor(po.Amount), cur), Created: time.Unix(po.Created, 0).UTC(),
		ArrivalDate: domain.DateOf(arrival, time.UTC), Status: string(po.Status), FailureReason: po.FailureMessage,
	}
	if out.Status == string(stripego.PayoutStatusFailed) && out.FailureReason == "" {
		out.FailureReason = string(po.FailureCode)
	}
	p := &stripego.BalanceTransactionListParams{Payout: stripego.String(po.ID)}
	p.AddExpand("data.source")
	for bt, err := range g.sc.V1BalanceTransactions.List(ctx, p) {
		if err != nil {
			return out, fmt.Errorf("stripe: balance transactions of payout %s: %w", po.ID, err)
		}
		out.Lines = append(out.Lines, payoutLines(bt, minor)...)
	}
	return out, nil
}

// payoutLines maps one balance transaction to its payout lines.
func payoutLines(bt *stripego.BalanceTransaction, minor func(int64) decimal.Decimal) []payments.PayoutLine {
	l := payments.PayoutLine{Reference: bt.ID, BalanceTransaction: bt.ID, Gross: minor(bt.Amount), Fee: minor(bt.Fee), Net: minor(bt.Net)}
	src := bt.Source
	if src != nil && src.ID != "" {
		l.Reference = src.ID
	}
	switch bt.Type {
	case stripego.BalanceTransactionTypePayout, stripego.BalanceTransactionTypePayoutCancel, stripego.BalanceTransactionTypePayoutFailure:
		return nil // the payout itself
	case stripego.BalanceTransactionTypeCharge, stripego.BalanceTransactionTypePayment:
		l.Kind = payments.LineCharge
		if src != nil && src.Charge != nil {
			if src.Charge.PaymentIntent != nil && src.Charge.PaymentIntent.ID != "" {
				l.Reference = src.Charge.PaymentIntent.ID
			}
			l.InvoiceID = invoiceOf(src.Charge.Metadata)
		}
	case stripego.BalanceTransactionTypeRefund, stripego.BalanceTransactionTypePaymentRefund:
		l.Kind = payments.LineRefund
		if src != nil && src.Refund != nil {
			l.InvoiceID = invoiceOf(src.Refund.Metadata)
		}
	default:
		l.Kind = payments.LineAdjustment
		if src != nil && src.Type == stripego.BalanceTransactionSourceTypeDispute {
			// The dispute fee is its own line, booked by the dispute's
			// events; the dispute line moves the disputed amount only.
			dispute := payments.PayoutLine{Kind: payments.LineDispute, Reference: l.Reference, BalanceTransaction: bt.ID, Gross: l.Gross, Fee: decimal.Zero, Net: l.Gross}
			if l.Fee.IsZero() {
				return []payments.PayoutLine{dispute}
			}
			fee := payments.PayoutLine{Kind: payments.LineDisputeFee, Reference: l.Reference, BalanceTransaction: bt.ID, Gross: l.Fee.Neg(), Fee: decimal.Zero, Net: l.Fee.Neg()}
			return []payments.PayoutLine{dispute, fee}
		}
	}
	return []payments.PayoutLine{l}
}

func invoiceOf(md map[string]string) uuid.UUID {
	id, err := uuid.Parse(md["invoice_id"])
	if err != nil {
		return uuid.Nil
	}
	return id
}
