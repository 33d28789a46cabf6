package invoice

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// StreamName returns the name of the invoice's event stream, "invoice-<uuid>".
func StreamName(id uuid.UUID) string { return "invoice-" + id.String() }

// Line is one line of an issued invoice, with its amounts computed by
// domain.ComputeLine. A line with no ServiceID is an instant-bill line.
type Line struct {
	LineID      uuid.UUID          `json:"line_id"`
	Description string             `json:"description"`
	Quantity    decimal.Decimal    `json:"quantity"`
	UnitPrice   domain.Money       `json:"unit_price"`
	Discount    domain.Discount    `json:"discount"`
	TaxRate     decimal.Decimal    `json:"tax_rate"`
	ServiceID   uuid.UUID          `json:"service_id,omitzero"`
	ItemKey     string             `json:"item_key,omitempty"` // the schedule item billed, "<service-uuid>/<seq>"
	Amounts     domain.LineAmounts `json:"amounts"`
}

// IsInstantBill reports whether the line bills no service (a once-off
// instant bill).
func (l Line) IsInstantBill() bool { return l.ServiceID == uuid.Nil }

// Totals are an invoice's totals: the sums of its lines' rounded amounts.
type Totals struct {
	Net   domain.Money `json:"net"`
	Tax   domain.Money `json:"tax"`
	Gross domain.Money `json:"gross"`
}

// InvoiceIssued records that an invoice was issued with its number, lines and
// totals. It is the first event of every invoice stream.
type InvoiceIssued struct {
	InvoiceID       uuid.UUID       `json:"invoice_id"`
	ClientID        uuid.UUID       `json:"client_id"`
	Number          string          `json:"number"`
	Currency        domain.Currency `json:"currency"`
	IssueDate       domain.Date     `json:"issue_date"`
	DueDate         domain.Date     `json:"due_date"`
	TaxMode         domain.TaxMode  `json:"tax_mode"`
	Lines           []Line          `json:"lines"`
	Totals          Totals          `json:"totals"`
	Recurring       bool            `json:"recurring"`
	PaymentMethodID uuid.UUID       `json:"payment_method_id,omitzero"`
	At              time.Time       `json:"at"`
}

// InvoiceSent records that the invoice was emailed to a recipient; Resent is
// true for every sending after the first.
type InvoiceSent struct {
	InvoiceID uuid.UUID `json:"invoice_id"`
	// ClientID names whose key seals Recipient (remit/eventstore/pii); zero in events
	// recorded before it was added.
	ClientID  uuid.UUID `json:"client_id,omitzero"`
	Recipient string    `json:"recipient"`
	Resent    bool      `json:"resent"`
	At        time.Time `json:"at"`
}

// InvoiceCollectionScheduled records that payment will be collected from a
// payment method on a date.
type InvoiceCollectionScheduled struct {
	InvoiceID       uuid.UUID   `json:"invoice_id"`
	Date            domain.Date `json:"date"`
	PaymentMethodID uuid.UUID   `json:"payment_method_id"`
	At              time.Time   `json:"at"`
}

// InvoiceCollectionCancelled records that staff cancelled the scheduled
// collection (or retry): nothing is charged until someone schedules one
// again, and no billing or collection run schedules one by itself.
type InvoiceCollectionCancelled struct {
	InvoiceID       uuid.UUID   `json:"invoice_id"`
	Date            domain.Date `json:"date"`              // the date the cancelled collection was due
	PaymentMethodID uuid.UUID   `json:"payment_method_id"` // the method it would have charged
	Retry           bool        `json:"retry,omitempty"`   // it was a retry of a rejected payment
	Reason          string      `json:"reason,omitempty"`
	At              time.Time   `json:"at"`
}

// InvoicePaymentSucceeded records a collection attempt that took money.
// Date is the firm's calendar date of the collection (the collection run's
// as-of date, or the firm's today for a gateway's later answer); events
// recorded before it was carried have none (see PaymentDate).
type InvoicePaymentSucceeded struct {
	InvoiceID        uuid.UUID    `json:"invoice_id"`
	AttemptID        uuid.UUID    `json:"attempt_id"`
	PaymentMethodID  uuid.UUID    `json:"payment_method_id,omitzero"`
	GatewayReference string       `json:"gateway_reference"`
	Amount           domain.Money `json:"amount"`
	Date             domain.Date  `json:"date,omitzero"`
	// Through is how the client paid when it was not a charge Remit made:
	// PaidThroughPayNow for the pay-now page, where PaymentMethodID is zero
	// unless the client kept the method on file. Empty for Remit's own
	// charges and for payments recorded before it was carried.
	Through PaymentChannel `json:"through,omitempty"`
	// PaidWith is the method the client paid with on the pay-now page when
	// they did not keep it on file (PaymentMethodID zero), as the gateway
	// described it; nil when it did not, and for every other payment.
	PaidWith *MethodUsed `json:"paid_with,omitempty"`
	At       time.Time   `json:"at"`
}

