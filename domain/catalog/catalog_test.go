package catalog_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/numbering"
)

func TestEventTypesAreUniqueAcrossAggregates(t *testing.T) {
	owner := map[string]string{}
	for _, a := range catalog.Aggregates() {
		if len(a.EventTypes) == 0 {
			t.Errorf("aggregate %s declares no event types", a.Name)
		}
		for _, typ := range a.EventTypes {
			if prev, dup := owner[typ]; dup {
				t.Errorf("event type %q is declared by %s and by %s", typ, prev, a.Name)
			}
			owner[typ] = a.Name
		}
	}
	if got := catalog.New().EventTypes(); len(got) != len(owner) {
		t.Errorf("Catalog.EventTypes() has %d types, the aggregates declare %d", len(got), len(owner))
	}
}

func TestAggregatesHaveUniqueNamesAndStreams(t *testing.T) {
	names, streams := map[string]bool{}, map[string]bool{}
	for _, a := range catalog.Aggregates() {
		if names[a.Name] {
			t.Errorf("two aggregates are named %q", a.Name)
		}
		names[a.Name] = true
		if (a.Stream == "") == (a.StreamPrefix == "") {
			t.Errorf("%s: exactly one of Stream (%q) and StreamPrefix (%q) must be set", a.Name, a.Stream, a.StreamPrefix)
		}
		if streams[a.StreamPattern()] {
			t.Errorf("two aggregates use the streams %q", a.StreamPattern())
		}
		streams[a.StreamPattern()] = true
		if a.Decode == nil {
			t.Errorf("%s has no decoder", a.Name)
		}
	}
}

// TestDecodeEveryEventType decodes every declared type from {} and from its
// sample's JSON, through the aggregate's decoder and through the catalogue.
func TestDecodeEveryEventType(t *testing.T) {
	c := catalog.New()
	all := samples()
	for _, a := range catalog.Aggregates() {
		for _, typ := range a.EventTypes {
			t.Run(typ, func(t *testing.T) {
				for _, decode := range []struct {
					name string
					fn   func(string, []byte) (any, error)
				}{
					{a.Name + ".DecodeEvent", func(typ string, b []byte) (any, error) { return a.Decode(typ, b) }},
					{"Catalog.Decode", func(typ string, b []byte) (any, error) { return c.Decode(typ, c.SchemaVersion(typ), b) }},
				} {
					e, err := decode.fn(typ, []byte(`{}`))
					if err != nil {
						t.Fatalf("%s(%q, {}): %v", decode.name, typ, err)
					}
					if got := eventType(e); got != typ {
						t.Errorf("%s(%q, {}) = %T with EventType %q", decode.name, typ, e, got)
					}
					if k := reflect.TypeOf(e).Kind(); k != reflect.Struct {
						t.Errorf("%s(%q) returns a %s, want a struct value", decode.name, typ, k)
					}
				}

				s, ok := all[typ]
				if !ok {
					t.Fatalf("no sample for %s (add one to samples_test.go)", typ)
				}
				data, err := json.Marshal(s.event)
				if err != nil {
					t.Fatalf("encode sample: %v", err)
				}
				e, err := c.Decode(typ, c.SchemaVersion(typ), data)
				if err != nil {
					t.Fatalf("Decode(%q, %s): %v", typ, data, err)
				}
				again, err := json.Marshal(e)
				if err != nil {
					t.Fatalf("encode decoded: %v", err)
				}
				if string(again) != string(data) {
					t.Errorf("round trip changed the event:\n sent %s\n  got %s", data, again)
				}
				if got, ok := c.AggregateOfType(typ); !ok || got.Name != a.Name {
					t.Errorf("AggregateOfType(%q) = %q, %v; want %q", typ, got.Name, ok, a.Name)
				}
			})
		}
	}
}

func eventType(e any) string {
	if ev, ok := e.(interface{ EventType() string }); ok {
		return ev.EventType()
	}
	return ""
}

func TestDecodeUnknownEventType(t *testing.T) {
	for _, typ := range []string{"", "ClientDeleted", "clientcreated", "FirmSetUp "} {
		e, err := catalog.New().Decode(typ, 1, []byte(`{}`))
		if !errors.Is(err, catalog.ErrUnknownEventType) {
			t.Errorf("Decode(%q) = %v, %v; want ErrUnknownEventType", typ, e, err)
		}
	}
	if _, ok := catalog.New().AggregateOfType("ClientDeleted"); ok {
		t.Error("AggregateOfType of an unknown type found an aggregate")
	}
}

func TestDecodeBadData(t *testing.T) {
	_, err := catalog.New().Decode("ClientCreated", 1, []byte(`{"client_id": 7}`))
	if err == nil || errors.Is(err, catalog.ErrUnknownEventType) {
		t.Errorf("Decode of malformed data = %v; want a decoding error", err)
	}
}

