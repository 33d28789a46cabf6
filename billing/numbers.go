package billing

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/invoice"
	"remit/domain/numbering"
	"remit/eventstore"
)

// maxNumberBlock bounds how many reservations one append to the numbering
// stream carries (a block); a longer list is reserved in several blocks.
const maxNumberBlock = 4096

// numberBook is this process's view of the numbering stream as of revision
// rev: the last sequence given, the numbers of the invoices numbered last
// (recent, then older: two generations of at most Service.recentNumbers
// each, the older dropped when the recent one is full), the blocks whose
// appends are in flight (flying, see reserveQueuedBlock), and a
// fingerprint of every invoice ever numbered (numbered, 8 bytes each), which
// proves that an invoice has no number without holding every number (about
// 200 bytes each). An invoice numbered before the cached generations and
// asked for again (a retry, another node's run over the same items) is
// looked up in the stream (findOlderNumbers). It folds
// InvoiceNumberReserved and InvoiceNumbersReserved in place, as
// numbering.Fold does (numbering.Evolve copies its lookup per event, which
// costs O(numbers given) per reservation: quadratic over a 100,000-invoice
// run). It is guarded by Service.numberingMu.
type numberBook struct {
	exists bool
	rev    uint64
	last   int64

	recent, older map[uuid.UUID]reservedNumber
	flying        map[uuid.UUID]reservedNumber
	numbered      fingerprints
}

// record caches an invoice's number (keep: the size of a generation).
func (b *numberBook) record(id uuid.UUID, n reservedNumber, keep int) {
	if b.recent == nil {
		b.recent = map[uuid.UUID]reservedNumber{}
	}
	if _, ok := b.recent[id]; !ok && len(b.recent) >= keep {
		b.older, b.recent = b.recent, make(map[uuid.UUID]reservedNumber, keep)
	}
	b.recent[id] = n
	b.last = max(b.last, n.Sequence)
	b.numbered.add(id)
}

// fly records a number whose block's append is in flight.
func (b *numberBook) fly(id uuid.UUID, n reservedNumber) {
	if b.flying == nil {
		b.flying = map[uuid.UUID]reservedNumber{}
	}
	b.flying[id] = n
	b.last = max(b.last, n.Sequence)
	b.numbered.add(id)
}

// landed moves a number whose block was appended at position from flying to
// the cache, if the book still holds it (it was emptied when a block failed).
func (b *numberBook) landed(id uuid.UUID, n reservedNumber, keep int) {
	if cur, ok := b.flying[id]; ok && cur.Sequence == n.Sequence {
		delete(b.flying, id)
		b.record(id, n, keep)
	}
}

// cached returns an invoice's number when the book holds it.
func (b *numberBook) cached(id uuid.UUID) (reservedNumber, bool) {
	if n, ok := b.flying[id]; ok {
		return n, true
	}
	if n, ok := b.recent[id]; ok {
		return n, true
	}
	n, ok := b.older[id]
	return n, ok
}

// fingerprints is a set of invoice ids by a 64-bit fingerprint each: a sorted
// slice, and the fingerprints added since it was last merged. Two ids may
// share a fingerprint (the odds are about n²/2⁶⁵): has then answers true for
// an id never added, which costs a look in the stream (findOlderNumbers),
// never a wrong number.
type fingerprints struct {
	sorted []uint64
	added  map[uint64]struct{}
}

// fingerprintsMerged is how many fingerprints are added before they are
// merged into the sorted slice.
const fingerprintsMerged = 4096

func fingerprintOf(id uuid.UUID) uint64 {
	return binary.BigEndian.Uint64(id[:8]) ^ binary.BigEndian.Uint64(id[8:])
}

func (f *fingerprints) add(id uuid.UUID) {
	if f.added == nil {
		f.added = make(map[uint64]struct{}, fingerprintsMerged)
	}
	f.added[fingerprintOf(id)] = struct{}{}
	if len(f.added) >= fingerprintsMerged {
		f.merge()
	}
}

