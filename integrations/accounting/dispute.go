package accounting

import (
	"context"

	"github.com/google/uuid"

	"remit/domain"
)

// DisputeMove moves a disputed payment between the clearing account and the
// disputes account ("Disputed payments"): out of the clearing account when
// the dispute opens, back into it when the dispute is won.
type DisputeMove struct {
	ID uuid.UUID // the idempotency key (ledger.DocumentID)
	// Back: the dispute was won and the money comes back into the clearing
	// account; otherwise it leaves it.
	Back bool
	// ClearingAccount and DisputesAccount are account codes (Xero) or ids
	// (QBO).
	ClearingAccount, DisputesAccount string
	// Contact is the client whose payment is disputed.
	Contact     Contact
	Description string
	// Amount is positive.
	Amount domain.Money
	Date   domain.Date
	// Reference is the gateway's dispute reference (dp_…).
	Reference string
}

// DisputeLedger is a ledger that takes disputes' moves: Xero (a SPEND or
// RECEIVE bank transaction on the clearing account, coded to the disputes
// account) and QBO (a Transfer between the two). A lost dispute's fee is an
// Expense (PayoutLedger). Each at most once per ID.
type DisputeLedger interface {
	PushDisputeMove(ctx context.Context, m DisputeMove) (Ack, error)
}
