package firm

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// StreamName returns the name of the firm's one stream: "firm".
func StreamName() string { return "firm" }

// FirmSetUp records the firm's set-up with every setting it starts with.
type FirmSetUp struct {
	Name                    string          `json:"name"`
	Address                 domain.Address  `json:"address"`
	TaxNumber               string          `json:"tax_number,omitempty"`
	Logo                    string          `json:"logo,omitempty"`
	BaseCurrency            domain.Currency `json:"base_currency"`
	TimeZone                string          `json:"time_zone"`
	InvoicePrefix           string          `json:"invoice_prefix"`
	PaymentTermsDays        int             `json:"payment_terms_days"`
	TaxMode                 domain.TaxMode  `json:"tax_mode"`
	CollectionDaysOnceOff   int             `json:"collection_days_once_off"`
	CollectionDaysRecurring int             `json:"collection_days_recurring"`
	RetryAfterDays          []int           `json:"retry_after_days"`
	GroupItems              bool            `json:"group_items"`
	MissedBillings          MissedBillings  `json:"missed_billings,omitempty"`
	At                      time.Time       `json:"at"`
}

// FirmDetailsChanged records a new name, address or tax number.
type FirmDetailsChanged struct {
	Name      string         `json:"name"`
	Address   domain.Address `json:"address"`
	TaxNumber string         `json:"tax_number,omitempty"`
	At        time.Time      `json:"at"`
}

// FirmLogoChanged records a new logo reference; an empty Logo removes it.
type FirmLogoChanged struct {
	Logo string    `json:"logo,omitempty"`
	At   time.Time `json:"at"`
}

// FirmRegionalSettingsChanged records a new base currency or time zone.
type FirmRegionalSettingsChanged struct {
	BaseCurrency domain.Currency `json:"base_currency"`
	TimeZone     string          `json:"time_zone"`
	At           time.Time       `json:"at"`
}

// FirmInvoiceSettingsChanged records a new invoice number prefix or default
// payment terms. Numbers already given keep their prefix.
type FirmInvoiceSettingsChanged struct {
	InvoicePrefix    string    `json:"invoice_prefix"`
	PaymentTermsDays int       `json:"payment_terms_days"`
	At               time.Time `json:"at"`
}

// FirmInvoiceGroupingChanged records whether one client's items with the same
// date and payment method are grouped into one invoice.
type FirmInvoiceGroupingChanged struct {
	GroupItems bool      `json:"group_items"`
	At         time.Time `json:"at"`
}

// FirmMissedBillingsChanged records whether automatic billings whose date
// passed before a billing run invoiced them are caught up (invoiced on the
// run's date) or skipped.
type FirmMissedBillingsChanged struct {
	MissedBillings MissedBillings `json:"missed_billings"`
	At             time.Time      `json:"at"`
}

// FirmTaxModeChanged records whether prices are stated exclusive or inclusive
// of tax from now on.
type FirmTaxModeChanged struct {
	TaxMode domain.TaxMode `json:"tax_mode"`
	At      time.Time      `json:"at"`
}

// FirmTaxRateAdded records a new named tax rate (a percentage).
type FirmTaxRateAdded struct {
	TaxRateID uuid.UUID       `json:"tax_rate_id"`
	Name      string          `json:"name"`
	Rate      decimal.Decimal `json:"rate"`
	At        time.Time       `json:"at"`
}

// FirmTaxRateChanged records a tax rate's new name or percentage; lines
// already invoiced keep the rate they had.
type FirmTaxRateChanged struct {
	TaxRateID uuid.UUID       `json:"tax_rate_id"`
	Name      string          `json:"name"`
	Rate      decimal.Decimal `json:"rate"`
	At        time.Time       `json:"at"`
}

// FirmTaxRateRemoved records that a tax rate is no longer offered.
type FirmTaxRateRemoved struct {
	TaxRateID uuid.UUID `json:"tax_rate_id"`
	At        time.Time `json:"at"`
}

// FirmDefaultTaxRateSet records which tax rate new lines get by default.
type FirmDefaultTaxRateSet struct {
	TaxRateID uuid.UUID `json:"tax_rate_id"`
	At        time.Time `json:"at"`
}

// FirmCollectionScheduleChanged records how many days after issue payment is
// collected, for once-off and for recurring invoices.
type FirmCollectionScheduleChanged struct {
	CollectionDaysOnceOff   int       `json:"collection_days_once_off"`
	CollectionDaysRecurring int       `json:"collection_days_recurring"`
	At                      time.Time `json:"at"`
}

// FirmRetryPolicyChanged records after how many days from the first rejection
// a rejected payment is retried automatically (empty: never).
type FirmRetryPolicyChanged struct {
	RetryAfterDays []int     `json:"retry_after_days"`
	At             time.Time `json:"at"`
}

// EventType returns "FirmSetUp".
func (FirmSetUp) EventType() string { return "FirmSetUp" }

// EventType returns "FirmDetailsChanged".
func (FirmDetailsChanged) EventType() string { return "FirmDetailsChanged" }

// EventType returns "FirmLogoChanged".
func (FirmLogoChanged) EventType() string { return "FirmLogoChanged" }