// merge moves the added fingerprints into the sorted slice, in place from
// its end.
func (f *fingerprints) merge() {
	add := make([]uint64, 0, len(f.added))
	for fp := range f.added {
		if _, ok := slices.BinarySearch(f.sorted, fp); !ok {
			add = append(add, fp)
		}
	}
	clear(f.added)
	slices.Sort(add)
	i, j := len(f.sorted)-1, len(add)-1
	f.sorted = slices.Grow(f.sorted, len(add))[:len(f.sorted)+len(add)]
	for k := len(f.sorted) - 1; j >= 0; k-- {
		if i >= 0 && f.sorted[i] > add[j] {
			f.sorted[k] = f.sorted[i]
			i--
		} else {
			f.sorted[k] = add[j]
			j--
		}
	}
}

func (f *fingerprints) has(id uuid.UUID) bool {
	fp := fingerprintOf(id)
	if _, ok := f.added[fp]; ok {
		return true
	}
	_, ok := slices.BinarySearch(f.sorted, fp)
	return ok
}

// len is how many fingerprints the set holds.
func (f *fingerprints) len() int { return len(f.sorted) + len(f.added) }

// reservedNumber is an invoice's number and the position it was recorded at
// (an upper bound of it for numbers reserved in a block by this process).
type reservedNumber struct {
	numbering.Reservation
	position uint64
}

// defaultRecentNumbers is how many invoice numbers a generation of the
// number book caches (numberBook).
const defaultRecentNumbers = 2 * maxNumberBlock

// numbersPage is how many events of the numbering stream are read at once
// (a block names up to maxNumberBlock invoices: about 150 kB).
const numbersPage = 64

// numberRequest asks for the number of one invoice; Meta is the command the
// reservation is recorded under (its event id is EventID(meta, stream, 0), as
// Handle would derive it).
type numberRequest struct {
	InvoiceID uuid.UUID
	Prefix    string
	Now       time.Time
	Meta      Meta
}

// refreshNumbers reads the numbering events after the book's revision, page
// by page. The caller holds numberingMu.
//
// A book emptied while blocks were in flight (one failed, or a conflict) is
// read again only once every block in flight is answered (numbersAnswered;
// numberingMu is let go meanwhile). Read earlier, it would not hold them,
// and a block decided on it would expect the revision one of them expects
// to leave: a fork. If that one then failed (or was refused) and this one
// was written, a block queued behind that one, decided on its numbers and
// expecting the revision it would have left, would find this one there and
// be accepted, giving numbers twice or skipping some.
func (s *Service) refreshNumbers(ctx context.Context) error {
	b := &s.numbers
	for !b.exists && s.numbersInFlight > 0 {
		s.numbersAnswered.Wait()
	}
	for {
		from := uint64(0)
		if b.exists {
			from = b.rev + 1
		}
		recs, err := s.env.Store.ReadStream(ctx, numbering.StreamName(), from, eventstore.Forward, numbersPage)
		if err != nil {
			return fmt.Errorf("read %s: %w", numbering.StreamName(), err)
		}
		for _, r := range recs {
			e, err := s.env.Catalog.Decode(r.Type, r.SchemaVersion, r.Data)
			if err != nil {
				return fmt.Errorf("decode %s@%d: %w", r.Stream, r.Revision, err)
			}
			for _, rsv := range numbering.ReservationsOf(e) {
				b.record(rsv.InvoiceID, reservedNumber{Reservation: numbering.Reservation{Number: rsv.Number, Sequence: rsv.Sequence}, position: r.Position}, s.recentNumbers)
			}
			b.exists, b.rev = true, r.Revision
		}
		if len(recs) < numbersPage {
			return nil
		}
	}
}

