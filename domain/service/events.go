package service

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// StreamName returns the name of the service's event stream, "service-<uuid>".
func StreamName(id uuid.UUID) string { return "service-" + id.String() }

// BillingMode says whether an item is invoiced by Remit on its date
// (automatic) or waits for someone to confirm and issue it (manual).
type BillingMode string

// Billing modes.
const (
	Automatic BillingMode = "automatic"
	Manual    BillingMode = "manual"
)

// Source is where a service came from: a line of an accepted proposal, or an
// instant bill.
type Source struct {
	ProposalID     uuid.UUID `json:"proposal_id,omitzero"`
	ProposalLineID uuid.UUID `json:"proposal_line_id,omitzero"`
	InstantBill    bool      `json:"instant_bill,omitempty"`
	// LibraryServiceID is the services library's entry the service started
	// from, when it did (its terms were copied, then maybe overridden).
	LibraryServiceID uuid.UUID `json:"library_service_id,omitzero"`
}

// Changes are the optional terms an edit changes; nil means unchanged. A
// non-nil PaymentMethodID of uuid.Nil removes the payment method.
type Changes struct {
	Description     *string          `json:"description,omitempty"`
	UnitPrice       *decimal.Decimal `json:"unit_price,omitempty"`
	Quantity        *decimal.Decimal `json:"quantity,omitempty"`
	Discount        *domain.Discount `json:"discount,omitempty"`
	PaymentMethodID *uuid.UUID       `json:"payment_method_id,omitempty"`
}

// ItemChanges are the optional changes to one schedule item: its date and
// the terms of Changes.
type ItemChanges struct {
	Date *domain.Date `json:"date,omitempty"`
	Changes
}

// ServiceActivated records a new active service with its terms and billing
// rule. It is the first event of every service stream.
type ServiceActivated struct {
	ServiceID       uuid.UUID          `json:"service_id"`
	ClientID        uuid.UUID          `json:"client_id"`
	Source          Source             `json:"source"`
	Name            string             `json:"name"`
	Description     string             `json:"description,omitempty"`
	UnitPrice       decimal.Decimal    `json:"unit_price"`
	Quantity        decimal.Decimal    `json:"quantity"`
	Unit            string             `json:"unit,omitempty"`
	Discount        domain.Discount    `json:"discount"`
	TaxRate         decimal.Decimal    `json:"tax_rate"`
	Currency        domain.Currency    `json:"currency"`
	BillingRule     domain.BillingRule `json:"billing_rule"`
	FirstDate       domain.Date        `json:"first_date,omitzero"` // zero for on-completion and estimate rules
	Mode            BillingMode        `json:"mode"`
	PaymentMethodID uuid.UUID          `json:"payment_method_id,omitzero"`
	// RevenueAccount is the ledger (revenue) account code its sales are
	// posted to, when one was chosen (from the services library); empty:
	// the ledger's default.
	RevenueAccount string    `json:"revenue_account,omitempty"`
	At             time.Time `json:"at"`
}

// ServiceEdited records new terms effective from a date: unbilled items dated
// on or after EffectiveFrom change (as do undated manual items). With a
// BillingRule, unbilled items on or after EffectiveFrom are replaced by the new
// rule's occurrences from FirstDate, numbered from FirstSeq.
type ServiceEdited struct {
	ServiceID     uuid.UUID   `json:"service_id"`
	EffectiveFrom domain.Date `json:"effective_from"`
	Changes
	BillingRule               *domain.BillingRule `json:"billing_rule,omitempty"`
	FirstDate                 domain.Date         `json:"first_date,omitzero"`
	FirstSeq                  int                 `json:"first_seq,omitempty"`
	NotifyClientOfPriceChange bool                `json:"notify_client_of_price_change"`
	At                        time.Time           `json:"at"`
}

