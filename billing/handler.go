package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/catalog"
	"remit/eventstore"
)

// EventNamespace is the UUID namespace of every id billing derives (event
// ids, and the ids of things a command creates when the request names none).
// Changing it would change every derived id: never do.
var EventNamespace = uuid.MustParse("6f1d2c7e-5b0a-4c3e-9a57-2b8e61d0a4f3")

// MaxAttempts bounds how often Handle decides again after a version conflict.
const MaxAttempts = 8

// SchemaVersion is the schema version of the events that billing's writers
// outside Handle encode themselves (invoice, service and numbering events,
// none of which has changed shape). Handle stores each event at its type's
// current version, as the catalogue says (catalog.Catalog.SchemaVersion).
const SchemaVersion = 1

// Meta says who sent a command and why; it is recorded on every event the
// command appends.
type Meta struct {
	// Actor is who asked: a user's id or email, or a process name.
	Actor string `json:"actor,omitempty"`
	// CommandID identifies the command: the HTTP Idempotency-Key. A command
	// sent again with the same id appends nothing new and answers the first
	// result. Empty means a fresh id (Config.NewID).
	CommandID string `json:"command_id,omitempty"`
	// CorrelationID ties together everything one request or run caused;
	// empty means the command id.
	CorrelationID string `json:"correlation_id,omitempty"`
	// CausationID names what caused the command (an event id or another
	// command's id); empty means the command id.
	CausationID string `json:"causation_id,omitempty"`
	// IfMatch, when set, makes the command conditional on the revision of
	// its stream the caller saw (HTTP If-Match); see Precondition.
	IfMatch *Precondition `json:"-"`

	// step tells apart the sub-commands one request runs on the same
	// stream (edit an item, then bill it): it joins the command id in the
	// event ids, not in the recorded metadata.
	step string
}

// idKey is what event ids are derived from.
func (m Meta) idKey() string {
	if m.step == "" {
		return m.CommandID
	}
	return m.CommandID + "#" + m.step
}

// withStep returns m for the named sub-command.
func (m Meta) withStep(step string) Meta {
	m.step = step
	return m
}

func (m Meta) metadata() eventstore.Metadata {
	md := eventstore.Metadata{Actor: m.Actor, CommandID: m.CommandID, CorrelationID: m.CorrelationID, CausationID: m.CausationID}
	if md.CorrelationID == "" {
		md.CorrelationID = m.CommandID
	}
	if md.CausationID == "" {
		md.CausationID = m.CommandID
	}
	return md
}

// Result says where a command's events landed.
type Result struct {
	// Stream is the command's main stream (the client's, the invoice's…).
	Stream string `json:"stream"`
	// Revision is Stream's revision after the command: its ETag. When the
	// command appended nothing, the revision the stream was at (0 and
	// Exists false for a stream with no events).
	Revision uint64 `json:"revision"`
	// Position is the highest global position the command appended at, over
	// all the streams it touched (the store's head when it appended nothing):
	// wait for read models to reach it for read-your-writes.
	Position uint64 `json:"position"`
	// ID is the id of the entity the command created (client, contact,
	// payment method, proposal, service, invoice, payment…), else uuid.Nil.
	ID uuid.UUID `json:"id,omitzero"`
	// AlreadyApplied is true when the command id had been seen: nothing was
	// appended and the result is the first run's.
	AlreadyApplied bool `json:"already_applied,omitempty"`
	// Appended is how many events this call appended to Stream.
	Appended int `json:"appended"`
}

// Decider is one aggregate as the command handler sees it.
type Decider[S, C any] struct {
	// Evolve applies one event to a state (the aggregate's Evolve).
	Evolve func(S, domain.Event) S
	// Decide returns the events that record a command (the aggregate's Decide).
	Decide func(S, C) ([]domain.Event, error)
	// Cache, when set, keeps the stream's last folded state so the next
	// command reads only the events after it. For hot singleton streams.
	Cache *StreamCache[S]
}

// StreamCache holds one stream's folded state as of a revision. The zero
// value is empty and ready; it is safe for concurrent use.
type StreamCache[S any] struct {
	mu     sync.Mutex
	state  S
	rev    uint64
	exists bool
}

func (c *StreamCache[S]) get() (S, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state, c.rev, c.exists
}

