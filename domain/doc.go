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
// What a command may carry is bounded in one place, limits.go, and checked
// by decide, so the API, the UI and the CLI refuse the same input alike:
// decimals are parsed plainly (ParseDecimal: no exponent, at most
// MaxDecimalLength characters); a quantity is at most MaxQuantity with
// MaxQuantityDecimals decimals; a unit price at most MaxUnitPrice, with no
// more decimals than its currency (refused, never rounded); an amount at
// most MaxAmount; an invoice at most MaxInvoiceLines lines; a description
// at most MaxDescriptionLength characters. Every command's text passes one
// check, CheckText (text.go), in the command handler: no card number however
// written (ContainsCardNumber), no control characters outside multi-line
// fields. Rules that need the client's state (its currency, its payment
// methods) take ClientFacts, carried by the command.
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
