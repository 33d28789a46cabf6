package eventstore

import (
	"errors"
	"fmt"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrWrongExpectedVersion: the stream was not at the expected revision.
	ErrWrongExpectedVersion = errors.New("wrong expected version")
	// ErrInvalid: the append or read was malformed; nothing was written.
	ErrInvalid = errors.New("invalid event store request")
	// ErrDuplicateEventID: an event id is already stored somewhere else, so the
	// append is neither new nor an idempotent retry.
	ErrDuplicateEventID = errors.New("duplicate event id")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("event store closed")
	// ErrLocked: another process holds the store open for writing.
	ErrLocked = errors.New("event store locked by another process")
)

// WrongExpectedVersionError carries the stream's actual state.
type WrongExpectedVersionError struct {
	Stream   string
	Expected ExpectedRevision
	// Exists is false when the stream has no events; Actual is then 0.
	Exists bool
	Actual uint64
}

func (e *WrongExpectedVersionError) Error() string {
	actual := "no stream"
	if e.Exists {
		actual = "revision " + uitoa(e.Actual)
	}
	return fmt.Sprintf("append to %s: expected %s, stream is at %s: %v", e.Stream, e.Expected, actual, ErrWrongExpectedVersion)
}

// Unwrap makes errors.Is(err, ErrWrongExpectedVersion) hold.
func (e *WrongExpectedVersionError) Unwrap() error { return ErrWrongExpectedVersion }

// InvalidError says what is wrong with an append or read.
type InvalidError struct {
	Field  string // e.g. "stream", "events[2].data"
	Reason string
}

func (e *InvalidError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

// DuplicateEventIDError names the id that is already stored elsewhere.
type DuplicateEventIDError struct {
	ID     string
	Stream string // where it is stored
}

func (e *DuplicateEventIDError) Error() string {
	return fmt.Sprintf("event id %s is already stored in %s: %v", e.ID, e.Stream, ErrDuplicateEventID)
}

// Unwrap makes errors.Is(err, ErrDuplicateEventID) hold.
func (e *DuplicateEventIDError) Unwrap() error { return ErrDuplicateEventID }