// ServiceSwitchedToManual records that every unbilled item now waits to be
// issued by hand (the service is paused).
type ServiceSwitchedToManual struct {
	ServiceID uuid.UUID `json:"service_id"`
	At        time.Time `json:"at"`
}

// ServiceSwitchedToAutomatic records that every unbilled item is again
// invoiced by Remit on its date.
type ServiceSwitchedToAutomatic struct {
	ServiceID uuid.UUID `json:"service_id"`
	At        time.Time `json:"at"`
}

// ServiceEnded records that the service ends on a date: items after it are
// archived; issued invoices stay.
type ServiceEnded struct {
	ServiceID uuid.UUID   `json:"service_id"`
	EndDate   domain.Date `json:"end_date"`
	Reason    string      `json:"reason,omitempty"`
	At        time.Time   `json:"at"`
}

// ScheduleItemEdited records changes to one unbilled item.
type ScheduleItemEdited struct {
	ServiceID uuid.UUID `json:"service_id"`
	ItemKey   string    `json:"item_key"`
	ItemChanges
	At time.Time `json:"at"`
}

// ScheduleItemSwitchedToManual records that one item waits to be issued by
// hand.
type ScheduleItemSwitchedToManual struct {
	ServiceID uuid.UUID `json:"service_id"`
	ItemKey   string    `json:"item_key"`
	At        time.Time `json:"at"`
}

// ScheduleItemSwitchedToAutomatic records that one item is invoiced by Remit
// on its date.
type ScheduleItemSwitchedToAutomatic struct {
	ServiceID uuid.UUID `json:"service_id"`
	ItemKey   string    `json:"item_key"`
	At        time.Time `json:"at"`
}

// ScheduleItemSkipped records that one item will not be billed: skipped by
// staff, or (MissedAsOf set) by the billing run of that date because the
// item's date had passed and the firm skips missed billings.
type ScheduleItemSkipped struct {
	ServiceID  uuid.UUID   `json:"service_id"`
	ItemKey    string      `json:"item_key"`
	MissedAsOf domain.Date `json:"missed_as_of,omitzero"`
	At         time.Time   `json:"at"`
}

// ScheduleItemIssueScheduled records that a manual item is to be invoiced on
// a date.
type ScheduleItemIssueScheduled struct {
	ServiceID uuid.UUID   `json:"service_id"`
	ItemKey   string      `json:"item_key"`
	IssueOn   domain.Date `json:"issue_on"`
	At        time.Time   `json:"at"`
}

// ScheduleItemBilled records that an item was invoiced, with the terms it was
// billed at; an item is billed at most once.
type ScheduleItemBilled struct {
	ServiceID       uuid.UUID       `json:"service_id"`
	ItemKey         string          `json:"item_key"`
	InvoiceID       uuid.UUID       `json:"invoice_id"`
	Date            domain.Date     `json:"date,omitzero"`
	Description     string          `json:"description"`
	Quantity        decimal.Decimal `json:"quantity"`
	UnitPrice       decimal.Decimal `json:"unit_price"`
	Discount        domain.Discount `json:"discount"`
	TaxRate         decimal.Decimal `json:"tax_rate"`
	Mode            BillingMode     `json:"mode"`
	PaymentMethodID uuid.UUID       `json:"payment_method_id,omitzero"`
	At              time.Time       `json:"at"`
}

// ScheduleItemReleased records that an item is unbilled again: the invoice
// it was billed on was voided, or was never issued (another invoice took one
// of its other items first). After a void the item becomes manual, so staff
// decide when to bill it again rather than the billing run re-invoicing it at
// once.
type ScheduleItemReleased struct {
	ServiceID        uuid.UUID `json:"service_id"`
	ItemKey          string    `json:"item_key"`
	InvoiceID        uuid.UUID `json:"invoice_id"`
	Reason           string    `json:"reason"`
	SwitchedToManual bool      `json:"switched_to_manual"`
	At               time.Time `json:"at"`
}

