package pii

import (
	"context"
	"fmt"
	"iter"

	"remit/eventstore"
)

// Store is an eventstore.Store whose client events carry their personal
// fields sealed: Append seals, every read opens. Wrap the store once, where
// Remit is wired, and hand the wrapper to everything that reads or writes
// events; verify the hash chain on the inner store (Unwrap).
type Store struct {
	eventstore.Store
	sealer *Sealer
}

// Wrap returns inner with sealing on.
func Wrap(inner eventstore.Store, sealer *Sealer) *Store {
	return &Store{Store: inner, sealer: sealer}
}

// Unwrap returns the store as written: sealed data, and its own extras
// (Verify, HashAt).
func (s *Store) Unwrap() eventstore.Store { return s.Store }

// Append seals the personal fields of events and appends them.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	sealed := make([]eventstore.EventData, len(events))
	for i, e := range events {
		d, err := s.sealer.Seal(e.Type, e.Data)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("seal %s: %w", e.Type, err)
		}
		e.Data = d
		sealed[i] = e
	}
	return s.Store.Append(ctx, stream, expected, sealed...)
}

func (s *Store) open(recs []eventstore.RecordedEvent, err error) ([]eventstore.RecordedEvent, error) {
	if err != nil {
		return nil, err
	}
	for i := range recs {
		if err := s.openOne(&recs[i]); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

func (s *Store) openOne(r *eventstore.RecordedEvent) error {
	d, err := s.sealer.Open(r.Type, r.Data)
	if err != nil {
		return fmt.Errorf("open %s@%d: %w", r.Stream, r.Revision, err)
	}
	r.Data = d
	return nil
}

// ReadStream reads a stream with its personal fields opened.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, dir eventstore.Direction, limit int) ([]eventstore.RecordedEvent, error) {
	return s.open(s.Store.ReadStream(ctx, stream, from, dir, limit))
}

// ReadAll reads the log with personal fields opened.
func (s *Store) ReadAll(ctx context.Context, from uint64, dir eventstore.Direction, limit int, filter eventstore.Filter) ([]eventstore.RecordedEvent, error) {
	return s.open(s.Store.ReadAll(ctx, from, dir, limit, filter))
}

// Subscribe delivers events with personal fields opened.
func (s *Store) Subscribe(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		for r, err := range s.Store.Subscribe(ctx, from, filter) {
			if err == nil {
				err = s.openOne(&r)
			}
			if !yield(r, err) || err != nil {
				return
			}
		}
	}
}
