package proposal

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// Status is where a proposal is in its life.
type Status string

// Proposal statuses. The zero Status is a proposal not yet drafted.
const (
	StatusDraft     Status = "draft"
	StatusSent      Status = "sent"
	StatusAccepted  Status = "accepted"
	StatusDeclined  Status = "declined"
	StatusWithdrawn Status = "withdrawn"
	StatusExpired   Status = "expired"
)

// Final reports whether no further change is possible.
func (s Status) Final() bool {
	return s == StatusAccepted || s == StatusDeclined || s == StatusWithdrawn || s == StatusExpired
}

// Line is one service offered: what it is, its price and how it bills.
// UnitPrice is stated in the proposal's currency, exclusive or inclusive of
// tax as the firm's tax mode says.
type Line struct {
	ID          uuid.UUID          `json:"id"`
	Name        string             `json:"name"`
	Description string             `json:"description,omitempty"`
	UnitPrice   decimal.Decimal    `json:"unit_price"`
	Quantity    decimal.Decimal    `json:"quantity"`
	Unit        string             `json:"unit,omitempty"` // e.g. "hour", "month", "return"
	Discount    domain.Discount    `json:"discount"`
	TaxRate     decimal.Decimal    `json:"tax_rate"` // percent, e.g. 10 for 10 %
	BillingRule domain.BillingRule `json:"billing_rule"`
	Automatic   bool               `json:"automatic"` // invoiced by Remit on its dates; false: manual
	// LibraryServiceID is the library service the line started from
	// (uuid.Nil: typed in).
	LibraryServiceID uuid.UUID `json:"library_service_id,omitzero"`
	// Terms are the service's own terms (Markdown), shown under "Terms for
	// each service" in the document the client signs.
	Terms string `json:"terms,omitempty"`
	// RevenueAccount is the ledger account code the service's revenue goes
	// to ("" : the firm's default).
	RevenueAccount string `json:"revenue_account,omitempty"`
}

// Package is one of the options a proposal offers: the client chooses
// exactly one of a proposal's packages, whose lines are then agreed along
// with the core lines.
type Package struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Lines       []Line    `json:"lines"`
}

// Signatory is someone who must sign the proposal: one of the client's
// contacts (ContactID) or a person named by staff.
type Signatory struct {
	ID        uuid.UUID `json:"id"`
	ContactID uuid.UUID `json:"contact_id,omitzero"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
}

// Signature is the evidence of one signature: who typed which name, from
// where, and the SHA-256 of exactly the document they were shown.
type Signature struct {
	SignatoryID  uuid.UUID `json:"signatory_id,omitzero"` // uuid.Nil: whoever held the link
	SignedName   string    `json:"signed_name"`
	Email        string    `json:"email"`
	IP           string    `json:"ip"`
	UserAgent    string    `json:"user_agent"`
	DocumentHash string    `json:"document_hash"`
	At           time.Time `json:"at"`
}

// View is one recorded view of a sent proposal.
type View struct {
	SignatoryID uuid.UUID // uuid.Nil: the link's visitor
	IP          string
	UserAgent   string
	At          time.Time
}

// equal compares lines by value (decimals by amount, not representation).
func (l Line) equal(o Line) bool {
	return l.ID == o.ID && l.Name == o.Name && l.Description == o.Description &&
		l.UnitPrice.Equal(o.UnitPrice) && l.Quantity.Equal(o.Quantity) && l.Unit == o.Unit &&
		l.Discount.Kind == o.Discount.Kind && l.Discount.Value.Equal(o.Discount.Value) &&
		l.TaxRate.Equal(o.TaxRate) && l.BillingRule == o.BillingRule && l.Automatic == o.Automatic &&
		l.LibraryServiceID == o.LibraryServiceID && l.Terms == o.Terms && l.RevenueAccount == o.RevenueAccount
}

func samePackages(a, b []Package) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Name != b[i].Name || a[i].Description != b[i].Description || !sameLines(a[i].Lines, b[i].Lines) {
			return false
		}
	}
	return true
}

func sameLines(a, b []Line) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].equal(b[i]) {
			return false
		}
	}
	return true
}