// findOlderNumbers finds in the numbering stream the numbers of the
// requests whose invoices the book has a fingerprint of and no number for
// (numbered before the numbers it caches, and asked for again: a retry long
// after, another node's run over the same items), and records them in out,
// in one read of the stream, page by page, up to the book's revision. The
// caller holds numberingMu, after refreshNumbers.
func (s *Service) findOlderNumbers(ctx context.Context, reqs []numberRequest, out map[uuid.UUID]reservedNumber) error {
	b := &s.numbers
	want := map[uuid.UUID]bool{}
	for _, q := range reqs {
		if _, ok := out[q.InvoiceID]; ok {
			continue
		}
		if _, ok := b.cached(q.InvoiceID); !ok && b.numbered.has(q.InvoiceID) {
			want[q.InvoiceID] = true
		}
	}
	for from := uint64(0); len(want) > 0 && b.exists && from <= b.rev; {
		recs, err := s.env.Store.ReadStream(ctx, numbering.StreamName(), from, eventstore.Forward, numbersPage)
		if err != nil {
			return fmt.Errorf("read %s: %w", numbering.StreamName(), err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			if r.Revision > b.rev {
				break
			}
			e, err := s.env.Catalog.Decode(r.Type, r.SchemaVersion, r.Data)
			if err != nil {
				return fmt.Errorf("decode %s@%d: %w", r.Stream, r.Revision, err)
			}
			for _, rsv := range numbering.ReservationsOf(e) {
				if want[rsv.InvoiceID] {
					out[rsv.InvoiceID] = reservedNumber{Reservation: numbering.Reservation{Number: rsv.Number, Sequence: rsv.Sequence}, position: r.Position}
					delete(want, rsv.InvoiceID)
				}
			}
		}
		from = recs[len(recs)-1].Revision + 1
	}
	return nil
}

// reserveNumbers gives each requested invoice its number, in the order asked
// (the number it already has, when it has one), appending the new
// reservations in blocks: one append of one InvoiceNumbersReserved naming up
// to maxNumberBlock invoices (InvoiceNumberReserved when a block has one),
// with the stream's exact expected revision. On a version conflict (another
// process reserved meanwhile) it re-reads the stream and decides again:
// invoices the other process numbered keep that number, the rest take the
// next ones. Numbers are therefore gapless as long as every invoice asked for
// is issued in the end; callers ask only for invoices the domain accepted
// whose items are marked billed on them (see the billingrun package doc).
//
// Each block is decided by numbering.Decide on a State holding only the last
// sequence: the book itself answers "already numbered", which is the only
// other fact Decide reads. A block's event id is derived from what it
// records (its first sequence and its invoices), so the same block retried
// is an idempotent append and a different decision is a different event; a
// single reservation keeps the id Handle would give its command.
func (s *Service) reserveNumbers(ctx context.Context, reqs []numberRequest) (map[uuid.UUID]reservedNumber, error) {
	s.numberingMu.Lock()
	defer s.numberingMu.Unlock()
	return s.reserveNumbersLocked(ctx, reqs)
}

// reserveNumbersLocked is reserveNumbers for a caller holding numberingMu.
func (s *Service) reserveNumbersLocked(ctx context.Context, reqs []numberRequest) (map[uuid.UUID]reservedNumber, error) {
	out := make(map[uuid.UUID]reservedNumber, len(reqs))
	pending := reqs
	conflicts := 0
	for len(pending) > 0 {
		if err := s.refreshNumbers(ctx); err != nil {
			return nil, err
		}
		if s.flyingAmong(pending) {
			s.numbersAnswered.Wait()
			continue
		}
		if err := s.findOlderNumbers(ctx, pending, out); err != nil {
			return nil, err
		}
		block, rest := s.nextNumberBlock(pending, out)
		if len(block) == 0 {
			pending = rest
			continue
		}
		given, position, err := s.appendNumberBlock(ctx, block)
		if errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			// Another process reserved meanwhile: read what it did, decide again.
			if conflicts++; conflicts >= MaxAttempts*4 {
				return nil, err
			}
			if s.numbersInFlight > 0 {
				// The book holds blocks still being appended
				// (reserveQueuedBlock), one of which may have failed: its
				// reserver cannot empty the book while this holds
				// numberingMu, so read the stream again from its start.
				s.numbers = numberBook{}
			}
			if err := backoff(ctx, min(conflicts, MaxAttempts)); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reserve invoice numbers: %w", err)
		}
		conflicts = 0
		for _, g := range given {
			out[g.InvoiceID] = reservedNumber{Reservation: numbering.Reservation{Number: g.Number, Sequence: g.Sequence}, position: position}
		}
		// Else (an idempotent retry answered with an earlier place) the next
		// refresh reads the numbers from the stream; the loop asks again.
		if len(given) > 0 {
			pending = rest
		}
	}
	return out, nil
}