// EventType returns "ServiceActivated".
func (ServiceActivated) EventType() string { return "ServiceActivated" }

// EventType returns "ServiceEdited".
func (ServiceEdited) EventType() string { return "ServiceEdited" }

// EventType returns "ServiceSwitchedToManual".
func (ServiceSwitchedToManual) EventType() string { return "ServiceSwitchedToManual" }

// EventType returns "ServiceSwitchedToAutomatic".
func (ServiceSwitchedToAutomatic) EventType() string { return "ServiceSwitchedToAutomatic" }

// EventType returns "ServiceEnded".
func (ServiceEnded) EventType() string { return "ServiceEnded" }

// EventType returns "ScheduleItemEdited".
func (ScheduleItemEdited) EventType() string { return "ScheduleItemEdited" }

// EventType returns "ScheduleItemSwitchedToManual".
func (ScheduleItemSwitchedToManual) EventType() string { return "ScheduleItemSwitchedToManual" }

// EventType returns "ScheduleItemSwitchedToAutomatic".
func (ScheduleItemSwitchedToAutomatic) EventType() string { return "ScheduleItemSwitchedToAutomatic" }

// EventType returns "ScheduleItemSkipped".
func (ScheduleItemSkipped) EventType() string { return "ScheduleItemSkipped" }

// EventType returns "ScheduleItemIssueScheduled".
func (ScheduleItemIssueScheduled) EventType() string { return "ScheduleItemIssueScheduled" }

// EventType returns "ScheduleItemBilled".
func (ScheduleItemBilled) EventType() string { return "ScheduleItemBilled" }

// EventType returns "ScheduleItemReleased".
func (ScheduleItemReleased) EventType() string { return "ScheduleItemReleased" }

// EventTypes lists every event type of the service aggregate.
func EventTypes() []string {
	return []string{
		"ServiceActivated",
		"ServiceEdited",
		"ServiceSwitchedToManual",
		"ServiceSwitchedToAutomatic",
		"ServiceEnded",
		"ScheduleItemEdited",
		"ScheduleItemSwitchedToManual",
		"ScheduleItemSwitchedToAutomatic",
		"ScheduleItemSkipped",
		"ScheduleItemIssueScheduled",
		"ScheduleItemBilled",
		"ScheduleItemReleased",
	}
}

// DecodeEvent decodes the JSON data of an event of the given type into the
// event's value.
func DecodeEvent(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case "ServiceActivated":
		return domain.DecodeAs[ServiceActivated](eventType, data)
	case "ServiceEdited":
		return domain.DecodeAs[ServiceEdited](eventType, data)
	case "ServiceSwitchedToManual":
		return domain.DecodeAs[ServiceSwitchedToManual](eventType, data)
	case "ServiceSwitchedToAutomatic":
		return domain.DecodeAs[ServiceSwitchedToAutomatic](eventType, data)
	case "ServiceEnded":
		return domain.DecodeAs[ServiceEnded](eventType, data)
	case "ScheduleItemEdited":
		return domain.DecodeAs[ScheduleItemEdited](eventType, data)
	case "ScheduleItemSwitchedToManual":
		return domain.DecodeAs[ScheduleItemSwitchedToManual](eventType, data)
	case "ScheduleItemSwitchedToAutomatic":
		return domain.DecodeAs[ScheduleItemSwitchedToAutomatic](eventType, data)
	case "ScheduleItemSkipped":
		return domain.DecodeAs[ScheduleItemSkipped](eventType, data)
	case "ScheduleItemIssueScheduled":
		return domain.DecodeAs[ScheduleItemIssueScheduled](eventType, data)
	case "ScheduleItemBilled":
		return domain.DecodeAs[ScheduleItemBilled](eventType, data)
	case "ScheduleItemReleased":
		return domain.DecodeAs[ScheduleItemReleased](eventType, data)
	}
	return nil, fmt.Errorf("service: unknown event type %q", eventType)
}
