// Package payments is the payment gateway port: what Remit's collection
// process asks of any gateway (Charge), in Remit's own words. Adapters live
// in sub-packages named after what they wrap: sandbox (the default, a
// deterministic test gateway that keeps its charges in the data folder) and
// stripe (Stripe's API through stripe-go).
//
// # Exactly once
//
// Every charge carries an idempotency key, which the collection process
// derives from the invoice and the attempt number. A gateway charges at most
// once per key: a second Charge with the same key charges nothing and
// answers the charge's current state. That one rule covers both a crash
// between the gateway call and recording its outcome (the next run asks
// again with the same key) and bank debits that settle days later (the
// charge answers StatusPending until then; each run asks again with the same
// key until it answers succeeded or rejected).
//
// # Payouts
//
// PayoutSource (payouts.go) is what the payout sync (processes/payouts)
// asks of a gateway: the payouts it made to the firm's bank account, each
// with the balance transactions it settles (gross, fee, net), in Remit's
// words.
package payments

import (
	"context"

	"remit/domain"
)

// Status is where a charge stands.
type Status string

// Charge statuses.
const (
	// StatusSucceeded: the money was taken.
	StatusSucceeded Status = "succeeded"
	// StatusRejected: the charge was declined or the debit returned; DeclineCode says why.
	StatusRejected Status = "rejected"
	// StatusPending: a bank debit submitted and not yet settled; ask again later with the same key.
	StatusPending Status = "pending"
)

// ChargeRequest asks a gateway to take an amount from a payment method on
// file, off-session (the client is not present).
type ChargeRequest struct {
	// IdempotencyKey names the charge: the same key never charges twice.
	IdempotencyKey string
	// Customer is the gateway's customer the method is attached to, when
	// the method on file names one (client.PaymentMethodDetails.
	// GatewayCustomer); Stripe needs it to charge a saved method off-session.
	Customer string
	// PaymentMethod is the gateway's token of the method on file.
	PaymentMethod string
	// Amount is what to take, in the invoice's currency.
	Amount domain.Money
	// Description is shown on the client's statement and in the gateway.
	Description string
	// Metadata travels with the charge and comes back in webhooks (the
	// invoice and attempt ids).
	Metadata map[string]string
}

// ChargeResult is a gateway's answer about one charge.
type ChargeResult struct {
	Status Status
	// Reference is the gateway's id of the charge (set for every status the
	// gateway got as far as recording).
	Reference string
	// Amount is what was taken (StatusSucceeded).
	Amount domain.Money
	// DeclineCode is the gateway's machine code for a rejection, e.g.
	// "card_declined", "insufficient_funds", "expired_card", "debit_returned".
	DeclineCode string
	// Message is the gateway's human explanation of a rejection.
	Message string
}

// Gateway takes payments. Implementations are safe for concurrent use.
type Gateway interface {
	// Name is the gateway's name as payment methods on file record it
	// (client.PaymentMethodDetails.Gateway): "sandbox", "stripe". A method
	// on file with another gateway holds a token this one cannot charge, so
	// collection refuses it without asking the gateway.
	Name() string
	// Charge takes req.Amount from req.PaymentMethod at most once per
	// req.IdempotencyKey, and answers the charge's current state. An error
	// means the gateway could not be asked (network, configuration): nothing
	// is known, and asking again with the same key is safe.
	Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error)
}