// nextNumberBlock returns the next requests without a number (recording in
// out those that have one), of one prefix, at most maxNumberBlock of them,
// and the requests after them. The block records the first one's time for
// all: a run plans each invoice at its own instant on the wall clock, and
// splitting on those would make a block of each. The caller holds
// numberingMu.
func (s *Service) nextNumberBlock(pending []numberRequest, out map[uuid.UUID]reservedNumber) ([]numberRequest, []numberRequest) {
	var block []numberRequest
	seen := map[uuid.UUID]bool{}
	i := 0
	for ; i < len(pending) && len(block) < maxNumberBlock; i++ {
		q := pending[i]
		if _, ok := out[q.InvoiceID]; ok {
			continue // numbered long ago (findOlderNumbers)
		}
		if n, ok := s.numbers.cached(q.InvoiceID); ok {
			out[q.InvoiceID] = n
			continue
		}
		if seen[q.InvoiceID] {
			continue
		}
		if len(block) > 0 && q.Prefix != block[0].Prefix {
			break
		}
		seen[q.InvoiceID] = true
		block = append(block, q)
	}
	return block, pending[i:]
}

// numberingDecider decides reservations on the book's last sequence (the
// book itself answers "already numbered", the only other fact
// numbering.Decide reads) and names a block's event by what it records.
var numberingDecider = Decider[numbering.State, numbering.Command]{
	Evolve: func(st numbering.State, e domain.Event) numbering.State {
		for _, r := range numbering.ReservationsOf(e) {
			st.Last = max(st.Last, r.Sequence)
		}
		return st
	},
	Decide: numbering.Decide,
	EventID: func(meta Meta, stream string, index int, e domain.Event) uuid.UUID {
		if block, ok := e.(numbering.InvoiceNumbersReserved); ok {
			return numberBlockEventID(block)
		}
		return meta.eventID(stream, index)
	},
}

// appendNumberBlock reserves the numbers of block in one append through the
// handler, expecting the book's revision (a conflict is returned, for the
// caller to refresh the book and decide again), and records them in the book
// when the append is the stream's tail. It returns the reservations
// appended (none for an idempotent retry of an earlier append) and the
// position of their event. The caller holds numberingMu.
func (s *Service) appendNumberBlock(ctx context.Context, block []numberRequest) ([]numbering.InvoiceNumberReserved, uint64, error) {
	b := &s.numbers
	ids := make([]uuid.UUID, len(block))
	for k, q := range block {
		ids[k] = q.InvoiceID
	}
	cmd := Command[numbering.Command]{Stream: numbering.StreamName(), Meta: block[0].Meta,
		Command: numbering.ReserveBlock{InvoiceIDs: ids, Prefix: block[0].Prefix, Now: block[0].Now}}
	known := func(string) (numbering.State, uint64, bool, bool) {
		return numbering.State{Last: b.last}, b.rev, b.exists, true
	}
	outs, err := HandleBatch(ctx, s.env, numberingDecider, []Command[numbering.Command]{cmd}, HandleOptions[numbering.State]{Known: known, Attempts: 1})
	if err == nil {
		err = outs[0].Err
	}
	if err != nil {
		return nil, 0, err
	}
	o := outs[0]
	if o.AlreadyApplied {
		return nil, 0, nil
	}
	if len(o.Events) != 1 {
		return nil, 0, domain.Errorf(domain.EINTERNAL, "reserve invoice numbers: %d events for a block of %d", len(o.Events), len(ids))
	}
	var given []numbering.InvoiceNumberReserved
	switch e := o.Events[0].(type) {
	case numbering.InvoiceNumberReserved:
		given = []numbering.InvoiceNumberReserved{e}
	case numbering.InvoiceNumbersReserved:
		given = e.Reservations()
	}
	if o.Revision != b.rev+1 && (b.exists || o.Revision != 0) {
		return nil, 0, nil // an idempotent retry, answered with an earlier place
	}
	// Our block is the stream's tail: record it without reading it back.
	for _, g := range given {
		b.record(g.InvoiceID, reservedNumber{Reservation: numbering.Reservation{Number: g.Number, Sequence: g.Sequence}, position: o.Position}, s.recentNumbers)
	}
	b.rev, b.exists = o.Revision, true
	return given, o.Position, nil
}

