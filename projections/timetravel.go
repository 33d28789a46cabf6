package projections

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/domain/outbox"
	"remit/domain/proposal"
	"remit/eventstore"
	"remit/projections/rmdb"
)

// Moment is a point of the log the read models can be shown as of: the
// position of the last event at or before a Bound, and when that event was
// recorded (zero at position 0, before any event).
type Moment struct {
	Position uint64
	At       time.Time
}

// DefaultTimeTravelCache is how many as-of models a TimeTravel keeps.
const DefaultTimeTravelCache = 16

// TimeTravel answers the queries of Models as they stood at a past Moment
// (the API's and the UI's as_of). It is safe for concurrent use.
//
// A client's pages (and a service's or invoice's, which belong to one
// client) are built by per-stream replay: the streams that make them are
// found in the live read models (which only grow: every stream a client had
// at any past moment is still theirs), read whole, cut at the moment,
// merged by global position and fed to the normal projections in a fresh
// temporary database. Its cost is that client's history (a hundred or so
// events for a year-old client), not the firm's. Firm-wide lists as of a
// moment replay the whole log up to it (BuildAsOf): that costs the log up
// to the moment (about a second per few thousand events), once per moment.
// Both are kept in an LRU cache of Config.Size models keyed by (client,
// position), so moving between tabs, or between pages of a list, as of one
// moment replays once.
type TimeTravel struct {
	store eventstore.Store
	live  *Models

	mu    sync.Mutex
	cache *lru.Cache[travelKey, *travelEntry]
}

// travelKey names a cached as-of model: a client's (client set) or the
// whole firm's (uuid.Nil) at a position.
type travelKey struct {
	client uuid.UUID
	pos    uint64
}

// travelEntry is one cached model, built once (ready closes when it is),
// closed when evicted and no request uses it.
type travelEntry struct {
	ready   chan struct{}
	m       *Models
	err     error
	refs    int
	evicted bool
}

// NewTimeTravel returns a TimeTravel over the store, finding a client's
// streams in live, keeping up to size models (DefaultTimeTravelCache when
// size <= 0).
func NewTimeTravel(store eventstore.Store, live *Models, size int) *TimeTravel {
	if size <= 0 {
		size = DefaultTimeTravelCache
	}
	t := &TimeTravel{store: store, live: live}
	t.cache, _ = lru.NewWithEvict(size, func(_ travelKey, e *travelEntry) {
		e.evicted = true // under t.mu: every cache call is
		e.closeIfUnused()
	})
	return t
}

func (e *travelEntry) closeIfUnused() {
	if e.evicted && e.refs == 0 && e.m != nil {
		e.m.Close()
		e.m = nil
	}
}

// Close closes every cached model.
func (t *TimeTravel) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cache.Purge()
}

// Resolve finds the Moment of a Bound: the last event at or before its
// position, or recorded at or before its time. A bound after the last event
// is the last event; one before the first is position 0.
func (t *TimeTravel) Resolve(ctx context.Context, b Bound) (Moment, error) {
	head, err := t.store.Head(ctx)
	if err != nil {
		return Moment{}, err
	}
	pos := head
	if b.Position != 0 && b.Position < pos {
		pos = b.Position
	}
	if !b.Time.IsZero() {
		p, err := t.lastRecordedBy(ctx, b.Time, pos)
		if err != nil {
			return Moment{}, err
		}
		pos = p
	}
	if pos == 0 {
		return Moment{}, nil
	}
	recs, err := t.store.ReadAll(ctx, pos, eventstore.Backward, 1, eventstore.Filter{})
	if err != nil {
		return Moment{}, fmt.Errorf("as of %d: %w", pos, err)
	}
	if len(recs) == 0 {
		return Moment{}, nil
	}
	return Moment{Position: recs[0].Position, At: recs[0].Metadata.RecordedAt}, nil
}

