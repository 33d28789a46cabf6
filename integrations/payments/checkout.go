package payments

import (
	"context"

	"remit/domain"
)

// # Hosted checkout
//
// Nobody types a card number or a gateway token into Remit. A client who
// puts a payment method on file, or pays an invoice now, is sent to the
// gateway's own hosted page (Stripe Checkout; the sandbox's page of the same
// shape), and comes back to Remit two ways, as Stripe does: the browser is
// redirected to SuccessURL with the session's id, and the gateway posts a
// signed webhook saying the session completed. Whichever comes first makes
// Remit ask the gateway for the session (Session) and record what it
// answers, once: the ids of what Remit records derive from the session id.

// MethodType is a kind of payment method the hosted page offers, in
// Stripe's names.
type MethodType string

// Method types: cards and the bank debits firms use.
const (
	TypeCard    MethodType = "card"
	TypeAUBECS  MethodType = "au_becs_debit"   // Australian direct debit (BSB + account), with a DDR mandate
	TypeUSACH   MethodType = "us_bank_account" // US ACH debit, with a mandate
	TypeBacs    MethodType = "bacs_debit"      // UK Bacs Direct Debit (sort code + account), with a DDI mandate
	TypeSEPA    MethodType = "sepa_debit"      // SEPA Direct Debit (IBAN), with a mandate
	TypeACSS    MethodType = "acss_debit"      // Canadian pre-authorized debit (PAD), with a mandate
	TypeNZBECS  MethodType = "nz_bank_account" // New Zealand direct debit, with an authority
	TypeUnknown MethodType = ""
)

// SessionMode says what a checkout session is for.
type SessionMode string

// Session modes.
const (
	// ModeSetup captures a payment method for later off-session charges.
	ModeSetup SessionMode = "setup"
	// ModePayment takes one payment now (optionally keeping the method).
	ModePayment SessionMode = "payment"
)

// SessionStatus is where a checkout session stands.
type SessionStatus string

// Session statuses (Stripe's).
const (
	SessionOpen     SessionStatus = "open"     // the client has not finished
	SessionComplete SessionStatus = "complete" // the method was captured or the payment made (a bank debit may still be pending)
	SessionExpired  SessionStatus = "expired"  // abandoned: a new session is needed
)

// SessionRequest asks a gateway for a hosted checkout session.
type SessionRequest struct {
	// IdempotencyKey names the session: creating it again with the same
	// key answers the same session (two browser tabs, a retried request).
	IdempotencyKey string
	Mode           SessionMode
	// Customer is the gateway's customer to attach the method to; empty:
	// the gateway creates one, named CustomerName with CustomerEmail.
	Customer      string
	CustomerName  string
	CustomerEmail string
	// MethodTypes are the kinds the page offers (at least one).
	MethodTypes []MethodType
	// Currency is the currency later charges will be in (setup mode: the
	// bank debits a currency allows depend on it).
	Currency domain.Currency
	// Amount and Description (payment mode) are what the client pays now.
	Amount      domain.Money
	Description string
	// SaveMethod (payment mode) keeps the method for later off-session charges.
	SaveMethod bool
	// SuccessURL is where the browser returns once the session completes;
	// the gateway replaces {CHECKOUT_SESSION_ID} in it with the session's id.
	SuccessURL string
	// CancelURL is where the browser returns when the client gives up.
	CancelURL string
	// Metadata travels with the session and comes back with it (Remit's
	// client, request, proposal or invoice ids).
	Metadata map[string]string
}

// SessionIDPlaceholder is replaced by the session's id in SuccessURL.
const SessionIDPlaceholder = "{CHECKOUT_SESSION_ID}"

// Method is a payment method as the gateway describes it: its token and
// what may be shown of it. Never a card or account number.
type Method struct {
	// Token is the gateway's id of the method (pm_…), what Charge takes.
	Token string
	// Customer is the gateway's customer the method is attached to.
	Customer string
	Type     MethodType
	// Cards.
	Brand       string
	Last4       string
	ExpiryMonth int
	ExpiryYear  int
	// Bank debits: the account masked as the scheme shows it (e.g.
	// "062-000 ****1234"), the mandate's reference and status ("active",
	// "pending", "inactive").
	MaskedAccount    string
	MandateReference string
	MandateStatus    string
}

// Session is a gateway's answer about a checkout session.
type Session struct {
	ID     string
	URL    string // the hosted page to send the client to (while open)
	Mode   SessionMode
	Status SessionStatus
	// Customer is the gateway's customer (set once known).
	Customer string
	// Method is the method captured (setup) or used and kept (payment with
	// SaveMethod), once the session is complete.
	Method *Method
	// PaidWith is the method a payment session's payment was made with,
	// kept or not, once complete (nil when the gateway does not say): what
	// the payment records to name it when the client did not keep it.
	PaidWith *Method
	// Payment is the payment's state (payment mode, once complete): bank
	// debits answer StatusPending until they settle, like Charge.
	Payment *ChargeResult
	// PaymentKey is the idempotency key a later Charge-style status check
	// of this payment uses (payment mode).
	PaymentKey string
	Metadata   map[string]string
}

// HostedCheckout is a gateway with a hosted page for capturing methods and
// taking payments. Both gateways Remit ships implement it.
type HostedCheckout interface {
	// CreateSession opens a hosted checkout session (the same one again for
	// the same IdempotencyKey).
	CreateSession(ctx context.Context, req SessionRequest) (Session, error)
	// Session answers a session's current state; an unknown id is an error
	// wrapping ErrUnknownSession.
	Session(ctx context.Context, id string) (Session, error)
	// SessionOfPayment answers the id of the payment-mode session a
	// payment (its ChargeResult.Reference) was made in; a payment made in
	// none is an error wrapping ErrUnknownSession. A webhook about the
	// payment alone (payment_intent.succeeded) then records it as the
	// session's return does: with the method it was paid with, and kept
	// when the client asked.
	SessionOfPayment(ctx context.Context, reference string) (string, error)
}

// ErrUnknownSession is the error (wrapped) for a session id the gateway
// does not know.
var ErrUnknownSession = errUnknownSession{}

type errUnknownSession struct{}

func (errUnknownSession) Error() string { return "no such checkout session" }