// blockAnswered counts a block in flight as answered, and wakes the
// reservers waiting for it (refreshNumbers, flyingAmong). The caller holds
// numberingMu.
func (s *Service) blockAnswered() {
	s.numbersInFlight--
	s.numbersAnswered.Broadcast()
}

// flyingAmong reports whether the number of one of reqs' invoices is in a
// block still in flight. Such a number is nobody's yet: if its block fails
// the invoice is numbered again, perhaps differently, so a second request
// for it (a retried instant bill, a run over the same items) waits for the
// block's answer instead of issuing the invoice with it. The caller holds
// numberingMu.
func (s *Service) flyingAmong(reqs []numberRequest) bool {
	if len(s.numbers.flying) == 0 {
		return false
	}
	for _, q := range reqs {
		if _, ok := s.numbers.flying[q.InvoiceID]; ok {
			return true
		}
	}
	return false
}

// numberBlockEventID is the id of the event recording a block of numbers:
// derived from its first sequence and its invoices.
func numberBlockEventID(e numbering.InvoiceNumbersReserved) uuid.UUID {
	key := make([]byte, 0, 32+17*len(e.InvoiceIDs))
	key = append(key, "numbers/"...)
	key = strconv.AppendInt(key, e.First, 10)
	for _, id := range e.InvoiceIDs {
		key = append(key, '/')
		key = append(key, id[:]...)
	}
	return uuid.NewSHA1(EventNamespace, key)
}

// numberWait is one single reservation waiting for its block.
type numberWait struct {
	req  numberRequest
	done chan struct{} // closed once got and err hold the answer
	got  reservedNumber
	err  error
	// issue, when set, is the invoice to issue with its number in the
	// block's append (issueTogether); issued is then its result, or nil
	// when it was not issued that way (the caller issues it on its own).
	issue  *numberedIssue
	issued *Result
}

// numberedIssue is an invoice whose stream has no events yet, to issue in
// the same append as its number's reservation: its stream, the command's
// meta, and the events it decides given the number.
type numberedIssue struct {
	stream  string
	command any
	meta    Meta
	decide  func(number string) ([]domain.Event, error)
}

// reserveNumber gives the invoice its number in the numbering stream (the
// number it already has, when it has one). Concurrent calls share appends:
// each queues its request, and whoever takes numberingMu next reserves every
// queued request in one block (one InvoiceNumbersReserved, recorded under
// the first request's command), so 64 instant bills at once cost a few
// appends to the numbering stream instead of 64 appends in a row. The
// block's reserver lets go of numberingMu as soon as its append is queued
// in the store (reserveQueued), so the next block is decided while this one
// is being synced, and both can share one commit.
//
// With issue set, on a store that appends to several streams at once
// (eventstore.AtomicAppender), the invoice is issued in the block's append
// (issueTogether) and its Result is returned; otherwise (nil Result) the
// caller issues it.
func (s *Service) reserveNumber(ctx context.Context, invoiceID uuid.UUID, prefix string, now time.Time, meta Meta, issue *numberedIssue) (string, uint64, *Result, error) {
	w := &numberWait{req: numberRequest{InvoiceID: invoiceID, Prefix: prefix, Now: now, Meta: meta}, done: make(chan struct{}), issue: issue}
	s.waitingMu.Lock()
	s.waiting = append(s.waiting, w)
	s.waitingMu.Unlock()
	s.numberingMu.Lock()
	s.waitingMu.Lock()
	queued := s.waiting
	s.waiting = nil
	s.waitingMu.Unlock()
	if len(queued) == 0 {
		s.numberingMu.Unlock() // another caller took ours with its block
	} else {
		// The block is every queued caller's: one caller going away must
		// not fail the others.
		s.reserveQueued(context.WithoutCancel(ctx), queued)
	}
	<-w.done
	if w.err != nil {
		return "", 0, nil, w.err
	}
	return w.got.Number, w.got.position, w.issued, nil
}

