// Package catalog is the event catalogue across all of Remit's aggregates: it
// knows which aggregate owns each event type and each stream, which schema
// version of each type is current, and decodes any stored event, of any
// version, into its domain value. Code that reads the global log (the
// command handler's loader, the one log follower in projections/follow that
// feeds every projection and process manager, audit and replay tools) asks
// the catalogue rather than switching on type names or unmarshalling event
// data itself.
//
// # Schema versions and upcasters
//
// Each event type starts at schema version 1. When its shape changes in a way
// old events cannot simply be read as (see docs/events.md), its aggregate
// adds a domain.Upcaster from the old version to the next, and the type's
// current version (SchemaVersion, which writers store in the envelope) goes
// up by one. Decode takes the version an event was stored at and runs the
// upcasters from there to the current version before decoding, so every
// reader gets the current shape; stored events are never rewritten.
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
	"remit/domain/library"
	"remit/domain/numbering"
	"remit/domain/outbox"
	"remit/domain/payout"
	"remit/domain/priceincrease"
	"remit/domain/proposal"
	"remit/domain/proposaltemplate"
	"remit/domain/service"
	"remit/domain/user"
)

// ErrNewerSchemaVersion is matched (errors.Is) by the error Decode returns
// for an event stored at a schema version above its type's current one:
// written by a newer version of Remit.
var ErrNewerSchemaVersion = errors.New("schema version newer than this Remit knows")

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
	// Decode decodes the JSON data of one of EventTypes, in its current
	// schema version, into its event value.
	Decode func(eventType string, data []byte) (domain.Event, error)
	// Upcasters turn older schema versions of its event types into newer
	// ones; a type without any is at version 1.
	Upcasters []domain.Upcaster
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
		{Name: "proposal", StreamPrefix: prefixOf(proposal.StreamName), EventTypes: proposal.EventTypes(), Decode: proposal.DecodeEvent, Upcasters: proposal.Upcasters()},
		{Name: "service", StreamPrefix: prefixOf(service.StreamName), EventTypes: service.EventTypes(), Decode: service.DecodeEvent},
		{Name: "invoice", StreamPrefix: prefixOf(invoice.StreamName), EventTypes: invoice.EventTypes(), Decode: invoice.DecodeEvent},
		{Name: "numbering", Stream: numbering.StreamName(), EventTypes: numbering.EventTypes(), Decode: numbering.DecodeEvent},
		{Name: "user", StreamPrefix: prefixOf(user.StreamName), EventTypes: user.EventTypes(), Decode: user.DecodeEvent},
		{Name: "outbox", StreamPrefix: prefixOf(outbox.StreamName), EventTypes: outbox.EventTypes(), Decode: outbox.DecodeEvent},
		{Name: "ledger", StreamPrefix: prefixOf(ledger.StreamName), EventTypes: ledger.EventTypes(), Decode: ledger.DecodeEvent},
		{Name: "payout", StreamPrefix: prefixOf(payout.StreamName), EventTypes: payout.EventTypes(), Decode: payout.DecodeEvent},
		{Name: "library", Stream: library.StreamName(), EventTypes: library.EventTypes(), Decode: library.DecodeEvent},
		{Name: "proposaltemplate", StreamPrefix: prefixOf(proposaltemplate.StreamName), EventTypes: proposaltemplate.EventTypes(), Decode: proposaltemplate.DecodeEvent},
		{Name: "priceincrease", StreamPrefix: prefixOf(priceincrease.StreamName), EventTypes: priceincrease.EventTypes(), Decode: priceincrease.DecodeEvent},
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
	// upcasters holds each type's upcasters in order: upcasters[t][v-1]
	// turns version v into v+1, so a type's current version is
	// len(upcasters[t])+1.
	upcasters map[string][]domain.Upcaster
}

// New builds the catalogue of every aggregate. It panics when two aggregates
// declare the same event type, or when a type's upcasters do not chain from
// version 1 one version at a time: those are programming errors which the
// catalogue's tests catch (the store could not tell the events apart, or an
// old shape could not be read).
func New() *Catalog { return build(Aggregates()) }

func build(aggs []Aggregate) *Catalog {
	c := &Catalog{aggregates: aggs, byType: make(map[string]int), upcasters: map[string][]domain.Upcaster{}}
	for i, a := range aggs {
		for _, t := range a.EventTypes {
			if j, dup := c.byType[t]; dup {
				panic(fmt.Sprintf("catalog: event type %q is declared by both %s and %s", t, aggs[j].Name, a.Name))
			}
			c.byType[t] = i
		}
	}
	for _, a := range aggs {
		for _, u := range a.Upcasters {
			if i, ok := c.byType[u.Type]; !ok || aggs[i].Name != a.Name {
				panic(fmt.Sprintf("catalog: %s has an upcaster for %q, which it does not declare", a.Name, u.Type))
			}
			if want := len(c.upcasters[u.Type]) + 1; u.From != want || u.Up == nil {
				panic(fmt.Sprintf("catalog: upcaster of %s from version %d: want one from version %d, in order", u.Type, u.From, want))
			}
			c.upcasters[u.Type] = append(c.upcasters[u.Type], u)
		}
	}
	return c
}

// Aggregates lists every aggregate (a copy).
func (c *Catalog) Aggregates() []Aggregate {
	out := append([]Aggregate(nil), c.aggregates...)
	for i := range out {
		out[i].EventTypes = slices.Clone(out[i].EventTypes)
		out[i].Upcasters = slices.Clone(out[i].Upcasters)
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

// SchemaVersion is the current schema version of eventType: the version
// writers store in the envelope of a new event of that type (1 for a type
// that never changed shape, and for an unknown type).
func (c *Catalog) SchemaVersion(eventType string) int { return len(c.upcasters[eventType]) + 1 }

// Upcast returns data, stored at schema version version of eventType, in
// the shape of the type's current version, running the upcasters in turn.
// Version 0 is read as 1 (the stores record 0 as 1). A version above the
// current one yields an error matching ErrNewerSchemaVersion.
func (c *Catalog) Upcast(eventType string, version int, data []byte) ([]byte, error) {
	ups := c.upcasters[eventType]
	version = max(version, 1)
	if version > len(ups)+1 {
		return nil, fmt.Errorf("catalog: %s version %d: %w (current %d)", eventType, version, ErrNewerSchemaVersion, len(ups)+1)
	}
	for _, u := range ups[version-1:] {
		var err error
		if data, err = u.Up(data); err != nil {
			return nil, fmt.Errorf("catalog: %s from version %d: %w", eventType, u.From, err)
		}
	}
	return data, nil
}

// Decode decodes the JSON data of an event of the given type, stored at
// schema version version (eventstore.RecordedEvent.SchemaVersion), into its
// event value in the current shape: it upcasts old versions (Upcast), then
// decodes with the decoder of the aggregate that records the type. An
// unknown type yields an error matching ErrUnknownEventType.
func (c *Catalog) Decode(eventType string, version int, data []byte) (domain.Event, error) {
	a, ok := c.AggregateOfType(eventType)
	if !ok {
		return nil, fmt.Errorf("catalog: %w %q", ErrUnknownEventType, eventType)
	}
	data, err := c.Upcast(eventType, version, data)
	if err != nil {
		return nil, err
	}
	return a.Decode(eventType, data)
}
