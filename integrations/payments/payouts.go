package payments

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// PayoutLineKind is what a balance transaction in a payout is, in Remit's
// words (the values of domain/payout.Kind).
type PayoutLineKind string

// Balance transaction kinds.
const (
	LineCharge     PayoutLineKind = "charge"
	LineRefund     PayoutLineKind = "refund"
	LineDispute    PayoutLineKind = "dispute"
	LineDisputeFee PayoutLineKind = "dispute_fee"
	LineAdjustment PayoutLineKind = "adjustment"
)

// PayoutLine is one balance transaction a payout settles, in the payout's
// currency: Gross − Fee = Net; a refund's or dispute's gross is negative.
type PayoutLine struct {
	Kind PayoutLineKind
	// Reference is the gateway's id of the charge, refund or dispute: for a
	// charge, the ChargeResult.Reference Remit recorded when it collected.
	Reference string
	// BalanceTransaction is the gateway's id of the balance transaction
	// (Stripe's txn_…), when it differs from Reference.
	BalanceTransaction string
	// InvoiceID is the invoice the money was for, when the charge's metadata
	// names it ("invoice_id").
	InvoiceID uuid.UUID
	Gross     decimal.Decimal
	Fee       decimal.Decimal
	Net       decimal.Decimal
}

// Payout is a transfer of the gateway to the firm's bank account.
type Payout struct {
	// Reference is the gateway's id of the payout (po_…).
	Reference string
	Currency  domain.Currency
	// Amount is the net paid out: the sum of the lines' nets.
	Amount domain.Money
	// Created is when the gateway made the payout; Payouts lists them in
	// this order.
	Created     time.Time
	ArrivalDate domain.Date
	// Status is "paid", "in_transit" or "failed".
	Status string
	// FailureReason says why a failed payout bounced.
	FailureReason string
	Lines         []PayoutLine
}

// PayoutSource is a gateway that pays out what it collected, and tells what
// each payout contains. A gateway that does not implement it makes no
// payouts Remit can record.
type PayoutSource interface {
	// Payouts lists the payouts made at or after since (the zero time: all),
	// oldest first, each with every balance transaction it settles. An
	// error means the gateway could not be asked; asking again is safe.
	Payouts(ctx context.Context, since time.Time) ([]Payout, error)
}

// PayoutWindows is a PayoutSource that also lists the payouts made in a
// window of time, so that a sync over a long history (the first one, from
// the zero time) holds one window's payouts and their lines at a time
// instead of every payout ever made.
type PayoutWindows interface {
	PayoutSource
	// PayoutsBetween lists the payouts made at or after since and before
	// until (the zero until: no end), oldest first, as Payouts does.
	PayoutsBetween(ctx context.Context, since, until time.Time) ([]Payout, error)
	// FirstPayoutAfter is a time at or before which no payout was made
	// (found, false: none can have been made yet).
	FirstPayoutAfter(ctx context.Context) (t time.Time, found bool, err error)
}
