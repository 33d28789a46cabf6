package pii

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/google/uuid"

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

// NewClientID returns the id of a new client whose key is already made and
// durable (KeyStore.NewClientID), so the client's first append waits for no
// commit of the key store; ok is false when the key store makes no keys
// ahead (PGKeyStore) or none is ready.
func (s *Store) NewClientID() (uuid.UUID, bool) {
	if ks, ok := s.sealer.keys.(interface{ NewClientID() (uuid.UUID, bool) }); ok {
		return ks.NewClientID()
	}
	return uuid.Nil, false
}

// Forget destroys the client's key (see Keys.Forget). The caller then
// appends client.ClientErased, so every read model rebuilds without the
// client's personal data.
func (s *Store) Forget(_ context.Context, clientID uuid.UUID) error {
	if err := s.sealer.keys.Forget(clientID); err != nil {
		return err
	}
	s.sealer.evict(clientID)
	return nil
}

// Close closes the store, then the key store when it holds connections
// (PGKeyStore).
func (s *Store) Close() error {
	err := s.Store.Close()
	if c, ok := s.sealer.keys.(io.Closer); ok {
		err = errors.Join(err, c.Close())
	}
	return err
}

// Unwrap returns the store as written: sealed data, and its own extras
// (Verify, HashAt).
func (s *Store) Unwrap() eventstore.Store { return s.Store }

// Append seals the personal fields of events and appends them.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	sealed, err := s.seal(events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.Store.Append(ctx, stream, expected, sealed...)
}

// AppendQueued seals the personal fields of events and appends them through
// the wrapped store's AppendQueued (eventstore.QueuedAppender).
func (s *Store) AppendQueued(ctx context.Context, stream string, expected eventstore.ExpectedRevision, queued func(), events ...eventstore.EventData) (eventstore.AppendResult, error) {
	sealed, err := s.seal(events)
	if err != nil {
		queued()
		return eventstore.AppendResult{}, err
	}
	return eventstore.AppendQueued(ctx, s.Store, stream, expected, queued, sealed...)
}

// AppendMany seals the personal fields of each append's events and makes
// the appends in one request through the wrapped store's AppendMany
// (eventstore.MultiAppender); an append whose events cannot be sealed gets
// that error and is not made.
func (s *Store) AppendMany(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendOutcome, error) {
	if err := eventstore.CheckAppendMany(appends); err != nil {
		return nil, err
	}
	outs := make([]eventstore.AppendOutcome, len(appends))
	sealed := make([]eventstore.StreamAppend, 0, len(appends))
	at := make([]int, 0, len(appends))
	for i, a := range appends {
		events, err := s.seal(a.Events)
		if err != nil {
			outs[i].Err = err
			continue
		}
		a.Events = events
		sealed = append(sealed, a)
		at = append(at, i)
	}
	got, err := eventstore.AppendMany(ctx, s.Store, sealed)
	if err != nil {
		return nil, err
	}
	for j, i := range at {
		outs[i] = got[j]
	}
	return outs, nil
}

// AppendAtomic seals the personal fields of each append's events and makes
// the appends all or none through the wrapped store's AppendAtomic
// (eventstore.AtomicAppender); when any cannot be sealed none is made.
func (s *Store) AppendAtomic(ctx context.Context, appends []eventstore.StreamAppend, queued func()) ([]eventstore.AppendResult, error) {
	if _, ok := s.Store.(eventstore.AtomicAppender); !ok {
		return nil, eventstore.ErrNotAtomic
	}
	sealed := make([]eventstore.StreamAppend, len(appends))
	for i, a := range appends {
		events, err := s.seal(a.Events)
		if err != nil {
			return nil, err
		}
		a.Events = events
		sealed[i] = a
	}
	return eventstore.AppendAtomic(ctx, s.Store, sealed, queued)
}

func (s *Store) seal(events []eventstore.EventData) ([]eventstore.EventData, error) {
	sealed := make([]eventstore.EventData, len(events))
	for i, e := range events {
		d, err := s.sealer.Seal(e.Type, e.Data)
		if err != nil {
			return nil, fmt.Errorf("seal %s: %w", e.Type, err)
		}
		e.Data = d
		sealed[i] = e
	}
	return sealed, nil
}

func (s *Store) open(recs []eventstore.RecordedEvent, err error) ([]eventstore.RecordedEvent, error) {
	if err != nil {
		return nil, err
	}
	// An erasure in the batch evicts its key before any of the batch is
	// opened: a client's stream read after a Forget elsewhere reads erased.
	for i := range recs {
		s.noteErasure(&recs[i])
	}
	for i := range recs {
		if err := s.openOne(&recs[i]); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// noteErasure drops the cached key of a client whose ClientErased r is:
// another process forgot the client, and whoever reads this (the
// projections runner) is about to replay the log.
func (s *Store) noteErasure(r *eventstore.RecordedEvent) {
	if r.Type != erasedEventType {
		return
	}
	var e struct {
		ClientID uuid.UUID `json:"client_id"`
	}
	if json.Unmarshal(r.Data, &e) == nil {
		s.sealer.evict(e.ClientID)
	}
}

func (s *Store) openOne(r *eventstore.RecordedEvent) error {
	s.noteErasure(r)
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

// SubscribeSealed delivers events as stored, their personal fields sealed;
// OpenEvent opens one. A follower with a filter (projections/follow) opens
// only the events it keeps, rather than every client event of the log. An
// erasure still evicts its client's cached key as it goes by, opened or not.
func (s *Store) SubscribeSealed(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		for r, err := range s.Store.Subscribe(ctx, from, filter) {
			if err == nil {
				s.noteErasure(&r)
			}
			if !yield(r, err) || err != nil {
				return
			}
		}
	}
}

// OpenEvent opens the personal fields of an event SubscribeSealed delivered,
// as Subscribe does.
func (s *Store) OpenEvent(r *eventstore.RecordedEvent) error { return s.openOne(r) }
