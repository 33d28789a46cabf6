// Package eventstore is Remit's event-store contract: the envelope every event
// is stored in, the Store interface every backend implements (the embedded
// SQLite store in eventstore/sqlite, PostgreSQL in eventstore/postgres,
// KurrentDB/EventStoreDB in eventstore/kurrent), and the typed errors they
// all return. eventstore/storetest is the one conformance suite every backend
// must pass.
//
// The rules, in short:
//
//   - Streams are named "<aggregate>-<uuid>" (or a singleton such as "firm");
//     revisions inside a stream count from 0; global positions are at least 1
//     and strictly increasing in commit order. The embedded and PostgreSQL
//     stores number them 1, 2, 3… with no gap a reader could see; KurrentDB's
//     are its commit positions, sparse (storetest's SparsePositions mode).
//   - Append takes an expected revision (Any, NoStream, StreamExists, Exact(n)).
//     A mismatch returns an error for which errors.Is(err,
//     ErrWrongExpectedVersion) holds and which carries the actual revision
//     (*WrongExpectedVersionError); nothing is written. One append is atomic.
//   - AppendMany makes a block of appends to many streams in one request
//     (MultiAppender where the backend has it), each with its own expected
//     revision and outcome, as if each were one Append. AppendAtomic makes
//     appends to several streams all or none (AtomicAppender: the embedded
//     and PostgreSQL stores; KurrentDB answers ErrNotAtomic).
//   - Event ids are unique across the store. Re-appending events whose ids were
//     already written at that place in that stream succeeds and writes nothing
//     (idempotent retries, as EventStoreDB does them).
//   - Bad input (stream name, event type, non-JSON data, an event over the size
//     limit, duplicate ids in one append) is refused with an *InvalidError for
//     which errors.Is(err, ErrInvalid) holds, and nothing is written.
//   - Subscribe delivers every matching event from a position in strictly
//     increasing global order, catching up and then following live appends.
//     Subscribers read from the store, never from a buffer the writers fill, so
//     a slow subscriber never blocks a writer.
package eventstore

import (
	"context"
	"encoding/json"
	"iter"
	"math"
	"time"

	"github.com/google/uuid"
)

// Store is the event store contract.
type Store interface {
	// Append writes events at the end of stream if the stream's current
	// revision matches expected. It returns the stream's revision and the
	// global position of the last event written (or, for an idempotent retry,
	// of the last event the earlier append wrote).
	Append(ctx context.Context, stream string, expected ExpectedRevision, events ...EventData) (AppendResult, error)

	// ReadStream reads up to limit events of one stream starting at revision
	// from (inclusive), forwards or backwards. Use End with Backward to read
	// from the last event. limit <= 0 means no limit. A stream with no events
	// yields an empty slice and no error.
	ReadStream(ctx context.Context, stream string, from uint64, dir Direction, limit int) ([]RecordedEvent, error)

	// ReadAll reads up to limit events of the global log starting at position
	// from (inclusive), forwards or backwards, keeping those that match filter.
	ReadAll(ctx context.Context, from uint64, dir Direction, limit int, filter Filter) ([]RecordedEvent, error)

	// Subscribe delivers every event matching filter with a position >= from,
	// in order, first those already stored (catch-up) and then new ones as they
	// are appended (live), until ctx is done or the loop stops. It yields a
	// non-nil error once, as its last value, when it cannot go on (ctx.Err()
	// when ctx is cancelled).
	Subscribe(ctx context.Context, from uint64, filter Filter) iter.Seq2[RecordedEvent, error]

	// Head returns the global position of the last event (0 when empty).
	Head(ctx context.Context) (uint64, error)

	// Close releases the store.
	Close() error
}

// End stands for "after the last event" as a from argument: ReadStream or
// ReadAll with End and Backward start at the last event.
const End uint64 = math.MaxUint64

// Direction is the order of a read.
type Direction int

// Directions.
const (
	Forward Direction = iota
	Backward
)

func (d Direction) String() string {
	if d == Backward {
		return "backward"
	}
	return "forward"
}

