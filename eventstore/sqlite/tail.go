package sqlite

import (
	"sync"

	"remit/eventstore"
)

// tailSize is how many of the latest committed events the store keeps in
// memory for its subscriptions, at least (once that many were committed) and
// at most twice as many between two trims: a few megabytes.
const tailSize = 2048

// tail is the end of the log as the writer committed it, in memory: the
// live subscriptions (the projections runner, the outbox, ledger sync, the
// signed-document filer, the sign-in directory: five or more per server)
// read what a commit added from here instead of each querying the database
// for it after every commit. A subscription that is further behind than the
// tail holds reads the database, as before.
//
// The writer adds a commit's events before it moves the head, so a reader
// that sees head h finds every event up to h here (or, when they are older
// than the tail, in the database). Events are shared by every reader: they
// are read-only (their strings and data point into one envelope, as a
// database read's do).
type tail struct {
	mu    sync.RWMutex
	recs  []eventstore.RecordedEvent // recs[i].Position == first+i
	first uint64                     // position of recs[0]
}

// add appends a commit's events, in position order, following the last.
func (t *tail) add(recs []eventstore.RecordedEvent) {
	if len(recs) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := len(t.recs); n == 0 || t.first+uint64(n) != recs[0].Position {
		t.recs, t.first = t.recs[:0], recs[0].Position // not contiguous (a commit failed): start again
	}
	if len(recs) >= tailSize {
		// A bulk commit: keep its last tailSize events only.
		recs = recs[len(recs)-tailSize:]
		t.recs, t.first = t.recs[:0], recs[0].Position
	} else if len(t.recs)+len(recs) > 2*tailSize {
		// Drop the oldest, keeping tailSize with the new ones.
		drop := len(t.recs) + len(recs) - tailSize
		t.recs = t.recs[:copy(t.recs, t.recs[drop:])]
		t.first += uint64(drop)
	}
	t.recs = append(t.recs, recs...)
}

// reset forgets every event (the subscriptions read the database until the
// next add).
func (t *tail) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.recs, t.first = t.recs[:0], 0
}

// read is readAll's forward read of [from, head] for a subscription, from
// memory: up to limit events that pass filter, and the last position
// examined. ok is false when the tail does not hold all of [from, head];
// the caller then reads the database.
func (t *tail) read(from, head uint64, limit int, filter eventstore.Filter) (out []eventstore.RecordedEvent, through uint64, ok bool) {
	if from > head {
		return nil, head, true
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := uint64(len(t.recs))
	if n == 0 || from < t.first || head >= t.first+n {
		return nil, 0, false
	}
	through = head
	for _, r := range t.recs[from-t.first : head-t.first+1] {
		if !filter.IsEmpty() && !filter.Match(r.Stream, r.Type) {
			continue
		}
		out = append(out, r)
		if len(out) == limit {
			through = r.Position
			break
		}
	}
	return out, through, true
}