// reserveQueued reserves the numbers of queued and answers each. The caller
// holds numberingMu; reserveQueued releases it.
func (s *Service) reserveQueued(ctx context.Context, queued []*numberWait) {
	if s.issueTogether(ctx, queued) {
		return
	}
	reqs := make([]numberRequest, len(queued))
	for i, q := range queued {
		reqs[i] = q.req
	}
	got, ok := s.reserveQueuedBlock(ctx, reqs)
	var err error
	if !ok { // numberingMu is still held
		got, err = s.reserveNumbersLocked(ctx, reqs)
		s.numberingMu.Unlock()
	}
	for _, q := range queued {
		q.got, q.err = got[q.req.InvoiceID], err
		if _, ok := got[q.req.InvoiceID]; !ok && err == nil {
			q.err = domain.Errorf(domain.EINTERNAL, "reserve invoice number: invoice %s has none after reserving", q.req.InvoiceID)
		}
		close(q.done)
	}
}

// reserveQueuedBlock reserves reqs in one block appended with
// eventstore.AppendQueued: once the append holds its place in the store's
// order, its numbers go in the book (the revision it will leave, and each
// invoice's number at position 0 until the commit tells it) and numberingMu
// is released, so the next block is decided on this one and queued behind
// it. That is safe because every append to the numbering stream expects an
// exact revision: if this one fails, the ones queued behind it fail too and
// are decided again, and no number is given twice or skipped. On success it
// returns the numbers with numberingMu released. Otherwise (ok false) it
// holds numberingMu again, and the book, which may hold numbers that were
// not recorded, is emptied, to be read again from the stream: the caller
// then reserves the careful way (reserveNumbersLocked). It also answers ok
// false, with numberingMu held throughout, when reqs need more than one
// block or none.
func (s *Service) reserveQueuedBlock(ctx context.Context, reqs []numberRequest) (map[uuid.UUID]reservedNumber, bool) {
	b := &s.numbers
	if err := s.refreshNumbers(ctx); err != nil || s.flyingAmong(reqs) {
		return nil, false
	}
	out := make(map[uuid.UUID]reservedNumber, len(reqs))
	if err := s.findOlderNumbers(ctx, reqs, out); err != nil {
		return nil, false
	}
	block, rest := s.nextNumberBlock(reqs, out)
	if len(block) == 0 || len(rest) > 0 {
		return nil, false
	}
	ids := make([]uuid.UUID, len(block))
	for k, q := range block {
		ids[k] = q.InvoiceID
	}
	cmd := Command[numbering.Command]{Stream: numbering.StreamName(), Meta: block[0].Meta,
		Command: numbering.ReserveBlock{InvoiceIDs: ids, Prefix: block[0].Prefix, Now: block[0].Now}}
	rev, exists := b.rev, b.exists
	next := uint64(0)
	if exists {
		next = rev + 1
	}
	var given []numbering.Reservation
	var givenIDs []uuid.UUID
	released := false
	queued := func(_ string, events []domain.Event) {
		if len(events) != 1 {
			return
		}
		for _, r := range numbering.ReservationsOf(events[0]) {
			given = append(given, numbering.Reservation{Number: r.Number, Sequence: r.Sequence})
			givenIDs = append(givenIDs, r.InvoiceID)
		}
		if len(given) != len(block) {
			return
		}
		for k, g := range given {
			b.fly(givenIDs[k], reservedNumber{Reservation: g})
		}
		b.rev, b.exists = next, true
		s.numbersInFlight++
		released = true
		s.numberingMu.Unlock()
	}
	known := func(string) (numbering.State, uint64, bool, bool) {
		return numbering.State{Last: b.last}, rev, exists, true
	}
	outs, err := HandleBatch(ctx, s.env, numberingDecider, []Command[numbering.Command]{cmd},
		HandleOptions[numbering.State]{Known: known, Attempts: 1, Queued: queued})
	if err == nil {
		err = outs[0].Err
	}
	if !released {
		return nil, false
	}
	o := outs[0]
	s.numberingMu.Lock()
	s.blockAnswered()
	if err != nil || o.AlreadyApplied || o.Revision != next {
		*b = numberBook{}
		return nil, false
	}
	for k, g := range given {
		r := reservedNumber{Reservation: g, position: o.Position}
		out[givenIDs[k]] = r
		b.landed(givenIDs[k], r, s.recentNumbers)
	}
	s.numberingMu.Unlock()
	return out, true
}

