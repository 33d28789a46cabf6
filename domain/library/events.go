package library

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// StreamName returns the name of the library's one stream: "library".
func StreamName() string { return "library" }

// Service is one service of the library with its default terms. UnitPrice
// is in the firm's base currency, exclusive or inclusive of tax as the
// firm's tax mode says; TaxRate is a percentage (10 for 10 %).
type Service struct {
	ServiceID   uuid.UUID          `json:"service_id"`
	Name        string             `json:"name"`
	Description string             `json:"description,omitempty"`
	UnitPrice   decimal.Decimal    `json:"unit_price"`
	Quantity    decimal.Decimal    `json:"quantity"`
	Unit        string             `json:"unit,omitempty"` // e.g. "month", "hour", "return"
	BillingRule domain.BillingRule `json:"billing_rule"`
	Automatic   bool               `json:"automatic"` // invoiced by Remit on its dates; false: manual
	TaxRate     decimal.Decimal    `json:"tax_rate"`
	// RevenueAccount is the ledger account code the service's sales are
	// posted to (e.g. "200", "4000"); empty: the ledger's default.
	RevenueAccount string `json:"revenue_account,omitempty"`
	// Terms is the service's own terms, plain text or Markdown, shown in the
	// engagement letter of a proposal that offers it.
	Terms string `json:"terms,omitempty"`
}

// LibraryServiceAdded records a new service in the library.
type LibraryServiceAdded struct {
	Service
	At time.Time `json:"at"`
}

// LibraryServiceChanged records a service's new terms: the whole service as
// it now is, and the json names of the fields that changed ("name",
// "unit_price", "billing_rule", …).
type LibraryServiceChanged struct {
	Service
	Changed []string  `json:"changed"`
	At      time.Time `json:"at"`
}

// LibraryServiceArchived records that a service is no longer offered: it
// leaves the choices of new proposals and instant bills, and its name is
// free for another service. What was started from it stays.
type LibraryServiceArchived struct {
	ServiceID uuid.UUID `json:"service_id"`
	At        time.Time `json:"at"`
}

// LibraryServiceRestored records that an archived service is offered again.
type LibraryServiceRestored struct {
	ServiceID uuid.UUID `json:"service_id"`
	At        time.Time `json:"at"`
}

// EventType returns "LibraryServiceAdded".
func (LibraryServiceAdded) EventType() string { return "LibraryServiceAdded" }

// EventType returns "LibraryServiceChanged".
func (LibraryServiceChanged) EventType() string { return "LibraryServiceChanged" }

// EventType returns "LibraryServiceArchived".
func (LibraryServiceArchived) EventType() string { return "LibraryServiceArchived" }

// EventType returns "LibraryServiceRestored".
func (LibraryServiceRestored) EventType() string { return "LibraryServiceRestored" }

// EventTypes lists every event type of the library aggregate.
func EventTypes() []string {
	return []string{"LibraryServiceAdded", "LibraryServiceChanged", "LibraryServiceArchived", "LibraryServiceRestored"}
}

// DecodeEvent decodes the JSON data of an event of the given type into its
// value.
func DecodeEvent(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case "LibraryServiceAdded":
		return domain.DecodeAs[LibraryServiceAdded](eventType, data)
	case "LibraryServiceChanged":
		return domain.DecodeAs[LibraryServiceChanged](eventType, data)
	case "LibraryServiceArchived":
		return domain.DecodeAs[LibraryServiceArchived](eventType, data)
	case "LibraryServiceRestored":
		return domain.DecodeAs[LibraryServiceRestored](eventType, data)
	}
	return nil, fmt.Errorf("library: unknown event type %q", eventType)
}
