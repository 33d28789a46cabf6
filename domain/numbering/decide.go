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

// VoidAfter is how long a reserved number is left to its invoice before it may
// be voided: the command that reserved it may still be issuing the invoice
// (that takes milliseconds; a crashed one never finishes).
const VoidAfter = 10 * time.Minute

// MaxReasonLength bounds the reason recorded with a void.
const MaxReasonLength = 1000

// Void records that the number reserved for InvoiceID will never be used,
// because the invoice was never issued and never will be (the caller records
// that on the invoice's stream first, see billing.Service.VoidStrandedNumber).
// Voiding a voided number records nothing; a number reserved less than
// VoidAfter before Now is refused, as is an invoice with no number.
type Void struct {
	InvoiceID uuid.UUID
	Reason    string
	Now       time.Time
}

func (Void) isNumberingCommand() {}

// Decide returns the events that command c records against state s, or the
// reason it is refused.
func Decide(s State, c Command) ([]domain.Event, error) {
	switch c := c.(type) {
	case Reserve:
		return reserve(s, c)
	case ReserveBlock:
		return reserveBlock(s, c)
	case Void:
		return void(s, c)
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

func void(s State, c Void) ([]domain.Event, error) {
	var p domain.Problems
	if c.InvoiceID == uuid.Nil {
		p.Add("invoice_id", "give the id of the invoice whose number is voided")
	}
	switch reason := strings.TrimSpace(c.Reason); {
	case reason == "":
		p.Add("reason", "say why the number is voided")
	case utf8.RuneCountInString(reason) > MaxReasonLength:
		p.Add("reason", "the reason is too long (at most %d characters)", MaxReasonLength)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	r, ok := s.NumberOf(c.InvoiceID)
	switch {
	case !ok:
		return nil, domain.NotFound("Invoice %s has no number to void.", c.InvoiceID)
	case r.Voided:
		return nil, nil // voided already: once is enough
	case c.Now.Before(r.At.Add(VoidAfter)):
		return nil, domain.Conflict("Invoice number %s was reserved less than %s ago: its invoice may still be being issued.", r.Number, VoidAfter)
	}
	return []domain.Event{InvoiceNumberVoided{
		Number: r.Number, Sequence: r.Sequence, InvoiceID: c.InvoiceID, Reason: strings.TrimSpace(c.Reason), At: c.Now,
	}}, nil
}
