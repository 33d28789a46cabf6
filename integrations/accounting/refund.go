package accounting

import (
	"context"

	"github.com/google/uuid"

	"remit/domain"
)

// Refund is money a payment gateway paid back to a client, out of the
// clearing account, against the refund's credit note already in the ledger
// (Xero: a payment on the credit note; QBO: a check to the customer applied
// with the credit memo).
type Refund struct {
	ID uuid.UUID // Remit's refund id (ledger.DocumentID): the idempotency key
	// CreditNoteLedgerID is what PushCreditNote answered for the refund's
	// credit note; ContactLedgerID the ledger contact it used.
	CreditNoteLedgerID string
	ContactLedgerID    string
	InvoiceNumber      string
	// FromAccount is the clearing account the money leaves.
	FromAccount string
	// ReceivableAccount is the accounts-receivable account (QBO: the
	// refund check's line goes to it, which the credit memo then clears).
	ReceivableAccount string
	// Amount is positive.
	Amount domain.Money
	Date   domain.Date
	// Reference is the gateway's refund reference (re_…).
	Reference string
}

// RefundLedger is a ledger that takes refunds: Xero and QBO implement it.
// Like the other pushes, a refund is pushed at most once per ID: an adapter
// looks the ID up first and answers what it created before (Ack.Existing).
type RefundLedger interface {
	PushRefund(ctx context.Context, r Refund) (Ack, error)
}