// lastRecordedBy is the position of the last event at or before hi recorded
// at or before at (0: none), found by bisecting positions (recorded-at
// times grow with the position).
func (t *TimeTravel) lastRecordedBy(ctx context.Context, at time.Time, hi uint64) (uint64, error) {
	var lo uint64 // an event at lo (or the start) is recorded by at
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		recs, err := t.store.ReadAll(ctx, mid, eventstore.Backward, 1, eventstore.Filter{})
		if err != nil {
			return 0, fmt.Errorf("as of %s: %w", at.Format(time.RFC3339), err)
		}
		if len(recs) == 0 || !recs[0].Metadata.RecordedAt.After(at) {
			if len(recs) > 0 {
				mid = max(recs[0].Position, lo)
			}
			if mid == lo {
				return t.scanUp(ctx, at, lo, hi)
			}
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo, nil
}

// scanUp is the last position in (lo, hi] recorded by at, reading forwards
// from lo (a gap in positions stopped the bisection).
func (t *TimeTravel) scanUp(ctx context.Context, at time.Time, lo, hi uint64) (uint64, error) {
	recs, err := t.store.ReadAll(ctx, lo+1, eventstore.Forward, 64, eventstore.Filter{})
	if err != nil {
		return 0, err
	}
	for _, r := range recs {
		if r.Position > hi || r.Metadata.RecordedAt.After(at) {
			break
		}
		lo = r.Position
	}
	return lo, nil
}

// Client returns a client's read models as of m: every query about the
// client, its services, invoices, proposals and payment methods answers as
// it stood then (queries about other clients find nothing). Call release
// when done with them.
func (t *TimeTravel) Client(ctx context.Context, clientID uuid.UUID, m Moment) (*Models, func(), error) {
	return t.get(ctx, travelKey{client: clientID, pos: m.Position}, func(ctx context.Context) (*Models, error) {
		return t.buildClient(ctx, clientID, m.Position)
	})
}

// Firmwide returns the whole firm's read models as of m (a full replay up
// to it). Call release when done with them.
func (t *TimeTravel) Firmwide(ctx context.Context, m Moment) (*Models, func(), error) {
	return t.get(ctx, travelKey{pos: m.Position}, func(ctx context.Context) (*Models, error) {
		if m.Position == 0 { // before any event: an empty firm (Bound{} is everything)
			return t.buildFrom(ctx, nil, 0)
		}
		models, _, err := BuildAsOf(ctx, t.store, Bound{Position: m.Position})
		if err == nil {
			models.position.Store(m.Position)
		}
		return models, err
	})
}

// FirmAt returns the firm's settings and time zone as of position pos (its
// stream folded up to it; UTC before set-up).
func FirmAt(ctx context.Context, store eventstore.Store, cat *catalog.Catalog, pos uint64) (firm.State, uint64, *time.Location, error) {
	recs, err := store.ReadStream(ctx, firm.StreamName(), 0, eventstore.Forward, 0)
	if err != nil {
		return firm.State{}, 0, nil, fmt.Errorf("read firm: %w", err)
	}
	var st firm.State
	var rev uint64
	for _, rec := range recs {
		if rec.Position > pos {
			break
		}
		e, err := cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return firm.State{}, 0, nil, fmt.Errorf("decode firm@%d: %w", rec.Revision, err)
		}
		st, rev = firm.Evolve(st, e), rec.Revision
	}
	loc := time.UTC
	if st.TimeZone != "" {
		if l, err := time.LoadLocation(st.TimeZone); err == nil {
			loc = l
		}
	}
	return st, rev, loc, nil
}

// get returns the cached model of key, building it once.
func (t *TimeTravel) get(ctx context.Context, key travelKey, build func(context.Context) (*Models, error)) (*Models, func(), error) {
	t.mu.Lock()
	e, ok := t.cache.Get(key)
	if !ok {
		e = &travelEntry{ready: make(chan struct{})}
		t.cache.Add(key, e)
	}
	e.refs++
	t.mu.Unlock()
	release := func() {
		t.mu.Lock()
		e.refs--
		e.closeIfUnused()
		t.mu.Unlock()
	}
	if !ok {
		// Built without the request's cancellation: others may wait on it.
		m, err := build(context.WithoutCancel(ctx))
		t.mu.Lock()
		e.m, e.err = m, err
		if err != nil {
			t.cache.Remove(key)
		}
		t.mu.Unlock()
		close(e.ready)
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		release()
		return nil, nil, ctx.Err()
	}
	if e.err != nil {
		release()
		return nil, nil, e.err
	}
	return e.m, release, nil
}