// MethodUsed is how a person recognises a payment method Remit does not
// keep: a card's brand and last four digits, or a bank debit's scheme and
// masked account. It holds no gateway token: nothing can be charged with it.
type MethodUsed struct {
	// Kind is "card" or "bank_debit" (client.PaymentMethodKind's values).
	Kind  string `json:"kind"`
	Brand string `json:"brand,omitempty"` // card: "visa", "mastercard", …
	Last4 string `json:"last4,omitempty"` // card
	// Scheme is a bank debit's scheme (client.DebitScheme's values:
	// "au_becs", "sepa", …).
	Scheme        string `json:"scheme,omitempty"`
	MaskedAccount string `json:"masked_account,omitempty"` // bank debit
}

// PaymentChannel is how a client paid through the gateway on their own
// (InvoicePaymentSucceeded.Through).
type PaymentChannel string

// PaidThroughPayNow is a payment the client made on the gateway's hosted
// page from the invoice's pay-now link.
const PaidThroughPayNow PaymentChannel = "pay_now"

// PaymentDate is the date of the payment: Date, or for an event recorded
// before Date was carried, the calendar date of At in loc (the firm's time
// zone). Every reader that dates a collected payment uses it.
func (e InvoicePaymentSucceeded) PaymentDate(loc *time.Location) domain.Date {
	return attemptDate(e.Date, e.At, loc)
}

// InvoicePaymentRejected records a collection attempt that was declined.
// Date is the firm's calendar date of the attempt, as for
// InvoicePaymentSucceeded.
type InvoicePaymentRejected struct {
	InvoiceID       uuid.UUID   `json:"invoice_id"`
	AttemptID       uuid.UUID   `json:"attempt_id"`
	PaymentMethodID uuid.UUID   `json:"payment_method_id,omitzero"`
	DeclineCode     string      `json:"decline_code"`
	DeclineMessage  string      `json:"decline_message"`
	Date            domain.Date `json:"date,omitzero"`
	At              time.Time   `json:"at"`
}

// AttemptDate is the date of the declined attempt: Date, or for an event
// recorded before Date was carried, the calendar date of At in loc (the
// firm's time zone).
func (e InvoicePaymentRejected) AttemptDate(loc *time.Location) domain.Date {
	return attemptDate(e.Date, e.At, loc)
}

func attemptDate(d domain.Date, at time.Time, loc *time.Location) domain.Date {
	if !d.IsZero() {
		return d
	}
	if loc == nil {
		loc = time.UTC
	}
	return domain.DateOf(at, loc)
}

// InvoiceRetryScheduled records that a rejected collection will be retried on
// a date, from the given payment method.
type InvoiceRetryScheduled struct {
	InvoiceID       uuid.UUID   `json:"invoice_id"`
	Date            domain.Date `json:"date"`
	PaymentMethodID uuid.UUID   `json:"payment_method_id"`
	At              time.Time   `json:"at"`
}

// InvoicePaymentRecorded records a payment received outside the gateway.
type InvoicePaymentRecorded struct {
	InvoiceID uuid.UUID     `json:"invoice_id"`
	PaymentID uuid.UUID     `json:"payment_id"`
	Method    PaymentMethod `json:"method"`
	Reference string        `json:"reference,omitempty"`
	Amount    domain.Money  `json:"amount"`
	Date      domain.Date   `json:"date"`
	At        time.Time     `json:"at"`
}

// InvoiceWrittenOff records that the outstanding balance will not be
// collected.
type InvoiceWrittenOff struct {
	InvoiceID uuid.UUID    `json:"invoice_id"`
	Amount    domain.Money `json:"amount"`
	Reason    string       `json:"reason"`
	At        time.Time    `json:"at"`
}

