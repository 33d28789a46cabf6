package payments

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// Refunds and disputes.
//
// A refund is asked of the gateway with an idempotency key derived from
// Remit's refund id, so a crash between the gateway's answer and recording
// it is repaired by asking again: the gateway answers the refund it already
// made. A dispute comes from the gateway: Stripe sends it to the webhook
// (charge.dispute.created / updated / closed); the sandbox, which has no
// webhooks to send, lists its disputes (DisputeLister) and Remit's scheduler
// polls the list. Either way a dispute is named by the gateway's dispute id,
// from which Remit derives its own, so a dispute reported twice, or by both
// routes, is recorded once.

// RefundRequest asks a gateway to refund part or all of one charge.
type RefundRequest struct {
	// IdempotencyKey names the refund: the same key never refunds twice.
	IdempotencyKey string
	// ChargeReference is the charge's ChargeResult.Reference.
	ChargeReference string
	// Amount is what to refund, in the charge's currency.
	Amount domain.Money
	// Reason is the staff's reason (kept in the refund's metadata; Stripe's
	// own reason codes are not asked for).
	Reason string
	// Metadata travels with the refund (the invoice and refund ids).
	Metadata map[string]string
}

// RefundResult is a gateway's answer about one refund.
type RefundResult struct {
	// Reference is the gateway's id of the refund (re_…).
	Reference string
	// Amount is what was refunded.
	Amount domain.Money
	// Pending is true while the gateway has accepted the refund but not yet
	// sent the money (a bank refund); Remit records it all the same: the
	// money is promised and the charge can no longer be refunded twice.
	Pending bool
}

// ErrRefundRefused is the error (see errors.Is) of a refund the gateway
// refused: more than is left to refund, a charge it does not know, a
// charge under dispute. Nothing was refunded.
var ErrRefundRefused = errors.New("the gateway refused the refund")

// Refunder refunds charges. Gateways that refund implement it beside
// Gateway.
type Refunder interface {
	// Refund refunds req.Amount of req.ChargeReference at most once per
	// req.IdempotencyKey, and answers the refund. An error wrapping
	// ErrRefundRefused means the gateway said no; any other error means it
	// could not be asked, and asking again with the same key is safe.
	Refund(ctx context.Context, req RefundRequest) (RefundResult, error)
}

// DisputeStatus is where a dispute stands.
type DisputeStatus string

// Dispute statuses.
const (
	DisputeOpen DisputeStatus = "open" // the client's bank took the money back; the firm may answer with evidence
	DisputeWon  DisputeStatus = "won"  // the money came back
	DisputeLost DisputeStatus = "lost" // the money stays with the client's bank
)

// Dispute is a gateway's report of a dispute on a charge.
type Dispute struct {
	// Reference is the gateway's id of the dispute (dp_…).
	Reference string
	// ChargeReference is the disputed charge's ChargeResult.Reference.
	ChargeReference string
	Amount          domain.Money
	// Reason is the gateway's reason code ("fraudulent", "product_not_received", …).
	Reason string
	Status DisputeStatus
	// Fee is the gateway's dispute fee, known once the dispute is lost.
	Fee domain.Money
	// Created is when the dispute was opened.
	Created time.Time
	// InvoiceID is the invoice the disputed charge paid, when the gateway
	// reports it (the charge's metadata); uuid.Nil: Remit looks the charge
	// up among the payments it collected.
	InvoiceID uuid.UUID
}

// DisputeLister is a gateway that cannot send webhooks and lists its
// disputes instead (the sandbox); Remit polls it.
type DisputeLister interface {
	// Disputes returns every dispute as it stands now.
	Disputes(ctx context.Context) ([]Dispute, error)
}