// EventType returns "FirmRegionalSettingsChanged".
func (FirmRegionalSettingsChanged) EventType() string { return "FirmRegionalSettingsChanged" }

// EventType returns "FirmInvoiceSettingsChanged".
func (FirmInvoiceSettingsChanged) EventType() string { return "FirmInvoiceSettingsChanged" }

// EventType returns "FirmInvoiceGroupingChanged".
func (FirmInvoiceGroupingChanged) EventType() string { return "FirmInvoiceGroupingChanged" }

// EventType returns "FirmMissedBillingsChanged".
func (FirmMissedBillingsChanged) EventType() string { return "FirmMissedBillingsChanged" }

// EventType returns "FirmTaxModeChanged".
func (FirmTaxModeChanged) EventType() string { return "FirmTaxModeChanged" }

// EventType returns "FirmTaxRateAdded".
func (FirmTaxRateAdded) EventType() string { return "FirmTaxRateAdded" }

// EventType returns "FirmTaxRateChanged".
func (FirmTaxRateChanged) EventType() string { return "FirmTaxRateChanged" }

// EventType returns "FirmTaxRateRemoved".
func (FirmTaxRateRemoved) EventType() string { return "FirmTaxRateRemoved" }

// EventType returns "FirmDefaultTaxRateSet".
func (FirmDefaultTaxRateSet) EventType() string { return "FirmDefaultTaxRateSet" }

// EventType returns "FirmCollectionScheduleChanged".
func (FirmCollectionScheduleChanged) EventType() string { return "FirmCollectionScheduleChanged" }

// EventType returns "FirmRetryPolicyChanged".
func (FirmRetryPolicyChanged) EventType() string { return "FirmRetryPolicyChanged" }

// EventTypes lists every event type the firm records.
func EventTypes() []string {
	return []string{
		"FirmSetUp",
		"FirmDetailsChanged",
		"FirmLogoChanged",
		"FirmRegionalSettingsChanged",
		"FirmInvoiceSettingsChanged",
		"FirmInvoiceGroupingChanged",
		"FirmMissedBillingsChanged",
		"FirmTaxModeChanged",
		"FirmTaxRateAdded",
		"FirmTaxRateChanged",
		"FirmTaxRateRemoved",
		"FirmDefaultTaxRateSet",
		"FirmCollectionScheduleChanged",
		"FirmRetryPolicyChanged",
		"FirmSurchargesChanged",
		"FirmBankAccountChanged",
		"FirmProposalSettingsChanged",
		"FirmDunningPolicyChanged",
		"FirmDunningDigestSent",
	}
}

// DecodeEvent decodes the JSON data of an event of the given type into its
// struct (a value, not a pointer).
func DecodeEvent(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case "FirmSetUp":
		return domain.DecodeAs[FirmSetUp](eventType, data)
	case "FirmDetailsChanged":
		return domain.DecodeAs[FirmDetailsChanged](eventType, data)
	case "FirmLogoChanged":
		return domain.DecodeAs[FirmLogoChanged](eventType, data)
	case "FirmRegionalSettingsChanged":
		return domain.DecodeAs[FirmRegionalSettingsChanged](eventType, data)
	case "FirmInvoiceSettingsChanged":
		return domain.DecodeAs[FirmInvoiceSettingsChanged](eventType, data)
	case "FirmInvoiceGroupingChanged":
		return domain.DecodeAs[FirmInvoiceGroupingChanged](eventType, data)
	case "FirmMissedBillingsChanged":
		return domain.DecodeAs[FirmMissedBillingsChanged](eventType, data)
	case "FirmTaxModeChanged":
		return domain.DecodeAs[FirmTaxModeChanged](eventType, data)
	case "FirmTaxRateAdded":
		return domain.DecodeAs[FirmTaxRateAdded](eventType, data)
	case "FirmTaxRateChanged":
		return domain.DecodeAs[FirmTaxRateChanged](eventType, data)
	case "FirmTaxRateRemoved":
		return domain.DecodeAs[FirmTaxRateRemoved](eventType, data)
	case "FirmDefaultTaxRateSet":
		return domain.DecodeAs[FirmDefaultTaxRateSet](eventType, data)
	case "FirmCollectionScheduleChanged":
		return domain.DecodeAs[FirmCollectionScheduleChanged](eventType, data)
	case "FirmRetryPolicyChanged":
		return domain.DecodeAs[FirmRetryPolicyChanged](eventType, data)
	case "FirmSurchargesChanged":
		return domain.DecodeAs[FirmSurchargesChanged](eventType, data)
	case "FirmBankAccountChanged":
		return domain.DecodeAs[FirmBankAccountChanged](eventType, data)
	case "FirmProposalSettingsChanged":
		return domain.DecodeAs[FirmProposalSettingsChanged](eventType, data)
	case "FirmDunningPolicyChanged":
		return domain.DecodeAs[FirmDunningPolicyChanged](eventType, data)
	case "FirmDunningDigestSent":
		return domain.DecodeAs[FirmDunningDigestSent](eventType, data)
	}
	return nil, fmt.Errorf("firm: unknown event type %q", eventType)
}