// Filter selects events of the global log. An empty filter selects all
// events. StreamPrefixes and EventTypes each match when any entry matches;
// when both are set an event must match both.
type Filter struct {
	StreamPrefixes []string
	EventTypes     []string
}

// IsEmpty reports whether the filter selects every event.
func (f Filter) IsEmpty() bool { return len(f.StreamPrefixes) == 0 && len(f.EventTypes) == 0 }

// Match reports whether an event of the given stream and type passes f.
func (f Filter) Match(stream, eventType string) bool {
	if len(f.StreamPrefixes) > 0 {
		ok := false
		for _, p := range f.StreamPrefixes {
			if len(stream) >= len(p) && stream[:len(p)] == p {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(f.EventTypes) > 0 {
		for _, t := range f.EventTypes {
			if t == eventType {
				return true
			}
		}
		return false
	}
	return true
}

// EventData is an event to append.
type EventData struct {
	ID            uuid.UUID
	Type          string
	SchemaVersion int // 0 is stored as 1
	Data          json.RawMessage
	Metadata      Metadata
}

// Metadata travels with every event: who caused it and why. RecordedAt is set
// by the store when the event is written; any value given on append is ignored.
type Metadata struct {
	Actor         string    `json:"actor,omitempty"`
	CommandID     string    `json:"command_id,omitempty"`
	CorrelationID string    `json:"correlation_id,omitempty"`
	CausationID   string    `json:"causation_id,omitempty"`
	RecordedAt    time.Time `json:"recorded_at"`
}

// RecordedEvent is an event as stored: the envelope of DESIGN.md.
type RecordedEvent struct {
	ID            uuid.UUID
	Stream        string
	Revision      uint64
	Position      uint64
	Type          string
	SchemaVersion int
	Data          json.RawMessage
	Metadata      Metadata
	// Hash chains this event to the one before it. It is set by ReadStream
	// (what an auditor looks at) in backends that keep a chain, and left nil
	// by ReadAll and Subscribe, which feed projections and must be fast.
	Hash []byte
}

// AppendResult says where an append ended.
type AppendResult struct {
	// Revision is the stream's revision after the append (the last event's).
	Revision uint64
	// Position is the global position of the append's last event. An append
	// of no events returns the store's head.
	Position uint64
}

// ExpectedRevision is the condition an append places on its stream.
type ExpectedRevision struct {
	kind expectKind
	rev  uint64
}

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

// Expected revisions.
var (
	// Any appends whatever the stream's state.
	Any = ExpectedRevision{kind: expectAny}
	// NoStream appends only if the stream has no events yet.
	NoStream = ExpectedRevision{kind: expectNoStream}
	// StreamExists appends only if the stream has at least one event.
	StreamExists = ExpectedRevision{kind: expectStreamExists}
)

// Exact appends only if the stream's last event has revision n.
func Exact(n uint64) ExpectedRevision { return ExpectedRevision{kind: expectExact, rev: n} }

// IsAny, IsNoStream, IsStreamExists and ExactRevision let backends translate
// an expected revision into their own terms.
func (e ExpectedRevision) IsAny() bool { return e.kind == expectAny }

// IsNoStream reports whether e is NoStream.
func (e ExpectedRevision) IsNoStream() bool { return e.kind == expectNoStream }

// IsStreamExists reports whether e is StreamExists.
func (e ExpectedRevision) IsStreamExists() bool { return e.kind == expectStreamExists }

// ExactRevision returns n and true when e is Exact(n).
func (e ExpectedRevision) ExactRevision() (uint64, bool) { return e.rev, e.kind == expectExact }

// Allows reports whether a stream whose current state is (exists, current)
// satisfies e.
func (e ExpectedRevision) Allows(exists bool, current uint64) bool {
	switch e.kind {
	case expectNoStream:
		return !exists
	case expectStreamExists:
		return exists
	case expectExact:
		return exists && current == e.rev
	}
	return true
}

func (e ExpectedRevision) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectStreamExists:
		return "stream exists"
	case expectExact:
		return "revision " + uitoa(e.rev)
	}
	return "any"
}

func uitoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
