package invoice

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"remit/domain"
)

// InvoiceAbandoned records that an invoice begun (its items marked billed on
// it, its number reserved) was never issued and never will be: the command
// that began it died or failed, and the number reserved for it is voided
// (numbering's InvoiceNumberVoided follows). It is the first and only event
// of its stream, so of a late InvoiceIssued and this, whichever is appended
// first wins: a number is never both voided and used.
type InvoiceAbandoned struct {
	InvoiceID uuid.UUID `json:"invoice_id"`
	Number    string    `json:"number"` // the number reserved for it, now void
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

// EventType returns "InvoiceAbandoned".
func (InvoiceAbandoned) EventType() string { return "InvoiceAbandoned" }

// Abandon records that an invoice that was never issued never will be, so
// that its reserved Number can be voided. An issued invoice is refused (void
// it instead); abandoning again records nothing.
type Abandon struct {
	InvoiceID uuid.UUID
	Number    string
	Reason    string
	Now       time.Time
}

func (Abandon) invoiceCommand() {}

// maxAbandonReason bounds an abandonment's reason.
const maxAbandonReason = 1000

func abandon(s State, c Abandon) ([]domain.Event, error) {
	if s.Issued() {
		return nil, domain.Conflict("Invoice %s was issued; it cannot be abandoned (void it instead).", s.Number)
	}
	if s.AbandonedReason != "" {
		return nil, nil // abandoned already
	}
	var p domain.Problems
	if c.InvoiceID == uuid.Nil {
		p.Add("invoice_id", "an invoice id is required")
	}
	if strings.TrimSpace(c.Number) == "" {
		p.Add("number", "give the number reserved for the invoice")
	}
	switch reason := strings.TrimSpace(c.Reason); {
	case reason == "":
		p.Add("reason", "say why the invoice is abandoned")
	case utf8.RuneCountInString(reason) > maxAbandonReason:
		p.Add("reason", "the reason is too long (at most %d characters)", maxAbandonReason)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{InvoiceAbandoned{InvoiceID: c.InvoiceID, Number: c.Number, Reason: strings.TrimSpace(c.Reason), At: c.Now}}, nil
}
