package client

import "github.com/google/uuid"

// Kind says whether a client is a person or an organisation.
type Kind string

// Client kinds.
const (
	KindIndividual Kind = "individual"
	KindBusiness   Kind = "business"
)

// Contact is a person the firm deals with at the client.
type Contact struct {
	ID    uuid.UUID `json:"id"`
	Name  string    `json:"name"`
	Email string    `json:"email,omitempty"`
	Phone string    `json:"phone,omitempty"`
	Role  string    `json:"role,omitempty"`
}

// PaymentMethodKind says what a payment method is.
type PaymentMethodKind string

// Payment method kinds.
const (
	MethodCard      PaymentMethodKind = "card"
	MethodBankDebit PaymentMethodKind = "bank_debit"
)

// DebitScheme is the direct-debit scheme of a bank account.
type DebitScheme string

// Debit schemes.
const (
	SchemeAUBECS DebitScheme = "au_becs" // Australian direct debit (BECS)
	SchemeNZBECS DebitScheme = "nz_becs" // New Zealand direct debit
	SchemeACH    DebitScheme = "ach"     // US ACH debit
	SchemeBACS   DebitScheme = "bacs"    // UK Bacs Direct Debit
	SchemeSEPA   DebitScheme = "sepa"    // SEPA Direct Debit
	SchemePAD    DebitScheme = "pad"     // Canadian pre-authorised debit
)

// DebitSchemes lists every debit scheme Remit accepts.
func DebitSchemes() []DebitScheme {
	return []DebitScheme{SchemeAUBECS, SchemeNZBECS, SchemeACH, SchemeBACS, SchemeSEPA, SchemePAD}
}

// PaymentMethodDetails is what is stored of a payment method: the gateway's
// token plus what a person needs to recognise it. A card carries Brand, Last4
// and its expiry; a bank debit account carries Scheme, MaskedAccount and
// MandateReference. A card number is never stored.
type PaymentMethodDetails struct {
	Kind         PaymentMethodKind `json:"kind"`
	Gateway      string            `json:"gateway"`       // e.g. "sandbox", "stripe"
	GatewayToken string            `json:"gateway_token"` // the gateway's reference to the method
	// GatewayCustomer is the gateway's customer the method is attached to,
	// when the gateway needs one to charge it off-session (Stripe: cus_…).
	// Like GatewayToken it is a gateway reference, not personal data.
	GatewayCustomer string `json:"gateway_customer,omitempty"`

	Brand       string `json:"brand,omitempty"` // card: "visa", "mastercard", …
	Last4       string `json:"last4,omitempty"` // card: the last 4 digits
	ExpiryMonth int    `json:"expiry_month,omitempty"`
	ExpiryYear  int    `json:"expiry_year,omitempty"`

	Scheme           DebitScheme `json:"scheme,omitempty"`            // bank debit
	MaskedAccount    string      `json:"masked_account,omitempty"`    // bank debit: e.g. "062-000 ****1234"
	MandateReference string      `json:"mandate_reference,omitempty"` // bank debit
}

// MethodStatus says whether a payment method can be charged.
type MethodStatus string

// Payment method statuses.
const (
	MethodActive  MethodStatus = "active"
	MethodExpired MethodStatus = "expired"
	MethodFailed  MethodStatus = "failed"
)
