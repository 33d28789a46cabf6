// Package follow is Remit's one reader of the global log: a checkpointed
// follower that reads $all from a position in batches, decodes every event
// through domain/catalog by type and schema version (so old shapes arrive
// upcast to the current one), and hands the typed events, in global order,
// to one subscriber. Every process manager, the sign-in directory and the
// projections' live loop read the log through it, instead of each keeping
// its own read loop, batch size and decoding; the projections' first
// catch-up (replay) reads in the same batches and decodes with the same
// Decode, spread over parallel lanes for speed.
//
// It lives under projections/ because that is the read side of the
// architecture: it needs both the store contract (eventstore) and the
// catalogue (domain), which eventstore itself must not import, and the
// billing command handlers, process managers and the web layer may all
// depend on projections.
//
// A Follower is used one of two ways:
//
//   - pulled: CatchUp reads from the checkpoint to the store's head and
//     returns, so a caller that has just appended sees its own writes (the
//     billing run's index, the ledger sync's book, the journal export);
//   - pushed: Run catches up and then follows the store's subscription live
//     until its context ends, and WaitFor lets a writer wait until its own
//     append has been handled (the sign-in directory, whose lookups must never
//     read the log).
//
// The checkpoint is the position of the last event handled (0: none); a
// subscriber that keeps its state somewhere durable starts the follower from
// the checkpoint it saved.
package follow

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/catalog"
	"remit/eventstore"
)

// DefaultBatch is how many events one read of the log asks for unless
// Options.Batch says otherwise (the projections' replay reads as many):
// large enough that a catch-up over millions of events costs few round
// trips, small enough that a batch's events stay a few megabytes.
const DefaultBatch = 4096

// Event is a stored event decoded through the catalogue: the envelope, and
// the domain value in its type's current shape. Stream, Type and the
// Metadata strings share the stored event's bytes (the store decodes its
// envelope without copying): a subscriber that keeps one after its handler
// returns keeps the whole stored event in memory, so it keeps
// Data.EventType() (a constant) or a strings.Clone instead.
type Event struct {
	ID       uuid.UUID
	Position uint64
	Stream   string
	Revision uint64
	Type     string
	Metadata eventstore.Metadata
	Data     domain.Event
}

// Handler handles one decoded event. An error stops the follower (CatchUp or
// Run returns it) with the checkpoint before the event, so the event is
// handed over again on the next CatchUp or Run.
type Handler func(ctx context.Context, e Event) error

// Options configure a Follower.
type Options struct {
	// Filter selects the events to read; the empty filter reads them all.
	Filter eventstore.Filter
	// From is the checkpoint to start after: the position of the last event
	// the subscriber has already handled (0: read from the start).
	From uint64
	// Through, when not 0, is the last position CatchUp reads (an export or
	// replay "as of" a position); Run ignores it.
	Through uint64
	// Batch is how many events one read asks for (DefaultBatch when 0).
	Batch int
	// Catalog decodes events (catalog.New() when nil).
	Catalog *catalog.Catalog
	// Undecodable decides what to do with an event that does not decode (an
	// unknown type, a newer schema version, bad data): return nil to pass
	// over it (the checkpoint moves past it), or an error to stop. Nil stops
	// on every such event.
	Undecodable func(rec eventstore.RecordedEvent, err error) error
}

// Follower reads the log for one subscriber. It is safe for concurrent use:
// one CatchUp or Run handles events at a time, in order.
type Follower struct {
	store  eventstore.Store
	handle Handler
	opts   Options

	// turn is held by whoever hands events over (CatchUp, or Run's loop).
	turn sync.Mutex

	mu      sync.Mutex
	pos     uint64        // the checkpoint
	changed chan struct{} // made by a waiter; closed (and dropped) when pos moves or Run ends
	running bool          // Run is under way (CatchUp then waits for it)
	stopped bool          // Run has ended
	failure error         // what stopped Run
}

