// Package accounting is the accounting-ledger port: what Remit's ledger sync
// process asks of a connected ledger (Xero, QuickBooks Online), in Remit's
// own words. Adapters live in sub-packages named after what they wrap: xero
// (Xero's Accounting API) and qbo (QuickBooks Online Accounting API v3).
//
// # Exactly once
//
// Every push carries Remit's own id of the thing pushed (an invoice, a
// payment, a credit note, a void). An adapter must make a repeated push with
// the same id create nothing new in the ledger and answer what it created
// the first time: it first looks the id up (Xero: the invoice's Reference /
// an Idempotency-Key; QBO: the document's PrivateNote / requestid), and only
// creates when it finds nothing. That one rule covers a crash between the
// ledger call and recording its outcome, and a retry after a timeout.
//
// # Payouts
//
// A ledger that also implements PayoutLedger (Xero, QBO) takes a payment
// gateway's payouts: the net as a Transfer between two of the firm's
// accounts (clearing to bank), the fees as an Expense (clearing to the fees
// account), each once per ID like every other push.
//
// # Refunds
//
// A ledger that also implements RefundLedger (Xero, QBO) takes a refund:
// the money paid back out of the clearing account against the refund's
// credit note (Xero: a payment on the credit note; QBO: a check to the
// customer applied with the credit memo), once per ID; one that implements
// DisputeLedger takes a dispute's moves between the clearing account and
// a disputes account.
//
// # Errors
//
// An error that wraps *Error says whether asking again can help
// (Temporary: rate limits, 5xx, network) and how long to wait (RetryAfter,
// from a Retry-After header when the ledger sent one). Any other error is
// permanent: a validation failure the ledger reported, a bad mapping.
package accounting

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// Contact is the client an invoice is addressed to.
type Contact struct {
	// ClientID is Remit's client id (stored in the ledger where it allows).
	ClientID uuid.UUID
	// Name is the client's name; a ledger contact with exactly this name is
	// used when there is no mapping.
	Name  string
	Email string
	// TaxNumber is the client's tax registration (VAT, ABN, GST), if any.
	TaxNumber string
	// LedgerID is the ledger's own contact id when the firm mapped the
	// client to an existing contact; "" to match by name or create.
	LedgerID string
}

// Line is one invoice or credit-note line, with the codes the mapping gave.
type Line struct {
	Description string
	Quantity    decimal.Decimal
	// UnitPrice is the price before discount, in the document's currency;
	// tax-inclusive when the document's TaxInclusive is true.
	UnitPrice domain.Money
	// DiscountPercent is the line's discount as a percentage (0–100); a
	// fixed discount is converted by the caller.
	DiscountPercent decimal.Decimal
	// Net, Tax and Gross are the line's rounded amounts as Remit computed them.
	Net, Tax, Gross domain.Money
	TaxRate         decimal.Decimal // e.g. 0.15
	// AccountCode is the revenue account (the mapping's, per service or default).
	AccountCode string
	// TaxType is the ledger's tax code for TaxRate (from the mapping).
	TaxType string
}

// Invoice is an issued invoice to push (ACCREC in Xero, Invoice in QBO).
type Invoice struct {
	ID           uuid.UUID // Remit's invoice id: the idempotency key
	Number       string
	Contact      Contact
	Currency     domain.Currency
	IssueDate    domain.Date
	DueDate      domain.Date
	TaxInclusive bool
	Lines        []Line
	Net, Tax     domain.Money
	Total        domain.Money
}

// Payment is money received against an invoice already in the ledger.
type Payment struct {
	ID        uuid.UUID // Remit's payment (or attempt) id: the idempotency key
	InvoiceID uuid.UUID
	// InvoiceLedgerID is what PushInvoice answered for the invoice.
	InvoiceLedgerID string
	InvoiceNumber   string
	Amount          domain.Money
	Date            domain.Date
	// AccountCode is the clearing (or bank) account the payment lands in.
	AccountCode string
	Reference   string
}

// CreditNote is a credit against an invoice.
type CreditNote struct {
	ID              uuid.UUID // Remit's credit-note id: the idempotency key
	InvoiceID       uuid.UUID
	InvoiceLedgerID string
	InvoiceNumber   string
	Contact         Contact
	Currency        domain.Currency
	Date            domain.Date
	Reason          string
	TaxInclusive    bool
	Lines           []Line
	Net, Tax, Total domain.Money
}

// Void cancels an invoice in the ledger.
type Void struct {
	InvoiceID       uuid.UUID
	InvoiceLedgerID string
	InvoiceNumber   string
	Reason          string
}

// Ack is a ledger's answer to a push: its own ids for what it holds.
type Ack struct {
	// LedgerID is the ledger's id of the document or payment.
	LedgerID string
	// ContactID is the ledger contact used (invoices and credit notes).
	ContactID string
	// Existing is true when the push found the document already there (a
	// retry) and created nothing.
	Existing bool
}

// Ledger is a connected accounting ledger. Implementations are safe for
// concurrent use.
type Ledger interface {
	// Name is the provider's name: "xero", "qbo".
	Name() string
	// PushInvoice creates the invoice (and its contact when no contact
	// matches), at most once per Invoice.ID.
	PushInvoice(ctx context.Context, inv Invoice) (Ack, error)
	// PushPayment records a payment against the invoice, at most once per Payment.ID.
	PushPayment(ctx context.Context, p Payment) (Ack, error)
	// PushCreditNote creates the credit note and allocates it to its invoice,
	// at most once per CreditNote.ID.
	PushCreditNote(ctx context.Context, c CreditNote) (Ack, error)
	// PushVoid voids the invoice; voiding a voided invoice succeeds.
	PushVoid(ctx context.Context, v Void) (Ack, error)
}

// Error is a failed push, saying whether it is worth asking again.
type Error struct {
	// Temporary: rate limited, a 5xx, or the ledger could not be reached.
	Temporary bool
	// RetryAfter is how long the ledger asked to wait (0: the caller's backoff).
	RetryAfter time.Duration
	// Status is the HTTP status, when there was one.
	Status int
	// Message is the ledger's reason, fit to show on the invoice.
	Message string
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("ledger: %d: %s", e.Status, e.Message)
	}
	return "ledger: " + e.Message
}

// IsTemporary reports whether err is worth retrying, and after how long (0:
// the caller's own backoff).
func IsTemporary(err error) (bool, time.Duration) {
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary, e.RetryAfter
	}
	return false, 0
}