// InvoiceVoided records that the invoice is cancelled; a void invoice takes no
// further command.
type InvoiceVoided struct {
	InvoiceID uuid.UUID `json:"invoice_id"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

// InvoiceCreditNoteIssued records a credit note against the invoice, reducing
// its balance.
type InvoiceCreditNoteIssued struct {
	InvoiceID    uuid.UUID    `json:"invoice_id"`
	CreditNoteID uuid.UUID    `json:"credit_note_id"`
	Amount       domain.Money `json:"amount"`
	Reason       string       `json:"reason"`
	At           time.Time    `json:"at"`
}

// EventType returns "InvoiceIssued".
func (InvoiceIssued) EventType() string { return "InvoiceIssued" }

// EventType returns "InvoiceSent".
func (InvoiceSent) EventType() string { return "InvoiceSent" }

// EventType returns "InvoiceCollectionScheduled".
func (InvoiceCollectionScheduled) EventType() string { return "InvoiceCollectionScheduled" }

// EventType returns "InvoiceCollectionCancelled".
func (InvoiceCollectionCancelled) EventType() string { return "InvoiceCollectionCancelled" }

// EventType returns "InvoicePaymentSucceeded".
func (InvoicePaymentSucceeded) EventType() string { return "InvoicePaymentSucceeded" }

// EventType returns "InvoicePaymentRejected".
func (InvoicePaymentRejected) EventType() string { return "InvoicePaymentRejected" }

// EventType returns "InvoiceRetryScheduled".
func (InvoiceRetryScheduled) EventType() string { return "InvoiceRetryScheduled" }

// EventType returns "InvoicePaymentRecorded".
func (InvoicePaymentRecorded) EventType() string { return "InvoicePaymentRecorded" }

// EventType returns "InvoiceWrittenOff".
func (InvoiceWrittenOff) EventType() string { return "InvoiceWrittenOff" }

// EventType returns "InvoiceVoided".
func (InvoiceVoided) EventType() string { return "InvoiceVoided" }

// EventType returns "InvoiceCreditNoteIssued".
func (InvoiceCreditNoteIssued) EventType() string { return "InvoiceCreditNoteIssued" }

// EventTypes lists every event type of the invoice aggregate.
func EventTypes() []string {
	return []string{
		"InvoiceIssued",
		"InvoiceSent",
		"InvoiceCollectionScheduled",
		"InvoicePaymentSucceeded",
		"InvoicePaymentRejected",
		"InvoiceRetryScheduled",
		"InvoicePaymentRecorded",
		"InvoiceWrittenOff",
		"InvoiceVoided",
		"InvoiceCreditNoteIssued",
		"InvoiceCollectionCancelled",
		"InvoiceAbandoned",
		"InvoicePaymentRefunded",
		"InvoicePaymentDisputed",
		"InvoiceDisputeClosed",
		"InvoiceSurchargeAdded",
		"InvoiceDuplicatePaymentRefunded",
		"InvoiceReminderSent",
		"InvoiceDunningExhausted",
		"InvoiceRemindersPaused",
		"InvoiceRemindersResumed",
	}
}

// DecodeEvent decodes the JSON data of an event of the given type into the
// event's value.
func DecodeEvent(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case "InvoiceIssued":
		return domain.DecodeAs[InvoiceIssued](eventType, data)
	case "InvoiceSent":
		return domain.DecodeAs[InvoiceSent](eventType, data)
	case "InvoiceCollectionScheduled":
		return domain.DecodeAs[InvoiceCollectionScheduled](eventType, data)
	case "InvoicePaymentSucceeded":
		return domain.DecodeAs[InvoicePaymentSucceeded](eventType, data)
	case "InvoicePaymentRejected":
		return domain.DecodeAs[InvoicePaymentRejected](eventType, data)
	case "InvoiceRetryScheduled":
		return domain.DecodeAs[InvoiceRetryScheduled](eventType, data)
	case "InvoicePaymentRecorded":
		return domain.DecodeAs[InvoicePaymentRecorded](eventType, data)
	case "InvoiceWrittenOff":
		return domain.DecodeAs[InvoiceWrittenOff](eventType, data)
	case "InvoiceVoided":
		return domain.DecodeAs[InvoiceVoided](eventType, data)
	case "InvoiceCreditNoteIssued":
		return domain.DecodeAs[InvoiceCreditNoteIssued](eventType, data)
	case "InvoiceCollectionCancelled":
		return domain.DecodeAs[InvoiceCollectionCancelled](eventType, data)
	case "InvoiceAbandoned":
		return domain.DecodeAs[InvoiceAbandoned](eventType, data)
	case "InvoicePaymentRefunded":
		return domain.DecodeAs[InvoicePaymentRefunded](eventType, data)
	case "InvoicePaymentDisputed":
		return domain.DecodeAs[InvoicePaymentDisputed](eventType, data)
	case "InvoiceDisputeClosed":
		return domain.DecodeAs[InvoiceDisputeClosed](eventType, data)
	case "InvoiceReminderSent":
		return domain.DecodeAs[InvoiceReminderSent](eventType, data)
	case "InvoiceDunningExhausted":
		return domain.DecodeAs[InvoiceDunningExhausted](eventType, data)
	case "InvoiceRemindersPaused":
		return domain.DecodeAs[InvoiceRemindersPaused](eventType, data)
	case "InvoiceRemindersResumed":
		return domain.DecodeAs[InvoiceRemindersResumed](eventType, data)
	case "InvoiceSurchargeAdded":
		return domain.DecodeAs[InvoiceSurchargeAdded](eventType, data)
	case "InvoiceDuplicatePaymentRefunded":
		return domain.DecodeAs[InvoiceDuplicatePaymentRefunded](eventType, data)
	}
	return nil, fmt.Errorf("invoice: unknown event type %q", eventType)
}
