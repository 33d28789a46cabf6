package numbering

import (
	"fmt"
	"slices"
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

// ReserveBlock gives each invoice of InvoiceIDs that has no number yet the
// next number, in the order listed (an id listed twice is numbered once).
// Two or more new numbers are recorded as one InvoiceNumbersReserved; a single
// one as Reserve records it; none (all numbered already) records nothing.
type ReserveBlock struct {
	InvoiceIDs []uuid.UUID
	Prefix     string
	Now        time.Time
}

func (ReserveBlock) isNumberingCommand() {}

// Decide returns the events that command c records against state s, or the
// reason it is refused.
func Decide(s State, c Command) ([]domain.Event, error) {
	switch c := c.(type) {
	case Reserve:
		return reserve(s, c)
	case ReserveBlock:
		return reserveBlock(s, c)
	}
	return nil, domain.Errorf(domain.EINTERNAL, "numbering: unknown command %T", c)
}

// FormatNumber returns the invoice number for a prefix and sequence number.
func FormatNumber(prefix string, sequence int64) string {
	return fmt.Sprintf("%s%06d", prefix, sequence)
}

func checkPrefix(p *domain.Problems, prefix string) {
	switch {
	case utf8.RuneCountInString(prefix) > MaxPrefixLength:
		p.Add("prefix", "the invoice number prefix is too long (at most %d characters)", MaxPrefixLength)
	case !utf8.ValidString(prefix) || strings.ContainsFunc(prefix, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }):
		p.Add("prefix", "the invoice number prefix cannot hold spaces or control characters")
	}
}

func reserveBlock(s State, c ReserveBlock) ([]domain.Event, error) {
	var p domain.Problems
	if len(c.InvoiceIDs) == 0 {
		p.Add("invoice_ids", "invoice numbers are reserved for invoices: give their ids")
	}
	if slices.Contains(c.InvoiceIDs, uuid.Nil) {
		p.Add("invoice_ids", "an invoice number is reserved for an invoice: give its id")
	}
	checkPrefix(&p, c.Prefix)
	if err := p.Err(); err != nil {
		return nil, err
	}
	var ids []uuid.UUID
	seen := make(map[uuid.UUID]bool, len(c.InvoiceIDs))
	for _, id := range c.InvoiceIDs {
		if _, ok := s.NumberOf(id); ok || seen[id] {
			continue // already numbered: the number given first stands
		}
		seen[id] = true
		ids = append(ids, id)
	}
	switch len(ids) {
	case 0:
		return nil, nil
	case 1:
		return reserve(s, Reserve{InvoiceID: ids[0], Prefix: c.Prefix, Now: c.Now})
	}
	return []domain.Event{InvoiceNumbersReserved{Prefix: c.Prefix, First: s.Last + 1, InvoiceIDs: ids, At: c.Now}}, nil
}

func reserve(s State, c Reserve) ([]domain.Event, error) {
	var p domain.Problems
	if c.InvoiceID == uuid.Nil {
		p.Add("invoice_id", "an invoice number is reserved for an invoice: give its id")
	}
	checkPrefix(&p, c.Prefix)
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
