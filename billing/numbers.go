package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/numbering"
	"remit/eventstore"
)

// maxNumberBlock bounds how many reservations one append to the numbering
// stream carries (a block); a longer list is reserved in several blocks.
const maxNumberBlock = 2000

// numberBook is this process's view of the numbering stream: the number of
// every invoice and the last sequence given, as of revision rev. It folds
// InvoiceNumberReserved in place, as numbering.Fold does (numbering.Evolve
// copies its lookup per event, which costs O(numbers given) per reservation:
// quadratic over a 100,000-invoice run). It is guarded by Service.numberingMu.
type numberBook struct {
	exists    bool
	rev       uint64
	last      int64
	byInvoice map[uuid.UUID]reservedNumber
}

// reservedNumber is an invoice's number and the position it was recorded at
// (an upper bound of it for numbers reserved in a block by this process).
type reservedNumber struct {
	numbering.Reservation
	position uint64
}

// numberRequest asks for the number of one invoice; Meta is the command the
// reservation is recorded under (its event id is EventID(meta, stream, 0), as
// Handle would derive it).
type numberRequest struct {
	InvoiceID uuid.UUID
	Prefix    string
	Now       time.Time
	Meta      Meta
}

// refreshNumbers reads the numbering events after the book's revision. The
// caller holds numberingMu.
func (s *Service) refreshNumbers(ctx context.Context) error {
	b := &s.numbers
	if b.byInvoice == nil {
		b.byInvoice = map[uuid.UUID]reservedNumber{}
	}
	from := uint64(0)
	if b.exists {
		from = b.rev + 1
	}
	recs, err := s.env.Store.ReadStream(ctx, numbering.StreamName(), from, eventstore.Forward, 0)
	if err != nil {
		return fmt.Errorf("read %s: %w", numbering.StreamName(), err)
	}
	for _, r := range recs {
		e, err := s.env.Catalog.Decode(r.Type, r.Data)
		if err != nil {
			return fmt.Errorf("decode %s@%d: %w", r.Stream, r.Revision, err)
		}
		if rsv, ok := e.(numbering.InvoiceNumberReserved); ok {
			b.byInvoice[rsv.InvoiceID] = reservedNumber{Reservation: numbering.Reservation{Number: rsv.Number, Sequence: rsv.Sequence}, position: r.Position}
			b.last = max(b.last, rsv.Sequence)
		}
		b.exists, b.rev = true, r.Revision
	}
	return nil
}

// reserveNumbers gives each requested invoice its number, in the order asked
// (the number it already has, when it has one), appending the new
// reservations in blocks: one append of up to maxNumberBlock
// InvoiceNumberReserved events, each naming its invoice, with the stream's
// exact expected revision. On a version conflict (another process reserved
// meanwhile) it re-reads the stream and decides again: invoices the other
// process numbered keep that number, the rest take the next ones. Numbers are
// therefore gapless as long as every invoice asked for is issued in the end;
// callers ask only for invoices the domain accepted whose items are marked
// billed on them (see the billingrun package doc).
//
// Each number is decided by numbering.Decide on a State holding only the last
// sequence: the book itself answers "already numbered", which is the only
// other fact Decide reads.
func (s *Service) reserveNumbers(ctx context.Context, reqs []numberRequest) (map[uuid.UUID]reservedNumber, error) {
	s.numberingMu.Lock()
	defer s.numberingMu.Unlock()
	out := make(map[uuid.UUID]reservedNumber, len(reqs))
	stream := numbering.StreamName()
	pending := reqs
	conflicts := 0
	for len(pending) > 0 {
		if err := s.refreshNumbers(ctx); err != nil {
			return nil, err
		}
		b := &s.numbers
		last := b.last
		var data []eventstore.EventData
		var given []uuid.UUID
		var givenNums []numbering.Reservation
		seen := map[uuid.UUID]bool{}
		i := 0
		for ; i < len(pending) && len(data) < maxNumberBlock; i++ {
			q := pending[i]
			if n, ok := b.byInvoice[q.InvoiceID]; ok {
				out[q.InvoiceID] = n
				continue
			}
			if seen[q.InvoiceID] {
				continue
			}
			seen[q.InvoiceID] = true
			events, err := numbering.Decide(numbering.State{Last: last}, numbering.Reserve{InvoiceID: q.InvoiceID, Prefix: q.Prefix, Now: q.Now})
			if err != nil {
				return nil, fmt.Errorf("reserve invoice number: %w", err)
			}
			for _, e := range events {
				rsv := e.(numbering.InvoiceNumberReserved)
				last = rsv.Sequence
				raw, err := json.Marshal(e)
				if err != nil {
					return nil, fmt.Errorf("encode %s: %w", e.EventType(), err)
				}
				data = append(data, eventstore.EventData{
					ID: EventID(q.Meta.idKey(), stream, 0), Type: e.EventType(), SchemaVersion: SchemaVersion,
					Data: raw, Metadata: q.Meta.metadata(),
				})
				given = append(given, rsv.InvoiceID)
				givenNums = append(givenNums, numbering.Reservation{Number: rsv.Number, Sequence: rsv.Sequence})
			}
		}
		if len(data) == 0 {
			pending = pending[i:]
			continue
		}
		expected := eventstore.NoStream
		if b.exists {
			expected = eventstore.Exact(b.rev)
		}
		res, err := s.env.Store.Append(ctx, stream, expected, data...)
		if err != nil {
			if !errors.Is(err, eventstore.ErrWrongExpectedVersion) && !errors.Is(err, eventstore.ErrDuplicateEventID) {
				return nil, fmt.Errorf("reserve invoice numbers: append %s: %w", stream, err)
			}
			// Another process reserved meanwhile: read what it did, decide again.
			if conflicts++; conflicts >= MaxAttempts*4 {
				return nil, &conflictError{stream: stream, err: err}
			}
			if err := backoff(ctx, min(conflicts, MaxAttempts)); err != nil {
				return nil, err
			}
			continue
		}
		conflicts = 0
		if res.Revision == b.rev+uint64(len(data)) || (!b.exists && res.Revision == uint64(len(data))-1) {
			// Our block is the stream's tail: record it without reading it back.
			for k, id := range given {
				n := reservedNumber{Reservation: givenNums[k], position: res.Position}
				b.byInvoice[id] = n
				out[id] = n
			}
			b.last, b.rev, b.exists = last, res.Revision, true
		}
		// Otherwise (an idempotent retry answered with an earlier place) the
		// next refresh reads the numbers from the stream; the loop asks again.
		if _, ok := out[given[0]]; ok {
			pending = pending[i:]
		}
	}
	return out, nil
}

// reserveNumber gives the invoice its number in the numbering stream (the
// number it already has, when it has one).
func (s *Service) reserveNumber(ctx context.Context, invoiceID uuid.UUID, prefix string, now time.Time, meta Meta) (string, uint64, error) {
	got, err := s.reserveNumbers(ctx, []numberRequest{{InvoiceID: invoiceID, Prefix: prefix, Now: now, Meta: meta}})
	if err != nil {
		return "", 0, err
	}
	n, ok := got[invoiceID]
	if !ok {
		return "", 0, domain.Errorf(domain.EINTERNAL, "reserve invoice number: invoice %s has none after reserving", invoiceID)
	}
	return n.Number, n.position, nil
}