// buildClient replays the streams of a client up to pos.
func (t *TimeTravel) buildClient(ctx context.Context, clientID uuid.UUID, pos uint64) (*Models, error) {
	streams, err := t.live.StreamsOfClient(ctx, clientID)
	if err != nil {
		return nil, err
	}
	var recs []eventstore.RecordedEvent
	read := func(streams []string) error {
		for _, s := range streams {
			rs, err := t.store.ReadStream(ctx, s, 0, eventstore.Forward, 0)
			if err != nil {
				return fmt.Errorf("as of %d: read %s: %w", pos, s, err)
			}
			for _, r := range rs {
				if r.Position <= pos {
					r.Hash = nil
					recs = append(recs, r)
				}
			}
		}
		return nil
	}
	if err := read(streams); err != nil {
		return nil, err
	}
	ledgers, err := t.live.ledgerStreamsOf(ctx, recs)
	if err != nil {
		return nil, err
	}
	if err := read(ledgers); err != nil {
		return nil, err
	}
	slices.SortFunc(recs, func(a, b eventstore.RecordedEvent) int { return cmp.Compare(a.Position, b.Position) })
	return t.buildFrom(ctx, recs, pos)
}

// ledgerStreamsOf names the ledger streams that make the sync status of
// the invoices among recs (a client's events): each connection's, and for
// each invoice the pushes its events caused (the push ids derive from the
// provider, the event's id and the invoice's generation, up to the one the
// live models know) and its re-creations. Streams never written read empty.
func (m *Models) ledgerStreamsOf(ctx context.Context, recs []eventstore.RecordedEvent) ([]string, error) {
	conns, err := m.Ledger.connections.Find(ctx, m.db, "")
	if err != nil || len(conns) == 0 {
		return nil, err
	}
	prefix := strings.TrimSuffix(invoice.StreamName(uuid.Nil), uuid.Nil.String())
	var out []string
	gens := map[string]map[string]int{} // invoice -> provider -> generation
	for _, c := range conns {
		out = append(out, ledger.StreamName(ledger.ConnectionID(c.Provider)))
	}
	for _, r := range recs {
		rest, ok := strings.CutPrefix(r.Stream, prefix)
		if !ok {
			continue
		}
		id, err := uuid.Parse(rest)
		if err != nil {
			continue
		}
		g, ok := gens[rest]
		if !ok {
			g = map[string]int{}
			if li, found, err := m.Ledger.invoices.Load(ctx, m.db, rest); err != nil {
				return nil, err
			} else if found {
				for p, v := range li.Providers {
					g[p] = v.Generation
				}
			}
			gens[rest] = g
			for _, c := range conns {
				out = append(out, ledger.StreamName(ledger.RecreateID(c.Provider, id)))
			}
		}
		for _, c := range conns {
			for gen := 0; gen <= g[c.Provider]; gen++ {
				out = append(out, ledger.StreamName(ledger.PushID(c.Provider, r.ID, gen)))
			}
		}
	}
	return out, nil
}

// buildFrom fills fresh models in a temporary database from recs.
func (t *TimeTravel) buildFrom(ctx context.Context, recs []eventstore.RecordedEvent, pos uint64) (*Models, error) {
	db, err := rmdb.OpenTemp()
	if err != nil {
		return nil, err
	}
	m := NewModels(db)
	m.closer = db.Close
	st, err := Replay(ctx, &eventsStore{recs: recs}, m, Bound{Position: max(pos, 1)})
	if err != nil {
		return nil, errors.Join(err, m.Close())
	}
	m.position.Store(max(st.Last, pos))
	return m, nil
}