func (c *StreamCache[S]) put(s S, rev uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.exists || rev > c.rev {
		c.state, c.rev, c.exists = s, rev, true
	}
}

// Outcome is what Handle returns: the Result and the state after the command
// (folded from the stream plus the events appended).
type Outcome[S any] struct {
	Result
	State S
	// Exists is false when the stream still has no events.
	Exists bool
}

// Env is what every command needs: the store and the event catalogue.
type Env struct {
	Store   eventstore.Store
	Catalog *catalog.Catalog
}

// EventID returns the id of the index-th event a command appends to stream:
// uuid.NewSHA1(EventNamespace, commandID + "/" + stream + "/" + index).
func EventID(commandID, stream string, index int) uuid.UUID {
	return uuid.NewSHA1(EventNamespace, []byte(commandID+"/"+stream+"/"+strconv.Itoa(index)))
}

// DeriveID returns the id of a thing a command creates when the request names
// none: uuid.NewSHA1(EventNamespace, commandID + "/" + kind), so the same
// command id always names the same thing.
func DeriveID(commandID, kind string) uuid.UUID {
	return uuid.NewSHA1(EventNamespace, []byte(commandID+"/"+kind))
}

// Handle runs one command against one stream: check its text
// (domain.CheckText), load (ReadStream forward),
// decode with the catalogue, fold with d.Evolve, d.Decide, encode, append
// with the expected revision (NoStream for an empty stream, else Exact(last
// revision)). On a version conflict it re-reads and decides again, up to
// MaxAttempts times with a small jittered backoff, then answers ECONFLICT;
// but while meta.IfMatch holds for stream, a stream found elsewhere or a
// conflict answers *PreconditionFailedError and is not retried.
// meta.CommandID must be set: event ids are derived from it (EventID), and
// a command whose first event id is already in the stream is answered with
// the first run's result and not decided again.
func Handle[S, C any](ctx context.Context, env Env, d Decider[S, C], stream string, cmd C, meta Meta) (Outcome[S], error) {
	if meta.CommandID == "" {
		return Outcome[S]{}, domain.Errorf(domain.EINTERNAL, "billing: command for %s has no command id", stream)
	}
	// The one check of every command's free text (card numbers, control
	// characters), whatever sent it, before anything is read or appended.
	if err := domain.CheckText(cmd); err != nil {
		return Outcome[S]{}, err
	}
	firstID := EventID(meta.idKey(), stream, 0)
	for attempt := 1; ; attempt++ {
		out, err := handleOnce(ctx, env, d, stream, cmd, meta, firstID)
		if err == nil {
			return out, nil
		}
		if errors.Is(err, eventstore.ErrDuplicateEventID) {
			// The ids are ours, so this command was applied before, elsewhere
			// in the stream than this decision would put it.
			return readBack(ctx, env, d, stream, firstID)
		}
		if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			return Outcome[S]{}, err
		}
		if meta.IfMatch.pending(stream) {
			// Someone else wrote the stream after the revision the caller
			// saw: deciding again would build on what they did not see.
			var wrong *eventstore.WrongExpectedVersionError
			pf := &PreconditionFailedError{Stream: stream, Want: meta.IfMatch.Revision, Exists: true}
			if errors.As(err, &wrong) {
				pf.Exists, pf.Actual = wrong.Exists, wrong.Actual
			}
			return Outcome[S]{}, pf
		}
		if attempt >= MaxAttempts {
			return Outcome[S]{}, &conflictError{stream: stream, err: err}
		}
		if err := backoff(ctx, attempt); err != nil {
			return Outcome[S]{}, err
		}
	}
}

// conflictError is the ECONFLICT answered after MaxAttempts conflicts; it
// keeps the store's error for the operator's log.
type conflictError struct {
	stream string
	err    error
}

func (e *conflictError) Error() string {
	return fmt.Sprintf("%s: %v", e.domainError().Error(), e.err)
}

func (e *conflictError) domainError() *domain.Error {
	return domain.Conflict("Someone else changed this at the same time; please try again.")
}

// Unwrap exposes both the domain error (code ECONFLICT) and the store's.
func (e *conflictError) Unwrap() []error { return []error{e.domainError(), e.err} }

