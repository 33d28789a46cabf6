// Package domain holds Remit's business rules as pure functions, and the small
// vocabulary every aggregate shares: the error type, calendar dates, money and
// currencies, tax arithmetic and billing-rule recurrence.
//
// Each aggregate lives in its own sub-package (firm, client, proposal, service,
// invoice, numbering) with the same shape:
//
//   - events.go: the event types (JSON-serialisable structs) and EventTypes(),
//     the catalogue of every event type the aggregate emits;
//   - state.go: State and Evolve(State, domain.Event) State, which never fails
//     and never validates;
//   - decide.go (or one file per command): Decide(State, Command) ([]domain.Event, error),
//     the only place rules are checked.
//
// Nothing here does I/O, reads a clock or makes a random id: commands carry the
// time (Now) and any new ids. Projections never feed Decide; when a rule needs
// facts from another aggregate, the command carries them, gathered by the
// command handler from those aggregates' own streams.
package domain

import (
	"encoding/json"
	"fmt"
)

// Event is implemented by every domain event. EventType is the name stored in
// the event store's envelope (for example "ClientCreated"); it is unique across
// all aggregates.
type Event interface {
	EventType() string
}

// DecodeAs decodes the JSON data of an event of type E (the aggregates'
// DecodeEvent switches call it once per event type).
func DecodeAs[E Event](eventType string, data []byte) (Event, error) {
	var e E
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
