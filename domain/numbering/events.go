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

// EventTypes lists every event type of the numbering.
func EventTypes() []string { return []string{"InvoiceNumberReserved"} }

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
	}
	return nil, fmt.Errorf("numbering: unknown event type %q", eventType)
}
