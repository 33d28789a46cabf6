package numbering

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"remit/domain"
)

// MaxPrefixLength bounds the prefix, which comes from the firm's settings.
const MaxPrefixLength = 20

// Command is a request to the numbering; Decide handles each kind.
type Command interface{ isNumberingCommand() }

// Reserve gives the invoice the next number: Prefix (the firm's current
// invoice number prefix) followed by the sequence number, zero-padded to six
// digits (INV-000123; longer once past 999999).
type Reserve struct {
	InvoiceID uuid.UUID
	Prefix    string
	Now       time.Time
}

func (Reserve) isNumberingCommand() {}

// Decide returns the events that command c records against state s, or the
// reason it is refused.
func Decide(s State, c Command) ([]domain.Event, error) {
	switch c := c.(type) {
	case Reserve:
		return reserve(s, c)
	}
	return nil, domain.Errorf(domain.EINTERNAL, "numbering: unknown command %T", c)
}

// FormatNumber returns the invoice number for a prefix and sequence number.
func FormatNumber(prefix string, sequence int64) string {
	return fmt.Sprintf("%s%06d", prefix, sequence)
}

func reserve(s State, c Reserve) ([]domain.Event, error) {
	var p domain.Problems
	if c.InvoiceID == uuid.Nil {
		p.Add("invoice_id", "an invoice number is reserved for an invoice: give its id")
	}
	switch {
	case utf8.RuneCountInString(c.Prefix) > MaxPrefixLength:
		p.Add("prefix", "the invoice number prefix is too long (at most %d characters)", MaxPrefixLength)
	case !utf8.ValidString(c.Prefix) || strings.ContainsFunc(c.Prefix, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }):
		p.Add("prefix", "the invoice number prefix cannot hold spaces or control characters")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if _, ok := s.NumberOf(c.InvoiceID); ok {
		return nil, nil // already numbered: the number given first stands
	}
	next := s.Last + 1
	return []domain.Event{InvoiceNumberReserved{
		Number:    FormatNumber(c.Prefix, next),
		Sequence:  next,
		InvoiceID: c.InvoiceID,
		At:        c.Now,
	}}, nil
}