// issueTogether reserves the numbers of queued in one block and issues
// their invoices in the same append (appendTogether: all or none), so an
// instant bill waits for one synced commit instead of two in a row, and no
// number is ever recorded without its invoice, nor an invoice without its
// number (a crash between the two appends used to strand a number, for
// VoidStrandedNumber to void). It does so when every queued request carries
// its invoice (numberWait.issue) and the store appends to several streams
// at once; then it answers every request (their numbers and invoices, or
// the error that stopped it) and returns true with numberingMu released.
// A block refused for a wrong expected version (another process reserved
// meanwhile, or a block queued before it failed) wrote nothing: the book is
// read again and the block decided again, up to 4×MaxAttempts times. It
// returns false, with numberingMu held, when the block does not apply (a
// request without its invoice, or whose invoice has a number already) or
// failed otherwise (the store, or one invoice that cannot be recorded):
// the caller then reserves the usual way and each request issues its own
// invoice.
func (s *Service) issueTogether(ctx context.Context, queued []*numberWait) bool {
	if _, ok := s.env.Store.(eventstore.AtomicAppender); !ok {
		return false
	}
	for _, q := range queued {
		if q.issue == nil {
			return false
		}
	}
	for attempt := 1; ; attempt++ {
		done, err := s.tryTogether(ctx, queued)
		var conflict *eventstore.WrongExpectedVersionError
		switch {
		case done:
			return true
		case err == nil || !errors.As(err, &conflict) || conflict.Stream != numbering.StreamName():
			// Not a conflict on the numbers (the store failed, an invoice
			// could not be recorded, or its stream exists after all): the
			// usual way, one invoice at a time, so one request's failure
			// is not the others'.
			return false
		case attempt >= MaxAttempts*4 || backoff(ctx, min(attempt, MaxAttempts)) != nil:
			s.numberingMu.Unlock()
			for _, q := range queued {
				q.err = fmt.Errorf("reserve invoice numbers: %w", err)
				close(q.done)
			}
			return true
		}
	}
}

// tryTogether is one attempt of issueTogether. On success it answers every
// request and returns done with numberingMu released. Like
// reserveQueuedBlock it lets numberingMu go as soon as the append holds its
// place in the store's order, having put the block in the book: the next
// block, decided on it, expects the revision it leaves, so if this one is
// refused that one is too. When the append is refused it returns its error
// with numberingMu held and the book emptied (it may hold the block), and
// when the block does not apply, no error (numberingMu held).
func (s *Service) tryTogether(ctx context.Context, queued []*numberWait) (bool, error) {
	reqs := make([]numberRequest, len(queued))
	for i, q := range queued {
		reqs[i] = q.req
	}
	b := &s.numbers
	if err := s.refreshNumbers(ctx); err != nil {
		return false, err
	}
	for _, q := range reqs {
		if _, ok := b.cached(q.InvoiceID); !ok && b.numbered.has(q.InvoiceID) {
			return false, nil // perhaps numbered before the book's cache: the careful way looks (findOlderNumbers)
		}
	}
	block, rest := s.nextNumberBlock(reqs, map[uuid.UUID]reservedNumber{})
	if len(block) != len(queued) || len(rest) > 0 {
		return false, nil
	}
	ids := make([]uuid.UUID, len(block))
	for k, q := range block {
		ids[k] = q.InvoiceID
	}
	cmd := numbering.ReserveBlock{InvoiceIDs: ids, Prefix: block[0].Prefix, Now: block[0].Now}
	events, err := numberingDecider.Decide(numbering.State{Last: b.last}, cmd)
	if err != nil || len(events) != 1 {
		return false, nil // the careful way reports it
	}
	given := numbering.ReservationsOf(events[0])
	if len(given) != len(queued) {
		return false, nil
	}
	expected, next := eventstore.NoStream, uint64(0)
	if b.exists {
		expected, next = eventstore.Exact(b.rev), b.rev+1
	}
	parts := make([]decidedAppend, 1, 1+len(queued))
	parts[0] = decidedAppend{Stream: numbering.StreamName(), Expected: expected, Command: cmd, Meta: block[0].Meta, Events: events, EventID: numberingDecider.EventID}
	for k, q := range queued {
		if given[k].InvoiceID != q.req.InvoiceID {
			return false, nil
		}
		evs, err := q.issue.decide(given[k].Number)
		if err != nil || len(evs) == 0 {
			return false, nil // its own issue reports it
		}
		parts = append(parts, decidedAppend{Stream: q.issue.stream, Expected: eventstore.NoStream, Command: q.issue.command, Meta: q.issue.meta, Events: evs})
	}
	released := false
	onQueued := func() {
		for _, g := range given {
			b.fly(g.InvoiceID, reservedNumber{Reservation: numbering.Reservation{Number: g.Number, Sequence: g.Sequence}})
		}
		b.rev, b.exists = next, true
		s.numbersInFlight++
		released = true
		s.numberingMu.Unlock()
	}
	results, err := appendTogether(ctx, s.env, parts, onQueued)
	if !released {
		return false, err // refused before it took its place: the book is as it was
	}
	s.numberingMu.Lock()
	s.blockAnswered()
	if err != nil {
		*b = numberBook{}
		return false, err
	}
	if results[0].Revision != next {
		// An earlier append of this very block (its id names its numbers
		// and invoices), answered with that place: the numbers are the
		// block's, but the book must be read again.
		*b = numberBook{}
	}
	for k, g := range given {
		r := reservedNumber{Reservation: numbering.Reservation{Number: g.Number, Sequence: g.Sequence}, position: results[0].Position}
		b.landed(g.InvoiceID, r, s.recentNumbers)
		q := queued[k]
		q.got = r
		q.issued = &Result{Stream: parts[k+1].Stream, Revision: results[k+1].Revision, Position: results[k+1].Position, Appended: len(parts[k+1].Events)}
	}
	s.numberingMu.Unlock()
	for _, q := range queued {
		close(q.done)
	}
	return true, nil
}

