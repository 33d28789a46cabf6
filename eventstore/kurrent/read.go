package kurrent

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"

	"remit/eventstore"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// ReadStream implements eventstore.Store. A stream that does not exist, or
// was soft-deleted, reads as empty; a tombstoned one is a
// *StreamDeletedError.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, dir eventstore.Direction, limit int) ([]eventstore.RecordedEvent, error) {
	if err := eventstore.ValidateStreamName(stream); err != nil {
		return nil, err
	}
	opts := esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(from)}
	if dir == eventstore.Backward {
		opts.Direction = esdb.Backwards
		if from == eventstore.End {
			opts.From = esdb.End{}
		}
	} else if from == eventstore.End {
		return nil, nil
	}
	var out []eventstore.RecordedEvent
	err := withLeaderRetry(func() error {
		out = out[:0]
		rs, err := s.client.ReadStream(ctx, stream, opts, countOf(limit))
		if err != nil {
			return mapError(ctx, "read "+stream, stream, err)
		}
		defer rs.Close()
		for {
			ev, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			var e *esdb.Error
			if errors.As(err, &e) && e.Code() == esdb.ErrorCodeResourceNotFound {
				out = out[:0]
				return nil
			}
			if err != nil {
				return mapError(ctx, "read "+stream, stream, err)
			}
			if ev.Event != nil {
				out = append(out, recordedOf(ev.Event))
			}
		}
	})
	return out, err
}

// scanAll reads $all from a position in one direction, handing each event
// (system events included) to fn until fn returns false or the log ends.
func (s *Store) scanAll(ctx context.Context, dir esdb.Direction, from esdb.AllPosition, count uint64, fn func(*esdb.RecordedEvent) bool) error {
	rs, err := s.client.ReadAll(ctx, esdb.ReadAllOptions{Direction: dir, From: from}, count)
	if err != nil {
		return mapError(ctx, "read $all", "$all", err)
	}
	defer rs.Close()
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return mapError(ctx, "read $all", "$all", err)
		}
		if ev.Event != nil && !fn(ev.Event) {
			return nil
		}
	}
}

// probe returns the event that starts exactly at the $all position of Remit
// position n, or nil when no event starts there (the server refuses or
// moves such a position; either way it is not one to start from).
func (s *Store) probe(ctx context.Context, n uint64) (*esdb.RecordedEvent, error) {
	var found *esdb.RecordedEvent
	want := allPosition(n)
	err := s.scanAll(ctx, esdb.Forwards, want, 1, func(e *esdb.RecordedEvent) bool {
		if e.Position == want {
			found = e
		}
		return false
	})
	if err != nil && ctx.Err() != nil {
		return nil, err
	}
	return found, nil
}

// anchor finds where to read $all from so as to see every event at Remit
// position from or later: an event that starts at a position the server
// accepts, at or before from, after which all such events lie. The caller
// uses the anchor itself if it is at from, then continues after it. nil
// means "from the start of the log".
func (s *Store) anchor(ctx context.Context, from uint64) (*esdb.RecordedEvent, error) {
	if from <= 1 {
		return nil, nil
	}
	// The event at from, then the one just before it (from = last seen + 1).
	for _, n := range []uint64{from, from - 1} {
		e, err := s.probe(ctx, n)
		if err != nil || e != nil {
			return e, err
		}
	}
	// A position past the end of the log: continue after its last event.
	var last *esdb.RecordedEvent
	if err := s.scanAll(ctx, esdb.Backwards, esdb.End{}, 1, func(e *esdb.RecordedEvent) bool { last = e; return false }); err != nil {
		return nil, err
	}
	if last != nil && positionOf(last.Position) < from {
		return last, nil
	}
	// A position inside the log that starts no event: scan from the start.
	return nil, nil
}

