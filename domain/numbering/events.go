package numbering

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// StreamName returns the name of the numbering's one stream: "numbering-invoices".
func StreamName() string { return "numbering-invoices" }

// InvoiceNumberReserved records that an invoice was given a number.
type InvoiceNumberReserved struct {
	Number    string    `json:"number"`   // e.g. "INV-000123"
	Sequence  int64     `json:"sequence"` // e.g. 123; one more than the previous
	InvoiceID uuid.UUID `json:"invoice_id"`
	At        time.Time `json:"at"`
}

// EventType returns "InvoiceNumberReserved".
func (InvoiceNumberReserved) EventType() string { return "InvoiceNumberReserved" }

// InvoiceNumbersReserved records that several invoices were given the next
// numbers at once, in order: InvoiceIDs[i] has sequence First+i and number
// FormatNumber(Prefix, First+i). A billing run reserves its invoices' numbers
// in blocks; one event per block instead of one per invoice keeps the run's
// writes to the store a quarter smaller.
type InvoiceNumbersReserved struct {
	Prefix     string      `json:"prefix"` // e.g. "INV-"
	First      int64       `json:"first"`  // the first invoice's sequence; one more than the previous reservation's
	InvoiceIDs []uuid.UUID `json:"invoice_ids"`
	At         time.Time   `json:"at"`
}

// EventType returns "InvoiceNumbersReserved".
func (InvoiceNumbersReserved) EventType() string { return "InvoiceNumbersReserved" }

// ReservationsOf returns the reservations an event of the numbering stream
// makes, one per invoice in order (InvoiceNumberReserved, or each of an
// InvoiceNumbersReserved block); none for any other event.
func ReservationsOf(e domain.Event) []InvoiceNumberReserved {
	switch e := e.(type) {
	case InvoiceNumberReserved:
		return []InvoiceNumberReserved{e}
	case InvoiceNumbersReserved:
		return e.Reservations()
	}
	return nil
}

// Reservations returns the reservation of each invoice of the block, in
// order, as InvoiceNumberReserved events (what one reservation at a time
// would have recorded).
func (e InvoiceNumbersReserved) Reservations() []InvoiceNumberReserved {
	out := make([]InvoiceNumberReserved, len(e.InvoiceIDs))
	for i, id := range e.InvoiceIDs {
		seq := e.First + int64(i)
		out[i] = InvoiceNumberReserved{Number: FormatNumber(e.Prefix, seq), Sequence: seq, InvoiceID: id, At: e.At}
	}
	return out
}

// InvoiceNumberVoided records that a reserved number will never be used: its
// invoice was never issued and never will be (the invoice's stream records
// InvoiceAbandoned first, so the invoice can no longer be issued with it).
// The sequence an auditor reads thus has no unexplained hole: every number is
// an issued invoice or a void with its reason.
type InvoiceNumberVoided struct {
	Number    string    `json:"number"`   // e.g. "INV-000123"
	Sequence  int64     `json:"sequence"` // e.g. 123
	InvoiceID uuid.UUID `json:"invoice_id"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

// EventType returns "InvoiceNumberVoided".
func (InvoiceNumberVoided) EventType() string { return "InvoiceNumberVoided" }

// EventTypes lists every event type of the numbering.
func EventTypes() []string {
	return []string{"InvoiceNumberReserved", "InvoiceNumbersReserved", "InvoiceNumberVoided"}
}

// DecodeEvent decodes the JSON data of an event of the given type into its
// struct (a value, not a pointer).
func DecodeEvent(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case "InvoiceNumberReserved":
		var e InvoiceNumberReserved
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, fmt.Errorf("numbering: decode %s: %w", eventType, err)
		}
		return e, nil
	case "InvoiceNumbersReserved":
		var e InvoiceNumbersReserved
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, fmt.Errorf("numbering: decode %s: %w", eventType, err)
		}
		return e, nil
	case "InvoiceNumberVoided":
		var e InvoiceNumberVoided
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, fmt.Errorf("numbering: decode %s: %w", eventType, err)
		}
		return e, nil
	}
	return nil, fmt.Errorf("numbering: unknown event type %q", eventType)
}
