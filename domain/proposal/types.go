package proposal

import (
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
}

// equal compares lines by value (decimals by amount, not representation).
func (l Line) equal(o Line) bool {
	return l.ID == o.ID && l.Name == o.Name && l.Description == o.Description &&
		l.UnitPrice.Equal(o.UnitPrice) && l.Quantity.Equal(o.Quantity) && l.Unit == o.Unit &&
		l.Discount.Kind == o.Discount.Kind && l.Discount.Value.Equal(o.Discount.Value) &&
		l.TaxRate.Equal(o.TaxRate) && l.BillingRule == o.BillingRule && l.Automatic == o.Automatic
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