// StreamsOfClient names every stream whose events make a client's pages:
// the client's own, its proposals', services', invoices' and payment
// methods' (the streams of its activity lines), the emails about its
// invoices and proposals, and the firm's settings.
func (m *Models) StreamsOfClient(ctx context.Context, clientID uuid.UUID) ([]string, error) {
	rows, err := m.db.Query(ctx, "SELECT DISTINCT l.stream FROM "+rmdb.View(activitySubjectsTable)+" s JOIN "+
		rmdb.View(activityLinesTable)+" l ON l.position = s.position WHERE s.subject = ? AND s.id = ?", string(SubjectClient), clientID.String())
	if err != nil {
		return nil, fmt.Errorf("streams of client %s: %w", clientID, err)
	}
	defer rows.Close()
	streams := []string{firm.StreamName()}
	var about []any
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		streams = append(streams, s)
		for _, prefix := range []string{invoice.StreamName(uuid.Nil), proposal.StreamName(uuid.Nil)} {
			if rest, ok := strings.CutPrefix(s, strings.TrimSuffix(prefix, uuid.Nil.String())); ok {
				about = append(about, rest)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The emails about them, a few hundred ids per query.
	for chunk := range slices.Chunk(about, 400) {
		in := strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")
		args := append(slices.Clone(chunk), chunk...)
		recs, err := m.Emails.emails.Find(ctx, m.db, "WHERE invoice_id IN ("+in+") OR proposal_id IN ("+in+")", args...)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			streams = append(streams, outbox.StreamName(r.View.ID))
		}
	}
	slices.Sort(streams)
	return slices.Compact(streams), nil
}

// ClientOfService returns the client a service belongs to (from the live
// models: a service never changes client). An unknown service is ENOTFOUND.
func (m *Models) ClientOfService(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	st, ok, err := m.Services.state(ctx, id)
	if err != nil || !ok {
		return uuid.Nil, orNotFound(err, "service %s not found", id)
	}
	return st.ClientID, nil
}

// ClientOfInvoice returns the client an invoice belongs to. An unknown
// invoice is ENOTFOUND.
func (m *Models) ClientOfInvoice(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	got, err := m.InvoicesByID(ctx, []uuid.UUID{id})
	if err != nil {
		return uuid.Nil, err
	}
	st, ok := got[id]
	if !ok {
		return uuid.Nil, domain.NotFound("invoice %s not found", id)
	}
	return st.ClientID, nil
}

// eventsStore is a read-only store holding a few events (a client's, cut
// at a moment) in position order: what Replay reads them from.
type eventsStore struct {
	recs []eventstore.RecordedEvent
}

var errReadOnly = errors.New("projections: an as-of store is read-only")

func (s *eventsStore) Append(context.Context, string, eventstore.ExpectedRevision, ...eventstore.EventData) (eventstore.AppendResult, error) {
	return eventstore.AppendResult{}, errReadOnly
}

func (s *eventsStore) ReadStream(_ context.Context, stream string, from uint64, dir eventstore.Direction, limit int) ([]eventstore.RecordedEvent, error) {
	var out []eventstore.RecordedEvent
	for _, r := range s.recs {
		if r.Stream == stream && r.Revision >= from {
			out = append(out, r)
		}
	}
	if dir == eventstore.Backward {
		slices.Reverse(out)
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (s *eventsStore) ReadAll(_ context.Context, from uint64, dir eventstore.Direction, limit int, f eventstore.Filter) ([]eventstore.RecordedEvent, error) {
	var out []eventstore.RecordedEvent
	if dir == eventstore.Backward {
		for i := len(s.recs) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
			if r := s.recs[i]; r.Position <= from && f.Match(r.Stream, r.Type) {
				out = append(out, r)
			}
		}
		return out, nil
	}
	i, _ := slices.BinarySearchFunc(s.recs, from, func(r eventstore.RecordedEvent, p uint64) int { return cmp.Compare(r.Position, p) })
	for ; i < len(s.recs) && (limit <= 0 || len(out) < limit); i++ {
		if r := s.recs[i]; f.Match(r.Stream, r.Type) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *eventsStore) Subscribe(ctx context.Context, from uint64, f eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		recs, _ := s.ReadAll(ctx, from, eventstore.Forward, 0, f)
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
		yield(eventstore.RecordedEvent{}, errReadOnly)
	}
}

func (s *eventsStore) Head(context.Context) (uint64, error) {
	if len(s.recs) == 0 {
		return 0, nil
	}
	return s.recs[len(s.recs)-1].Position, nil
}

func (s *eventsStore) Close() error { return nil }

// ActivityBetween returns the activity lines of the events after position
// from up to to (inclusive), oldest first, at most limit of them: a
// subject's (a client, service, invoice…), or with subject "" the whole
// firm's. It is the readable half of "what changed".
func (m *Models) ActivityBetween(ctx context.Context, subject Subject, id uuid.UUID, from, to uint64, limit int) ([]ActivityLine, error) {
	a := m.Activity
	cols := "SELECT l.position, l.revision, l.at, l.stream, l.actor, l.event_type, l.what, l.invoice, l.invoice_at, i.number"
	join := " LEFT JOIN " + a.invoices.View() + " i ON i.key = l.invoice"
	lim := " LIMIT " + fmt.Sprint(max(limit, 1))
	if subject == "" {
		return a.readLines(ctx, subject, id, cols+" FROM "+rmdb.View(activityLinesTable)+" l"+join+
			" WHERE l.position > ? AND l.position <= ? ORDER BY l.position"+lim, int64(from), int64(to))
	}
	return a.readLines(ctx, subject, id, cols+" FROM "+rmdb.View(activitySubjectsTable)+" s JOIN "+rmdb.View(activityLinesTable)+
		" l ON l.position = s.position"+join+" WHERE s.subject = ? AND s.id = ? AND s.position > ? AND s.position <= ? ORDER BY s.position"+lim,
		string(subject), id.String(), int64(from), int64(to))
}
