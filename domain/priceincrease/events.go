package priceincrease

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// StreamName returns the name of a batch's stream, "priceincrease-<uuid>".
func StreamName(id uuid.UUID) string { return "priceincrease-" + id.String() }

// IncreaseKind says how an Increase is applied to a unit price.
type IncreaseKind string

// Increase kinds.
const (
	Percent IncreaseKind = "percent" // Value percent of the old unit price
	Amount  IncreaseKind = "amount"  // Value added to the old unit price
)

// Increase is how much prices go up.
type Increase struct {
	Kind  IncreaseKind    `json:"kind"`
	Value decimal.Decimal `json:"value"`
}

// Rounding is the step new prices are rounded up to.
type Rounding string

// Roundings.
const (
	RoundCent Rounding = "cent" // the currency's minor unit
	RoundUnit Rounding = "unit" // a whole dollar, euro…
	RoundFive Rounding = "5"    // a multiple of 5
	RoundTen  Rounding = "10"   // a multiple of 10
)

// Client statuses a Filter may ask for.
const (
	StatusActive   = "active"
	StatusArchived = "archived"
)

// Filter selects the services a batch changes; every field left empty
// selects everything. Frequency with Interval (0 or 1: every period) names
// a billing frequency, e.g. months/3 for quarterly.
type Filter struct {
	LibraryServiceID uuid.UUID        `json:"library_service_id,omitzero"`
	Tag              string           `json:"tag,omitempty"`
	ClientStatus     string           `json:"client_status,omitempty"`
	Frequency        domain.Frequency `json:"frequency,omitempty"`
	Interval         int              `json:"interval,omitempty"`
	Currency         string           `json:"currency,omitempty"`
	ClientIDs        []uuid.UUID      `json:"client_ids,omitempty"`
}

// ServiceChange is one affected service with its old and new unit price.
type ServiceChange struct {
	ServiceID    uuid.UUID          `json:"service_id"`
	ServiceName  string             `json:"service_name"`
	ClientID     uuid.UUID          `json:"client_id"`
	ClientName   string             `json:"client_name"`
	Currency     domain.Currency    `json:"currency"`
	Quantity     decimal.Decimal    `json:"quantity"`
	BillingRule  domain.BillingRule `json:"billing_rule"`
	OldUnitPrice decimal.Decimal    `json:"old_unit_price"`
	NewUnitPrice decimal.Decimal    `json:"new_unit_price"`
}

// PriceIncreaseApplied records a whole batch: what it selected, by how much
// prices go up, from when, when the notices go out, who approved it, and
// every affected service.
type PriceIncreaseApplied struct {
	BatchID       uuid.UUID       `json:"batch_id"`
	Filter        Filter          `json:"filter"`
	Increase      Increase        `json:"increase"`
	Rounding      Rounding        `json:"rounding"`
	EffectiveFrom domain.Date     `json:"effective_from"`
	NoticeDays    int             `json:"notice_days"`
	NoticeOn      domain.Date     `json:"notice_on"`
	ApprovedBy    string          `json:"approved_by"`
	Services      []ServiceChange `json:"services"`
	At            time.Time       `json:"at"`
}

// PriceIncreaseNoticeSent records that a client's notice of the batch is
// sent to a contact (the emailer emails it).
type PriceIncreaseNoticeSent struct {
	BatchID      uuid.UUID   `json:"batch_id"`
	ClientID     uuid.UUID   `json:"client_id"`
	ContactName  string      `json:"contact_name,omitempty"`
	ContactEmail string      `json:"contact_email"`
	On           domain.Date `json:"on"`
	At           time.Time   `json:"at"`
}

// PriceIncreaseCancelled records that a batch is called off before its
// effective date; every service whose price from that date is still the
// batch's new price goes back to its old price. LeftAsChanged are the
// services whose price was changed by hand since the batch: they keep the
// price they have (a cancel recorded before this field existed put every
// service back).
type PriceIncreaseCancelled struct {
	BatchID       uuid.UUID     `json:"batch_id"`
	Reason        string        `json:"reason,omitempty"`
	CancelledBy   string        `json:"cancelled_by,omitempty"`
	LeftAsChanged []ServiceLeft `json:"left_as_changed,omitempty"`
	At            time.Time     `json:"at"`
}

// ServiceLeft is a service a cancel leaves alone: its unit price from the
// effective date (Price) is no longer the batch's new price.
type ServiceLeft struct {
	ServiceID   uuid.UUID       `json:"service_id"`
	ServiceName string          `json:"service_name"`
	ClientName  string          `json:"client_name"`
	Price       decimal.Decimal `json:"price"`
}

// EventType returns "PriceIncreaseApplied".
func (PriceIncreaseApplied) EventType() string { return "PriceIncreaseApplied" }

// EventType returns "PriceIncreaseNoticeSent".
func (PriceIncreaseNoticeSent) EventType() string { return "PriceIncreaseNoticeSent" }

// EventType returns "PriceIncreaseCancelled".
func (PriceIncreaseCancelled) EventType() string { return "PriceIncreaseCancelled" }

// EventTypes lists every event type of the price increase aggregate.
func EventTypes() []string {
	return []string{"PriceIncreaseApplied", "PriceIncreaseNoticeSent", "PriceIncreaseCancelled"}
}

// DecodeEvent decodes the JSON data of an event of the given type.
func DecodeEvent(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case "PriceIncreaseApplied":
		return domain.DecodeAs[PriceIncreaseApplied](eventType, data)
	case "PriceIncreaseNoticeSent":
		return domain.DecodeAs[PriceIncreaseNoticeSent](eventType, data)
	case "PriceIncreaseCancelled":
		return domain.DecodeAs[PriceIncreaseCancelled](eventType, data)
	}
	return nil, fmt.Errorf("priceincrease: unknown event type %q", eventType)
}
