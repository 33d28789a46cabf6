package eventstore

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/google/uuid"
)

// DefaultMaxEventSize is the default limit on one event's data plus metadata.
const DefaultMaxEventSize = 1 << 20

// EventSize is the size of an event as the limit on it counts it: its data
// plus the metadata's strings.
func EventSize(e EventData) int {
	m := e.Metadata
	return len(e.Data) + len(m.Actor) + len(m.CommandID) + len(m.CorrelationID) + len(m.CausationID)
}

// EventSizeLimiter is a Store that says how large one event may be (data
// plus metadata, as ValidateAppend counts it). Every backend here is one.
type EventSizeLimiter interface {
	MaxEventSize() int
}

// MaxEventSizeOf returns the largest event s accepts: its own limit when it
// says (EventSizeLimiter), else DefaultMaxEventSize. Callers check an event
// against it before committing to anything else (e.g. reserving an invoice
// number), so an event too large to record is refused up front.
func MaxEventSizeOf(s Store) int {
	if l, ok := s.(EventSizeLimiter); ok && l.MaxEventSize() > 0 {
		return l.MaxEventSize()
	}
	return DefaultMaxEventSize
}

// MaxStreamNameLen is the longest stream name accepted.
const MaxStreamNameLen = 256

// ValidateStreamName checks a stream name: 1 to 256 characters of letters,
// digits and "-_.:@", starting with a letter or digit ("$"-prefixed names are
// reserved for system streams).
func ValidateStreamName(stream string) error {
	if stream == "" {
		return &InvalidError{Field: "stream", Reason: "stream name is empty"}
	}
	if len(stream) > MaxStreamNameLen {
		return &InvalidError{Field: "stream", Reason: fmt.Sprintf("stream name is longer than %d characters", MaxStreamNameLen)}
	}
	for i := 0; i < len(stream); i++ {
		c := stream[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return &InvalidError{Field: "stream", Reason: fmt.Sprintf("stream name %q must start with a letter or digit", stream)}
		}
		if !alnum && c != '-' && c != '_' && c != '.' && c != ':' && c != '@' {
			return &InvalidError{Field: "stream", Reason: fmt.Sprintf("stream name %q has a character other than letters, digits and -_.:@", stream)}
		}
	}
	return nil
}

// ValidateAppend checks everything about an append that does not depend on
// the store's contents. maxEventSize <= 0 means DefaultMaxEventSize.
func ValidateAppend(stream string, events []EventData, maxEventSize int) error {
	if maxEventSize <= 0 {
		maxEventSize = DefaultMaxEventSize
	}
	if err := ValidateStreamName(stream); err != nil {
		return err
	}
	// Most appends hold an event or two: their ids are compared pairwise,
	// and an event's field name is only made for an error.
	var seen map[uuid.UUID]int
	if len(events) > 8 {
		seen = make(map[uuid.UUID]int, len(events))
	}
	for i, e := range events {
		if e.ID == uuid.Nil {
			return &InvalidError{Field: eventField(i, ".id"), Reason: "event id is missing"}
		}
		j, dup := seen[e.ID]
		if seen == nil {
			for j = 0; j < i && events[j].ID != e.ID; j++ {
			}
			dup = j < i
		}
		if dup {
			return &InvalidError{Field: eventField(i, ".id"), Reason: fmt.Sprintf("event id %s appears twice in one append (also events[%d])", e.ID, j)}
		}
		if seen != nil {
			seen[e.ID] = i
		}
		if e.Type == "" {
			return &InvalidError{Field: eventField(i, ".type"), Reason: "event type is empty"}
		}
		if len(e.Type) > 256 {
			return &InvalidError{Field: eventField(i, ".type"), Reason: "event type is longer than 256 characters"}
		}
		if e.SchemaVersion < 0 {
			return &InvalidError{Field: eventField(i, ".schema_version"), Reason: "schema version cannot be negative"}
		}
		if len(e.Data) == 0 || !json.Valid(e.Data) {
			return &InvalidError{Field: eventField(i, ".data"), Reason: "event data is not valid JSON"}
		}
		if size := EventSize(e); size > maxEventSize {
			return &InvalidError{Field: eventField(i, ""), Reason: fmt.Sprintf("event is %d bytes, over the limit of %d bytes", size, maxEventSize)}
		}
	}
	return nil
}

// eventField names a field of events[i] in an InvalidError.
func eventField(i int, field string) string {
	return "events[" + strconv.Itoa(i) + "]" + field
}