// ReadAll implements eventstore.Store. The filter and the skipping of
// system events are applied here, on the client.
func (s *Store) ReadAll(ctx context.Context, from uint64, dir eventstore.Direction, limit int, filter eventstore.Filter) ([]eventstore.RecordedEvent, error) {
	var out []eventstore.RecordedEvent
	err := withLeaderRetry(func() error {
		var err error
		if dir == eventstore.Backward {
			out, err = s.readAllBackward(ctx, from, limit, filter)
		} else {
			out, err = s.readAllForward(ctx, from, limit, filter)
		}
		return err
	})
	return out, err
}

func wanted(e *esdb.RecordedEvent, f eventstore.Filter) bool {
	return !isSystem(e) && f.Match(e.StreamID, e.EventType)
}

func (s *Store) readAllForward(ctx context.Context, from uint64, limit int, filter eventstore.Filter) ([]eventstore.RecordedEvent, error) {
	next := max(from, 1)
	var out []eventstore.RecordedEvent
	full := func() bool { return limit > 0 && len(out) >= limit }
	a, err := s.anchor(ctx, next)
	if err != nil {
		return nil, err
	}
	var start esdb.AllPosition = esdb.Start{}
	if a != nil {
		start = a.Position
		if p := positionOf(a.Position); p >= next {
			if wanted(a, filter) {
				out = append(out, recordedOf(a))
			}
			next = p + 1
		}
		if full() {
			return out, nil
		}
	}
	err = s.scanAll(ctx, esdb.Forwards, start, countOf(0), func(e *esdb.RecordedEvent) bool {
		p := positionOf(e.Position)
		if p < next {
			return true
		}
		next = p + 1
		if wanted(e, filter) {
			out = append(out, recordedOf(e))
		}
		return !full()
	})
	return out, err
}

func (s *Store) readAllBackward(ctx context.Context, from uint64, limit int, filter eventstore.Filter) ([]eventstore.RecordedEvent, error) {
	if from == 0 {
		return nil, nil
	}
	var out []eventstore.RecordedEvent
	full := func() bool { return limit > 0 && len(out) >= limit }
	below := uint64(eventstore.End) // only events before this position remain
	var start esdb.AllPosition = esdb.End{}
	if from != eventstore.End {
		// Start at the event at from, or at the one just before it.
		for _, n := range []uint64{from, from - 1} {
			if n == 0 {
				break
			}
			a, err := s.probe(ctx, n)
			if err != nil {
				return nil, err
			}
			if a != nil {
				if wanted(a, filter) {
					out = append(out, recordedOf(a))
				}
				below, start = n, a.Position
				break
			}
		}
		if full() {
			return out, nil
		}
	}
	err := s.scanAll(ctx, esdb.Backwards, start, countOf(0), func(e *esdb.RecordedEvent) bool {
		p := positionOf(e.Position)
		if p > from || p >= below {
			return true
		}
		below = p
		if wanted(e, filter) {
			out = append(out, recordedOf(e))
		}
		return !full()
	})
	return out, err
}

// MaxEventSize returns the largest event (data plus metadata) an append
// accepts (eventstore.EventSizeLimiter).
func (s *Store) MaxEventSize() int {
	if s.opts.MaxEventSize <= 0 {
		return eventstore.DefaultMaxEventSize
	}
	return s.opts.MaxEventSize
}

// Head implements eventstore.Store: the position of the last event that is
// not a system event.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	var head uint64
	err := withLeaderRetry(func() error {
		return s.scanAll(ctx, esdb.Backwards, esdb.End{}, countOf(0), func(e *esdb.RecordedEvent) bool {
			if isSystem(e) {
				return true
			}
			head = positionOf(e.Position)
			return false
		})
	})
	return head, err
}