// checkBeforeNumbering runs every check an invoice must pass before a number
// is reserved for it, so that a refused invoice burns none: the domain
// decides its issue (with a stand-in number as long as any it could get),
// and the events that issue would append must fit the store's event size
// limit (an invoice too large to record would otherwise fail only when
// appended, after its number was taken). It returns the events decided with
// the stand-in number (see issueDecider).
func (s *Service) checkBeforeNumbering(st invoice.State, cmd invoice.Issue, prefix string, meta Meta) ([]domain.Event, error) {
	cmd.Number = numbering.FormatNumber(prefix, math.MaxInt64)
	events, err := invoice.Decide(st, cmd)
	if err != nil {
		return nil, err
	}
	limit := eventstore.MaxEventSizeOf(s.env.Store)
	if issueSizeBound(cmd, meta) <= limit {
		return events, nil // surely fits: spare the encoding (a run plans 100,000s)
	}
	data, err := encodeAll(s.env.Catalog, events, meta, invoice.StreamName(cmd.InvoiceID))
	if err != nil {
		return nil, err
	}
	for _, d := range data {
		if size := eventstore.EventSize(d); size > limit {
			return nil, domain.Invalid("lines", "the invoice is too large to record (%d bytes, over the limit of %d bytes): bill fewer or shorter lines, or split it into several invoices", size, limit)
		}
	}
	return events, nil
}

// issueSizeBound is an upper bound of the size of the events issuing cmd
// appends, found without encoding them (encoding costs about ten times as
// much as deciding): a fixed allowance for the invoice's own fields and the
// metadata, and per line one for its ids and fields, its strings as if every
// character were escaped, and its numbers as if each computed amount (net,
// tax, gross, and their share of the totals) were as long as all its inputs
// together.
func issueSizeBound(cmd invoice.Issue, meta Meta) int {
	n := 8192 + 2*(len(meta.Actor)+len(meta.CommandID)+len(meta.CorrelationID)+len(meta.CausationID))
	for _, l := range cmd.Lines {
		digits := decimalLen(l.Quantity) + decimalLen(l.UnitPrice.Amount) + decimalLen(l.Discount.Value) + decimalLen(l.TaxRate)
		n += 1024 + 6*(len(l.Description)+len(l.ItemKey)) + 8*digits
	}
	return n
}

// decimalLen bounds the length of d written out in full.
func decimalLen(d decimal.Decimal) int {
	e := int(d.Exponent())
	if e < 0 {
		e = -e
	}
	return d.NumDigits() + e + 2
}