func backoff(ctx context.Context, attempt int) error {
	base := time.Duration(attempt) * time.Millisecond
	wait := base/2 + rand.N(base)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// loaded is a stream as read: its folded state and where it ends.
type loaded[S any] struct {
	state  S
	exists bool
	rev    uint64
	// applied is set when the command's first event is in the stream.
	applied  bool
	appliedR Result
}

func load[S, C any](ctx context.Context, env Env, d Decider[S, C], stream string, firstID uuid.UUID) (loaded[S], error) {
	var l loaded[S]
	from := uint64(0)
	if d.Cache != nil {
		if s, rev, ok := d.Cache.get(); ok {
			l.state, l.rev, l.exists = s, rev, true
			from = rev + 1
		}
	}
	recs, err := env.Store.ReadStream(ctx, stream, from, eventstore.Forward, 0)
	if err != nil {
		return l, fmt.Errorf("read %s: %w", stream, err)
	}
	var applyID string
	for _, r := range recs {
		e, err := env.Catalog.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			return l, fmt.Errorf("decode %s@%d: %w", stream, r.Revision, err)
		}
		l.state = d.Evolve(l.state, e)
		l.exists, l.rev = true, r.Revision
		if r.ID == firstID {
			l.applied = true
			applyID = r.Metadata.CommandID
			l.appliedR = Result{Stream: stream}
		}
		if l.applied && r.Metadata.CommandID == applyID {
			l.appliedR.Revision, l.appliedR.Position = r.Revision, r.Position
		}
	}
	if d.Cache != nil && l.exists {
		d.Cache.put(l.state, l.rev)
	}
	return l, nil
}

func handleOnce[S, C any](ctx context.Context, env Env, d Decider[S, C], stream string, cmd C, meta Meta, firstID uuid.UUID) (Outcome[S], error) {
	l, err := load(ctx, env, d, stream, firstID)
	if err != nil {
		return Outcome[S]{}, err
	}
	if l.applied {
		l.appliedR.AlreadyApplied = true
		return Outcome[S]{Result: l.appliedR, State: l.state, Exists: true}, nil
	}
	if err := meta.IfMatch.check(stream, l.exists, l.rev); err != nil {
		return Outcome[S]{}, err
	}
	events, err := d.Decide(l.state, cmd)
	if err != nil {
		return Outcome[S]{}, err
	}
	if len(events) == 0 {
		head, err := env.Store.Head(ctx)
		if err != nil {
			return Outcome[S]{}, fmt.Errorf("head: %w", err)
		}
		meta.IfMatch.satisfy(stream)
		return Outcome[S]{Result: Result{Stream: stream, Revision: l.rev, Position: head}, State: l.state, Exists: l.exists}, nil
	}
	data := make([]eventstore.EventData, len(events))
	md := meta.metadata()
	for i, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			return Outcome[S]{}, fmt.Errorf("encode %s: %w", e.EventType(), err)
		}
		data[i] = eventstore.EventData{
			ID:            EventID(meta.idKey(), stream, i),
			Type:          e.EventType(),
			SchemaVersion: env.Catalog.SchemaVersion(e.EventType()),
			Data:          b,
			Metadata:      md,
		}
	}
	expected := eventstore.NoStream
	if l.exists {
		expected = eventstore.Exact(l.rev)
	}
	res, err := env.Store.Append(ctx, stream, expected, data...)
	if err != nil {
		return Outcome[S]{}, fmt.Errorf("append %s: %w", stream, err)
	}
	meta.IfMatch.satisfy(stream)
	state := l.state
	for _, e := range events {
		state = d.Evolve(state, e)
	}
	if d.Cache != nil {
		d.Cache.put(state, res.Revision)
	}
	return Outcome[S]{
		Result: Result{Stream: stream, Revision: res.Revision, Position: res.Position, Appended: len(events)},
		State:  state, Exists: true,
	}, nil
}

// readBack answers a command found already applied by the store: the result
// of its first run, read from the stream.
func readBack[S, C any](ctx context.Context, env Env, d Decider[S, C], stream string, firstID uuid.UUID) (Outcome[S], error) {
	l, err := load(ctx, env, Decider[S, C]{Evolve: d.Evolve}, stream, firstID)
	if err != nil {
		return Outcome[S]{}, err
	}
	if !l.applied {
		return Outcome[S]{}, domain.Conflict("This request's idempotency key was already used for a different request.")
	}
	l.appliedR.AlreadyApplied = true
	return Outcome[S]{Result: l.appliedR, State: l.state, Exists: true}, nil
}
