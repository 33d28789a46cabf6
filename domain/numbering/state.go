package numbering

import (
	"maps"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// Reservation is the number given to one invoice.
type Reservation struct {
	Number   string
	Sequence int64
	At       time.Time // when it was reserved
	// Voided is set once the number was voided (InvoiceNumberVoided): its
	// invoice will never be issued.
	Voided bool
}

// State is the last sequence number given and the number of each invoice. The
// zero State has given none; the first number is sequence 1.
type State struct {
	Last int64
	// byInvoice is never modified once a State holds it: Evolve copies it,
	// so earlier states stay as they were.
	byInvoice map[uuid.UUID]Reservation
}

// NumberOf returns the number given to an invoice, if it has one.
func (s State) NumberOf(invoiceID uuid.UUID) (Reservation, bool) {
	r, ok := s.byInvoice[invoiceID]
	return r, ok
}

// Count returns how many numbers have been given.
func (s State) Count() int { return len(s.byInvoice) }

// Evolve returns the state after event e. It never fails and never validates;
// events of other aggregates are ignored. It copies the invoice lookup, which
// costs time in proportion to the numbers given so far; Fold does not.
func Evolve(s State, e domain.Event) State {
	switch e.(type) {
	case InvoiceNumberReserved, InvoiceNumbersReserved, InvoiceNumberVoided:
	default:
		return s
	}
	s.byInvoice = maps.Clone(s.byInvoice)
	return apply(s, e)
}

// Fold returns the state after events, from the zero State, in time
// proportional to the number of events (it owns the lookup it builds, so it
// does not copy it per event as Evolve must).
func Fold(events []domain.Event) State {
	var s State // apply makes the lookup on the first reservation
	for _, e := range events {
		s = apply(s, e)
	}
	return s
}

// apply records e in s, writing into s.byInvoice in place.
func apply(s State, e domain.Event) State {
	switch e := e.(type) {
	case InvoiceNumberReserved:
		if s.byInvoice == nil {
			s.byInvoice = make(map[uuid.UUID]Reservation)
		}
		s.byInvoice[e.InvoiceID] = Reservation{Number: e.Number, Sequence: e.Sequence, At: e.At}
		s.Last = max(s.Last, e.Sequence)
	case InvoiceNumberVoided:
		if r, ok := s.byInvoice[e.InvoiceID]; ok {
			r.Voided = true
			s.byInvoice[e.InvoiceID] = r
		}
	case InvoiceNumbersReserved:
		if s.byInvoice == nil {
			s.byInvoice = make(map[uuid.UUID]Reservation, len(e.InvoiceIDs))
		}
		for _, r := range e.Reservations() {
			s.byInvoice[r.InvoiceID] = Reservation{Number: r.Number, Sequence: r.Sequence, At: r.At}
			s.Last = max(s.Last, r.Sequence)
		}
	}
	return s
}
