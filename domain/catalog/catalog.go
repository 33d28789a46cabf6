// Package catalog is the event catalogue across all of Remit's aggregates: it
// knows which aggregate owns each event type and each stream, and decodes any
// stored event into its domain value. Code that reads the global log (the
// command handler's loader, projections, audit and replay tools) asks the
// catalogue rather than switching on type names itself.
//
// docs/events.md describes every event listed here, and a test keeps the two
// in step.
package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/domain/numbering"
	"remit/domain/outbox"
	"remit/domain/proposal"
	"remit/domain/service"
	"remit/domain/user"
)

// ErrUnknownEventType is matched (errors.Is) by the error Decode returns for
// an event type no aggregate declares. In the store it means an event written
// by a newer (or broken) version of Remit: an operator's problem, never a
// user's.
var ErrUnknownEventType = errors.New("unknown event type")

// Aggregate describes one aggregate's events and streams.
type Aggregate struct {
	// Name is the aggregate's package name: "firm", "client", "proposal",
	// "service", "invoice" or "numbering".
	Name string
	// StreamPrefix is "<name>-" for an aggregate with one stream per instance,
	// named StreamPrefix + the instance's uuid; "" for a singleton.
	StreamPrefix string
	// Stream is the singleton aggregate's one stream ("firm",
	// "numbering-invoices"); "" for an aggregate with a stream per instance.
	Stream string
	// EventTypes lists every event type the aggregate records.
	EventTypes []string
	// Decode decodes the JSON data of one of EventTypes into its event value.
	Decode func(eventType string, data []byte) (domain.Event, error)
}

// Singleton reports whether the aggregate has a single stream.
func (a Aggregate) Singleton() bool { return a.Stream != "" }

// StreamPattern is the aggregate's stream naming as written in docs/events.md:
// "client-<uuid>", or the singleton stream's name.
func (a Aggregate) StreamPattern() string {
	if a.Singleton() {
		return a.Stream
	}
	return a.StreamPrefix + "<uuid>"
}

// OwnsStream reports whether stream belongs to the aggregate: the singleton's
// stream, or the prefix followed by a uuid in its canonical form.
func (a Aggregate) OwnsStream(stream string) bool {
	if a.Singleton() {
		return stream == a.Stream
	}
	rest, ok := strings.CutPrefix(stream, a.StreamPrefix)
	if !ok {
		return false
	}
	id, err := uuid.Parse(rest)
	return err == nil && id.String() == rest
}

// Aggregates lists every aggregate, in the order docs/events.md describes
// them. Each call returns a fresh slice.
func Aggregates() []Aggregate {
	return []Aggregate{
		{Name: "firm", Stream: firm.StreamName(), EventTypes: firm.EventTypes(), Decode: firm.DecodeEvent},
		{Name: "client", StreamPrefix: prefixOf(client.StreamName), EventTypes: client.EventTypes(), Decode: client.DecodeEvent},
		{Name: "proposal", StreamPrefix: prefixOf(proposal.StreamName), EventTypes: proposal.EventTypes(), Decode: proposal.DecodeEvent},
		{Name: "service", StreamPrefix: prefixOf(service.StreamName), EventTypes: service.EventTypes(), Decode: service.DecodeEvent},
		{Name: "invoice", StreamPrefix: prefixOf(invoice.StreamName), EventTypes: invoice.EventTypes(), Decode: invoice.DecodeEvent},
		{Name: "numbering", Stream: numbering.StreamName(), EventTypes: numbering.EventTypes(), Decode: numbering.DecodeEvent},
		{Name: "user", StreamPrefix: prefixOf(user.StreamName), EventTypes: user.EventTypes(), Decode: user.DecodeEvent},
		{Name: "outbox", StreamPrefix: prefixOf(outbox.StreamName), EventTypes: outbox.EventTypes(), Decode: outbox.DecodeEvent},
		{Name: "ledger", StreamPrefix: prefixOf(ledger.StreamName), EventTypes: ledger.EventTypes(), Decode: ledger.DecodeEvent},
	}
}

// prefixOf derives an aggregate's stream prefix from its own StreamName, so
// the catalogue cannot drift from it.
func prefixOf(streamName func(uuid.UUID) string) string {
	return strings.TrimSuffix(streamName(uuid.Nil), uuid.Nil.String())
}

// Catalog finds the aggregate of an event type or a stream and decodes
// events. Build it with New; it is read-only afterwards and safe for
// concurrent use.
type Catalog struct {
	aggregates []Aggregate
	byType     map[string]int // event type -> index in aggregates
}

// New builds the catalogue of every aggregate. It panics when two aggregates
// declare the same event type: that is a programming error which the
// catalogue's tests catch, and the store could not tell the events apart.
func New() *Catalog {
	aggs := Aggregates()
	c := &Catalog{aggregates: aggs, byType: make(map[string]int)}
	for i, a := range aggs {
		for _, t := range a.EventTypes {
			if j, dup := c.byType[t]; dup {
				panic(fmt.Sprintf("catalog: event type %q is declared by both %s and %s", t, aggs[j].Name, a.Name))
			}
			c.byType[t] = i
		}
	}
	return c
}

// Aggregates lists every aggregate (a copy).
func (c *Catalog) Aggregates() []Aggregate {
	out := append([]Aggregate(nil), c.aggregates...)
	for i := range out {
		out[i].EventTypes = slices.Clone(out[i].EventTypes)
	}
	return out
}

// EventTypes lists every event type of every aggregate, aggregate by
// aggregate.
func (c *Catalog) EventTypes() []string {
	out := make([]string, 0, len(c.byType))
	for _, a := range c.aggregates {
		out = append(out, a.EventTypes...)
	}
	return out
}

// AggregateOfType returns the aggregate that records eventType.
func (c *Catalog) AggregateOfType(eventType string) (Aggregate, bool) {
	i, ok := c.byType[eventType]
	if !ok {
		return Aggregate{}, false
	}
	return c.aggregates[i], true
}

// AggregateOf returns the aggregate that owns stream. Singleton streams
// ("firm", "numbering-invoices") are matched first; otherwise the stream must
// be a prefix followed by a canonical uuid.
func (c *Catalog) AggregateOf(stream string) (Aggregate, bool) {
	for _, a := range c.aggregates {
		if a.Singleton() && a.OwnsStream(stream) {
			return a, true
		}
	}
	for _, a := range c.aggregates {
		if !a.Singleton() && a.OwnsStream(stream) {
			return a, true
		}
	}
	return Aggregate{}, false
}

// Decode decodes the JSON data of an event of the given type into its event
// value, with the decoder of the aggregate that records it. An unknown type
// yields an error matching ErrUnknownEventType.
func (c *Catalog) Decode(eventType string, data []byte) (domain.Event, error) {
	a, ok := c.AggregateOfType(eventType)
	if !ok {
		return nil, fmt.Errorf("catalog: %w %q", ErrUnknownEventType, eventType)
	}
	return a.Decode(eventType, data)
}