// New returns a follower that hands the events of store selected by
// opts.Filter to handle, from opts.From on.
func New(store eventstore.Store, handle Handler, opts Options) *Follower {
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Catalog == nil {
		opts.Catalog = catalog.New()
	}
	return &Follower{store: store, handle: handle, opts: opts, pos: opts.From}
}

// advance moves the checkpoint to pos (never back) and wakes the waiters.
func (f *Follower) advance(pos uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if pos > f.pos {
		f.pos = pos
		f.wake()
	}
}

// wake wakes the waiters, if any (a catch-up over millions of events makes
// no channel per event). The caller holds f.mu.
func (f *Follower) wake() {
	if f.changed != nil {
		close(f.changed)
		f.changed = nil
	}
}

// Checkpoint is the position of the last event handled (or passed over);
// 0 before any.
func (f *Follower) Checkpoint() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pos
}

// Decode decodes one stored event through cat, by its type and schema
// version. It is the follower's own decoding, for readers that fetch single
// streams themselves (a command handler's loader, an as-of fold).
func Decode(cat *catalog.Catalog, rec eventstore.RecordedEvent) (Event, error) {
	e, err := cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
	if err != nil {
		return Event{}, fmt.Errorf("decode %s@%d (%s, position %d): %w", rec.Stream, rec.Revision, rec.Type, rec.Position, err)
	}
	return Event{ID: rec.ID, Position: rec.Position, Stream: rec.Stream, Revision: rec.Revision, Type: rec.Type, Metadata: rec.Metadata, Data: e}, nil
}

// deliver decodes rec and hands it over, moving the checkpoint past it. The
// caller holds f.turn.
func (f *Follower) deliver(ctx context.Context, rec eventstore.RecordedEvent) error {
	if rec.Position <= f.Checkpoint() {
		return nil // already handled (a subscription starting inside a batch)
	}
	e, err := Decode(f.opts.Catalog, rec)
	if err != nil {
		if f.opts.Undecodable == nil {
			return err
		}
		if err := f.opts.Undecodable(rec, err); err != nil {
			return err
		}
	} else if err := f.handle(ctx, e); err != nil {
		return err
	}
	f.advance(rec.Position)
	return nil
}