func TestAggregateOf(t *testing.T) {
	id := uuid.MustParse("0b7d1f6e-2c1a-4c55-9a53-1f7f0c3f2a10")
	for _, tc := range []struct {
		stream string
		want   string // "" when no aggregate owns it
	}{
		{"firm", "firm"},
		{numbering.StreamName(), "numbering"}, // "numbering-invoices" shares the invoice prefix
		{invoice.StreamName(id), "invoice"},
		{client.StreamName(id), "client"},
		{"proposal-" + id.String(), "proposal"},
		{"service-" + id.String(), "service"},
		{"client-", ""},
		{"client-not-a-uuid", ""},
		{"client-" + uuid.Nil.String()[:35], ""},
		{"client-{" + id.String() + "}", ""}, // uuid.Parse accepts it; stream names use the canonical form only
		{"clients-" + id.String(), ""},
		{"firm-" + id.String(), ""},
		{"numbering-invoices-2", ""},
		{"", ""},
		{"$all", ""},
	} {
		a, ok := catalog.New().AggregateOf(tc.stream)
		if ok != (tc.want != "") || a.Name != tc.want {
			t.Errorf("AggregateOf(%q) = %q, %v; want %q", tc.stream, a.Name, ok, tc.want)
		}
	}
}

// TestEveryAggregateOwnsItsStreams checks AggregateOf against each
// aggregate's own StreamPattern.
func TestEveryAggregateOwnsItsStreams(t *testing.T) {
	c := catalog.New()
	for _, a := range c.Aggregates() {
		stream := a.Stream
		if !a.Singleton() {
			stream = a.StreamPrefix + uuid.NewSHA1(uuid.NameSpaceOID, []byte(a.Name)).String()
		}
		if got, ok := c.AggregateOf(stream); !ok || got.Name != a.Name {
			t.Errorf("AggregateOf(%q) = %q, %v; want %q", stream, got.Name, ok, a.Name)
		}
	}
}

// TestSamplesMatchTheCatalogue fails when an event type is added to an
// aggregate without a sample here, or a sample names a type no aggregate
// declares.
func TestSamplesMatchTheCatalogue(t *testing.T) {
	c := catalog.New()
	all := samples()
	for _, typ := range c.EventTypes() {
		if _, ok := all[typ]; !ok {
			t.Errorf("no sample for %s: add one to samples_test.go", typ)
		}
	}
	for typ, s := range all {
		a, ok := c.AggregateOfType(typ)
		if !ok {
			t.Errorf("sample %s is not in the catalogue", typ)
			continue
		}
		for _, g := range s.given {
			if ga, _ := c.AggregateOfType(g.EventType()); ga.Name != a.Name {
				t.Errorf("sample %s: its history holds %s, an event of %q", typ, g.EventType(), ga.Name)
			}
		}
	}
}

// TestEvolveHandlesEveryEventType fails when an event type has no case in its
// aggregate's Evolve: evolving each sample must change the state. It also
// checks that Evolve leaves the state it was given as it was.
func TestEvolveHandlesEveryEventType(t *testing.T) {
	c := catalog.New()
	ev := evolvers()
	all := samples()
	for _, a := range c.Aggregates() {
		evolve, ok := ev[a.Name]
		if !ok {
			t.Errorf("no evolver for aggregate %s: add its Evolve to evolvers()", a.Name)
			continue
		}
		for _, typ := range a.EventTypes {
			t.Run(typ, func(t *testing.T) {
				s, ok := all[typ]
				if !ok {
					t.Fatalf("no sample for %s", typ)
				}
				r := evolve(s.given, s.event)
				if reflect.DeepEqual(r.before, r.after) {
					t.Errorf("%s.Evolve ignores %s: the state did not change (is a case missing?)", a.Name, typ)
				}
				if !reflect.DeepEqual(r.before, r.given) {
					t.Errorf("%s.Evolve(%s) changed the state it was given:\n before %+v\n  after %+v", a.Name, typ, r.before, r.given)
				}
			})
		}
	}
}

// TestEvolveIgnoresOtherAggregatesEvents checks that an event of one
// aggregate never changes another's state, so a loader that reads a mixed
// log cannot corrupt a state.
func TestEvolveIgnoresOtherAggregatesEvents(t *testing.T) {
	c := catalog.New()
	ev := evolvers()
	all := samples()
	for _, a := range c.Aggregates() {
		evolve := ev[a.Name]
		if evolve == nil {
			continue
		}
		// The aggregate's longest history is a state with something in it.
		var given []domain.Event
		for _, typ := range a.EventTypes {
			if g := all[typ].given; len(g) > len(given) {
				given = g
			}
		}
		for typ, s := range all {
			if other, _ := c.AggregateOfType(typ); other.Name == a.Name {
				continue
			}
			if r := evolve(given, s.event); !reflect.DeepEqual(r.before, r.after) {
				t.Errorf("%s.Evolve changed its state on %s, an event of another aggregate", a.Name, typ)
			}
		}
	}
}

func TestCatalogCopies(t *testing.T) {
	c := catalog.New()
	aggs := c.Aggregates()
	aggs[0].Name = "changed"
	if c.Aggregates()[0].Name == "changed" {
		t.Error("Catalog.Aggregates returns the catalogue's own slice")
	}
	if !slices.Equal(c.EventTypes(), c.EventTypes()) {
		t.Error("EventTypes is not stable")
	}
}
