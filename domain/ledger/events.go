package ledger

import (
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// Namespace is the uuid namespace every ledger id is derived in. Changing it
// would rename every ledger stream: never do.
var Namespace = uuid.MustParse("3b8f0a52-6c1e-5d7a-8f29-4e0b7c1d2a93")

// Providers Remit can connect to.
const (
	ProviderXero = "xero"
	ProviderQBO  = "qbo"
)

// Providers lists the providers Remit can connect to.
func Providers() []string { return []string{ProviderXero, ProviderQBO} }

// StreamName returns the name of a ledger stream, "ledger-<uuid>".
func StreamName(id uuid.UUID) string { return "ledger-" + id.String() }

// ConnectionID is the id of a provider's connection stream.
func ConnectionID(provider string) uuid.UUID {
	return uuid.NewSHA1(Namespace, []byte("connection/"+provider))
}

// PushID is the id of the push a source event causes in a provider's ledger
// at an invoice's generation (0 until a re-create).
func PushID(provider string, sourceEventID uuid.UUID, generation int) uuid.UUID {
	return uuid.NewSHA1(Namespace, []byte("push/"+provider+"/"+sourceEventID.String()+"/"+strconv.Itoa(generation)))
}

// RecreateID is the id of the stream of an invoice's re-creations in a
// provider's ledger.
func RecreateID(provider string, invoiceID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(Namespace, []byte("recreate/"+provider+"/"+invoiceID.String()))
}

// ReconciliationID is the id of the stream of reconciliation runs.
func ReconciliationID() uuid.UUID { return uuid.NewSHA1(Namespace, []byte("reconciliation")) }

// DocumentID is the id a ledger de-duplicates a document on: Remit's own id
// (the invoice's, payment's, credit note's) at generation 0, a derived one
// after a re-create so that the ledger creates the document again.
func DocumentID(remitID uuid.UUID, generation int) uuid.UUID {
	if generation == 0 {
		return remitID
	}
	return uuid.NewSHA1(Namespace, []byte("document/"+remitID.String()+"/"+strconv.Itoa(generation)))
}

// Kind is what a push sends.
type Kind string

// Push kinds. A write-off is pushed as a credit note to the write-off
// account. A card surcharge added with a payment (InvoiceSurchargeAdded)
// is pushed as its own small invoice, paid at once by its share of the
// payment (KindSurcharge), since the invoice it belongs to is in the
// ledger already.
const (
	KindInvoice    Kind = "invoice"
	KindPayment    Kind = "payment"
	KindCreditNote Kind = "credit_note"
	KindVoid       Kind = "void"
	KindSurcharge  Kind = "surcharge"
)

// Mapping says which ledger accounts and tax codes Remit's documents use.
type Mapping struct {
	// RevenueAccount is the default revenue (sales) account code.
	RevenueAccount string `json:"revenue_account"`
	// ServiceAccounts maps a service to its own revenue account.
	ServiceAccounts map[uuid.UUID]string `json:"service_accounts,omitempty"`
	// TaxRateAccounts maps a tax rate in percent ("10", "0") to a revenue
	// account, for lines of services without their own.
	TaxRateAccounts map[string]string `json:"tax_rate_accounts,omitempty"`
	// TaxTypes maps a tax rate in percent ("10", "0") to the ledger's tax
	// code ("OUTPUT", "EXEMPTOUTPUT"). Empty leaves the code to the account's
	// default; otherwise every rate used must be mapped.
	TaxTypes map[string]string `json:"tax_types,omitempty"`
	// ClearingAccount receives payments (a clearing or bank account code).
	ClearingAccount string `json:"clearing_account"`
	// WriteOffAccount is the bad-debt account write-offs are credited to.
	WriteOffAccount string `json:"write_off_account,omitempty"`
	// BankAccount receives the gateway's payouts out of the clearing
	// account; FeesAccount is the expense account its fees are spent to.
	// Empty takes the provider's default (BankAccountFor, FeesAccountFor).
	BankAccount string `json:"bank_account,omitempty"`
	FeesAccount string `json:"fees_account,omitempty"`
	// ReceivableAccount is the accounts-receivable account a refund's
	// check goes to in QuickBooks Online (ReceivableAccountFor: the
	// provider's default when empty); Xero does not need it.
	ReceivableAccount string `json:"receivable_account,omitempty"`
	// DisputesAccount is the balance-sheet account ("Disputed payments") a
	// dispute's withdrawal moves out of the clearing account into; empty:
	// disputes are not pushed (see KindDispute).
	DisputesAccount string `json:"disputes_account,omitempty"`
}

// RateKey is how a tax rate in percent is written as a Mapping key: "10",
// "12.5", "0".
func RateKey(percent decimal.Decimal) string { return percent.String() }

// LedgerConnected records that a ledger was connected (or connected again
// after LedgerDisconnected), with its mapping. Secrets are not part of it.
type LedgerConnected struct {
	Provider string `json:"provider"`
	// TenantID is Xero's tenant id or QuickBooks' realm id.
	TenantID string  `json:"tenant_id"`
	Mapping  Mapping `json:"mapping"`
	// FromPosition: invoices issued (and payouts recorded) at or before
	// this position of the log are not pushed (0: every one, history
	// included). A reconnection
	// keeps the first connection's.
	FromPosition uint64    `json:"from_position"`
	At           time.Time `json:"at"`
}

// LedgerMappingChanged records a new mapping for a connected ledger.
type LedgerMappingChanged struct {
	Provider string    `json:"provider"`
	Mapping  Mapping   `json:"mapping"`
	At       time.Time `json:"at"`
}

// LedgerContactMapped records that a client is the given ledger contact.
type LedgerContactMapped struct {
	Provider  string    `json:"provider"`
	ClientID  uuid.UUID `json:"client_id"`
	ContactID string    `json:"contact_id"`
	At        time.Time `json:"at"`
}

// LedgerDisconnected records that pushing to a ledger stopped.
type LedgerDisconnected struct {
	Provider string    `json:"provider"`
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
}

// LedgerPushSucceeded records that the ledger holds what was pushed.
type LedgerPushSucceeded struct {
	PushID    uuid.UUID `json:"push_id"`
	Provider  string    `json:"provider"`
	Kind      Kind      `json:"kind"`
	InvoiceID uuid.UUID `json:"invoice_id"`
	// PayoutID is the payout a payout push (KindTransfer, KindFees) is
	// for; its InvoiceID is then nil.
	PayoutID      uuid.UUID `json:"payout_id,omitzero"`
	SourceEventID uuid.UUID `json:"source_event_id"`
	Generation    int       `json:"generation"`
	// DocumentID is the id the ledger de-duplicated on (DocumentID).
	DocumentID uuid.UUID `json:"document_id"`
	// LedgerID is the ledger's id of the document or payment.
	LedgerID string `json:"ledger_id"`
	// InvoiceLedgerID is, for a payment, credit note or void, the ledger's
	// id of the invoice it was applied to.
	InvoiceLedgerID string       `json:"invoice_ledger_id,omitempty"`
	ContactID       string       `json:"contact_id,omitempty"`
	Amount          domain.Money `json:"amount"`
	// Existing: the ledger already held it (a retry after a crash or a
	// timeout) and created nothing.
	Existing bool      `json:"existing,omitempty"`
	Attempt  int       `json:"attempt"`
	At       time.Time `json:"at"`
}

// LedgerPushFailed records a push the ledger refused or could not take.
type LedgerPushFailed struct {
	PushID        uuid.UUID    `json:"push_id"`
	Provider      string       `json:"provider"`
	Kind          Kind         `json:"kind"`
	InvoiceID     uuid.UUID    `json:"invoice_id"`
	PayoutID      uuid.UUID    `json:"payout_id,omitzero"`
	SourceEventID uuid.UUID    `json:"source_event_id"`
	Generation    int          `json:"generation"`
	DocumentID    uuid.UUID    `json:"document_id"`
	Amount        domain.Money `json:"amount"`
	Reason        string       `json:"reason"`
	// Temporary: it is retried at RetryAt; otherwise it waits for staff (a
	// re-create, after fixing the mapping).
	Temporary bool      `json:"temporary"`
	Attempt   int       `json:"attempt"`
	RetryAt   time.Time `json:"retry_at,omitzero"`
	At        time.Time `json:"at"`
}

// LedgerRecreateRequested records that staff asked for an invoice to be
// created again in a ledger, with its payments, credits and void:
// Generation is the invoice's new generation there.
type LedgerRecreateRequested struct {
	InvoiceID  uuid.UUID `json:"invoice_id"`
	Provider   string    `json:"provider"`
	Reason     string    `json:"reason"`
	Generation int       `json:"generation"`
	At         time.Time `json:"at"`
}

// LedgerReconciled records a reconciliation run: what Remit issued,
// collected, credited and voided against what each ledger acknowledged.
type LedgerReconciled struct {
	Invoices    int       `json:"invoices"`
	Pushes      int       `json:"pushes"`
	Differences int       `json:"differences"`
	Summary     string    `json:"summary"`
	At          time.Time `json:"at"`
}

// EventType returns "LedgerConnected".
func (LedgerConnected) EventType() string { return "LedgerConnected" }

// EventType returns "LedgerMappingChanged".
func (LedgerMappingChanged) EventType() string { return "LedgerMappingChanged" }

// EventType returns "LedgerContactMapped".
func (LedgerContactMapped) EventType() string { return "LedgerContactMapped" }

// EventType returns "LedgerDisconnected".
func (LedgerDisconnected) EventType() string { return "LedgerDisconnected" }

// EventType returns "LedgerPushSucceeded".
func (LedgerPushSucceeded) EventType() string { return "LedgerPushSucceeded" }

// EventType returns "LedgerPushFailed".
func (LedgerPushFailed) EventType() string { return "LedgerPushFailed" }

// EventType returns "LedgerRecreateRequested".
func (LedgerRecreateRequested) EventType() string { return "LedgerRecreateRequested" }

// EventType returns "LedgerReconciled".
func (LedgerReconciled) EventType() string { return "LedgerReconciled" }

// EventTypes lists every event type of the ledger aggregate.
func EventTypes() []string {
	return []string{
		"LedgerConnected", "LedgerMappingChanged", "LedgerContactMapped", "LedgerDisconnected",
		"LedgerPushSucceeded", "LedgerPushFailed", "LedgerRecreateRequested", "LedgerReconciled",
	}
}

// DecodeEvent decodes the JSON data of an event of the given type into its
// value.
func DecodeEvent(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case "LedgerConnected":
		return domain.DecodeAs[LedgerConnected](eventType, data)
	case "LedgerMappingChanged":
		return domain.DecodeAs[LedgerMappingChanged](eventType, data)
	case "LedgerContactMapped":
		return domain.DecodeAs[LedgerContactMapped](eventType, data)
	case "LedgerDisconnected":
		return domain.DecodeAs[LedgerDisconnected](eventType, data)
	case "LedgerPushSucceeded":
		return domain.DecodeAs[LedgerPushSucceeded](eventType, data)
	case "LedgerPushFailed":
		return domain.DecodeAs[LedgerPushFailed](eventType, data)
	case "LedgerRecreateRequested":
		return domain.DecodeAs[LedgerRecreateRequested](eventType, data)
	case "LedgerReconciled":
		return domain.DecodeAs[LedgerReconciled](eventType, data)
	}
	return nil, fmt.Errorf("ledger: unknown event type %q", eventType)
}