// CatchUp hands over every selected event from the checkpoint to the
// store's head as of the call, reading in batches, and returns. While Run is
// following live it only waits for Run to reach that head.
func (f *Follower) CatchUp(ctx context.Context) error {
	for {
		f.mu.Lock()
		if f.changed == nil {
			f.changed = make(chan struct{})
		}
		running, changed := f.running, f.changed
		f.mu.Unlock()
		if running {
			head, err := f.store.Head(ctx)
			if err != nil {
				return fmt.Errorf("follow: head: %w", err)
			}
			return f.WaitFor(ctx, head)
		}
		if f.turn.TryLock() {
			defer f.turn.Unlock()
			return f.catchUpLocked(ctx)
		}
		// Another CatchUp holds the turn, or a Run that has just started
		// (and keeps it for as long as it follows): look again once the
		// follower moves or says it runs, and at the latest shortly, rather
		// than queue behind a Run that may never let go.
		select {
		case <-ctx.Done():
			return fmt.Errorf("follow: catching up: %w", ctx.Err())
		case <-changed:
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// catchUpLocked reads batches until one comes back short. The caller holds
// f.turn.
func (f *Follower) catchUpLocked(ctx context.Context) error {
	head, err := f.store.Head(ctx)
	if err != nil {
		return fmt.Errorf("follow: head: %w", err)
	}
	f.mu.Lock()
	running := f.running
	f.mu.Unlock()
	if f.opts.Through > 0 && !running {
		head = min(head, f.opts.Through)
	}
	for from := f.Checkpoint() + 1; from <= head; {
		recs, err := f.store.ReadAll(ctx, from, eventstore.Forward, f.opts.Batch, f.opts.Filter)
		if err != nil {
			return fmt.Errorf("follow: read the log from %d: %w", from, err)
		}
		for _, rec := range recs {
			if rec.Position > head {
				break
			}
			if err := f.deliver(ctx, rec); err != nil {
				return err
			}
		}
		if len(recs) < f.opts.Batch {
			break
		}
		from = recs[len(recs)-1].Position + 1
	}
	// Events the filter passed over up to head are handled too: nothing a
	// waiter for a position up to head needs is still to come.
	f.advance(head)
	return nil
}

// Run catches up and then hands over each selected event as it is appended,
// until ctx is done (it then returns nil) or the handler, decoding or the
// subscription fails (it returns that error, which WaitFor returns too).
func (f *Follower) Run(ctx context.Context) error {
	f.turn.Lock()
	defer f.turn.Unlock()
	f.mu.Lock()
	f.running, f.stopped, f.failure = true, false, nil
	f.wake() // a CatchUp waiting for the turn now waits for positions instead
	f.mu.Unlock()
	err := f.catchUpLocked(ctx)
	if err == nil {
		err = f.live(ctx)
	}
	if ctx.Err() != nil {
		err = nil
	}
	f.mu.Lock()
	f.running, f.stopped, f.failure = false, true, err
	f.wake() // every waiter finds the failure, or that Run stopped
	f.mu.Unlock()
	return err
}

// live follows the subscription. It subscribes to every event and applies
// the filter itself, so that the checkpoint passes the events the filter
// leaves out as they go by, and a writer waiting for its own append of any
// event (WaitFor) is woken as soon as the follower is past it.
//
// On a store that seals personal data (SealedSubscriber), a follower with a
// filter subscribes to the events as stored and opens only those it keeps:
// every process manager and the sign-in directory follow the whole log, and
// each opening every client event (a key lookup, a JSON decode and encode,
// AES-GCM) only to pass most of them over was several percent of the CPU of
// commands made through the API.
func (f *Follower) live(ctx context.Context) error {
	subscribe, open := f.store.Subscribe, func(*eventstore.RecordedEvent) error { return nil }
	if ss, ok := f.store.(SealedSubscriber); ok && !f.opts.Filter.IsEmpty() {
		subscribe, open = ss.SubscribeSealed, ss.OpenEvent
	}
	for rec, err := range subscribe(ctx, f.Checkpoint()+1, eventstore.Filter{}) {
		if err != nil {
			return fmt.Errorf("follow: subscription: %w", err)
		}
		if !f.opts.Filter.IsEmpty() && !f.opts.Filter.Match(rec.Stream, rec.Type) {
			f.advance(rec.Position)
			continue
		}
		if err := open(&rec); err != nil {
			return fmt.Errorf("follow: subscription: %w", err)
		}
		if err := f.deliver(ctx, rec); err != nil {
			return err
		}
	}
	return nil
}

// SealedSubscriber is a store that keeps part of its events' data sealed
// (package pii): SubscribeSealed is Subscribe with the events as stored, and
// OpenEvent opens one of them, as Subscribe would have.
type SealedSubscriber interface {
	SubscribeSealed(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error]
	OpenEvent(rec *eventstore.RecordedEvent) error
}

// ErrStopped is returned by WaitFor once Run has ended before reaching the
// position waited for.
var ErrStopped = errors.New("follow: the follower stopped")

// WaitFor returns once the event at pos (an AppendResult.Position) has been
// handled, or passed over by the filter; ctx's error; or, once Run has
// ended, the error that stopped it (ErrStopped when it stopped without one).
// A follower that is only pulled moves only when CatchUp is called.
func (f *Follower) WaitFor(ctx context.Context, pos uint64) error {
	for {
		f.mu.Lock()
		if f.changed == nil {
			f.changed = make(chan struct{})
		}
		done, stopped, failure, ch := f.pos >= pos, f.stopped, f.failure, f.changed
		f.mu.Unlock()
		switch {
		case done:
			return nil
		case failure != nil:
			return failure
		case stopped:
			return ErrStopped
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("follow: waiting for position %d: %w", pos, ctx.Err())
		case <-ch:
		}
	}
}
