package accounting

import (
	"context"

	"github.com/google/uuid"

	"remit/domain"
)

// Transfer moves money between two of the firm's own accounts: a payout of
// the payment gateway, from the clearing account to the bank account (Xero:
// a bank transfer; QBO: a Transfer).
type Transfer struct {
	ID uuid.UUID // the idempotency key (ledger.PayoutDocumentID)
	// FromAccount and ToAccount are account codes (Xero) or ids (QBO).
	FromAccount, ToAccount string
	// Amount is positive.
	Amount domain.Money
	Date   domain.Date
	// Reference is the gateway's payout reference (po_…).
	Reference string
}

// Expense is money spent from one of the firm's accounts to an expense
// account with no invoice: a payout's gateway fees (Xero: a SPEND bank
// transaction; QBO: a Purchase).
type Expense struct {
	ID uuid.UUID // the idempotency key (ledger.PayoutDocumentID)
	// FromAccount is the account the money leaves (the clearing account);
	// ExpenseAccount the expense account (fees).
	FromAccount, ExpenseAccount string
	// Payee is who was paid: the gateway ("Stripe").
	Payee       string
	Description string
	// Amount is positive and tax-free.
	Amount    domain.Money
	Date      domain.Date
	Reference string
}

// PayoutLedger is a ledger that takes payouts: Xero and QBO implement it.
// Like the Ledger pushes, each is at most once per ID: an adapter looks the
// ID up first and answers what it created before (Ack.Existing).
type PayoutLedger interface {
	PushTransfer(ctx context.Context, t Transfer) (Ack, error)
	PushExpense(ctx context.Context, e Expense) (Ack, error)
}