// serverFilter is the part of a Remit filter the server applies: stream
// prefixes, else event types (as prefixes; the exact match is checked on
// the client), else just "no system events".
func serverFilter(f eventstore.Filter) *esdb.SubscriptionFilter {
	switch {
	case len(f.StreamPrefixes) > 0:
		return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: f.StreamPrefixes}
	case len(f.EventTypes) > 0:
		return &esdb.SubscriptionFilter{Type: esdb.EventFilterType, Prefixes: f.EventTypes}
	}
	return esdb.ExcludeSystemEventsFilter()
}

// Subscribe implements eventstore.Store with a catch-up subscription to
// $all. When the server drops it, it is opened again after the last event
// it delivered, with a growing delay while the server is unreachable; it
// ends only when ctx is done, the consumer stops, or the error is one that
// retrying cannot cure (access denied, an invalid request).
func (s *Store) Subscribe(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		sub := subscription{s: s, ctx: ctx, filter: filter, next: max(from, 1), yield: yield}
		sub.run()
	}
}

type subscription struct {
	s      *Store
	ctx    context.Context
	filter eventstore.Filter
	yield  func(eventstore.RecordedEvent, error) bool
	// next is the lowest Remit position still to deliver; after is the $all
	// position of the last event the server sent, nil before the first.
	next  uint64
	after *esdb.Position
}

func (sub *subscription) run() {
	delay := sub.s.opts.ReconnectDelay
	for {
		if err := sub.ctx.Err(); err != nil {
			sub.yield(eventstore.RecordedEvent{}, err)
			return
		}
		delivered, stop, err := sub.follow()
		if stop {
			return
		}
		if err := sub.ctx.Err(); err != nil {
			sub.yield(eventstore.RecordedEvent{}, err)
			return
		}
		if permanent(err) {
			sub.yield(eventstore.RecordedEvent{}, err)
			return
		}
		if delivered {
			delay = sub.s.opts.ReconnectDelay
		}
		if l := sub.s.opts.Logger; l != nil {
			l.Warn("kurrentdb subscription dropped; opening it again", "after_position", sub.next-1, "in", delay, "err", err)
		}
		t := time.NewTimer(delay)
		select {
		case <-sub.ctx.Done():
			t.Stop()
			sub.yield(eventstore.RecordedEvent{}, sub.ctx.Err())
			return
		case <-t.C:
		}
		delay = min(2*delay, sub.s.opts.MaxReconnectDelay)
	}
}

// deliver yields e if it is due; it reports false when the consumer stopped.
func (sub *subscription) deliver(e *esdb.RecordedEvent) bool {
	p := positionOf(e.Position)
	pos := e.Position
	sub.after = &pos
	if p < sub.next {
		return true
	}
	sub.next = p + 1
	if !wanted(e, sub.filter) {
		return true
	}
	return sub.yield(recordedOf(e), nil)
}

// follow opens the subscription once and delivers what it sends until it
// drops (err) or the consumer stops (stop).
func (sub *subscription) follow() (delivered, stop bool, err error) {
	var start esdb.AllPosition = esdb.Start{}
	if sub.after != nil {
		start = *sub.after
	} else {
		a, err := sub.s.anchor(sub.ctx, sub.next)
		if err != nil {
			return false, false, err
		}
		if a != nil {
			start = a.Position
			if !sub.deliver(a) {
				return true, true, nil
			}
		}
	}
	stream, err := sub.s.client.SubscribeToAll(sub.ctx, esdb.SubscribeToAllOptions{From: start, Filter: serverFilter(sub.filter)})
	if err != nil {
		return false, false, mapError(sub.ctx, "subscribe to $all", "$all", err)
	}
	defer stream.Close()
	for {
		ev := stream.Recv()
		switch {
		case ev.EventAppeared != nil:
			if e := ev.EventAppeared.Event; e != nil {
				delivered = true
				if !sub.deliver(e) {
					return true, true, nil
				}
			}
		case ev.SubscriptionDropped != nil:
			return delivered, false, mapError(sub.ctx, "subscription to $all", "$all", ev.SubscriptionDropped.Error)
		}
	}
}
