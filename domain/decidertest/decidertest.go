// Package decidertest runs a decider's table tests in the one form every
// package under domain/ writes them: given past events, when a command, then
// the new events, or ThenErr(code, fields…) for a refusal. It is imported by
// tests only (it imports testing); like domain/, it imports nothing else of
// Remit's.
package decidertest

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"remit/domain"
)

// Decider is the pure pair under test: Fold builds the state from past
// events, Decide answers a command with new events or a refusal.
type Decider[S, C any] struct {
	Fold   func([]domain.Event) S
	Decide func(S, C) ([]domain.Event, error)
	// ByJSON compares events by type and JSON encoding (AssertEvents)
	// instead of reflect.DeepEqual: for events with decimals, which are equal
	// in value yet may differ in representation.
	ByJSON bool
}

// Case is one row of a decider's table: Given events, When a command, Then
// the events Decide must return (none: it must do nothing), or, when Err is
// set, the refusal it must return instead.
type Case[C any] struct {
	Name  string
	Given []domain.Event
	When  C
	Then  []domain.Event
	Err   *Refusal
}

// Refusal is the error a case expects: see ThenErr.
type Refusal struct {
	code   string
	fields []string
	only   bool
	saying string
}

// ThenErr expects a refusal with the error code (domain.EINVALID, …) and a
// message for the user, reporting a problem with each of fields (among
// others; see Only), and no events.
func ThenErr(code string, fields ...string) *Refusal {
	return &Refusal{code: code, fields: fields}
}

// Only makes the fields exact: the refusal is a *domain.ValidationError whose
// problems are the fields, in that order.
func (r *Refusal) Only() *Refusal { r.only = true; return r }

// Saying expects the error's text to contain s as well.
func (r *Refusal) Saying(s string) *Refusal { r.saying = s; return r }

// Run runs each case as a subtest named after it.
func Run[S, C any](t *testing.T, d Decider[S, C], cases []Case[C]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { d.Check(t, c) })
	}
}

// Check folds c.Given, decides c.When and checks the outcome against c.Then
// or c.Err.
func (d Decider[S, C]) Check(tb testing.TB, c Case[C]) {
	tb.Helper()
	got, err := d.Decide(d.Fold(c.Given), c.When)
	if c.Err != nil {
		AssertRefused(tb, err, c.Err)
		if got != nil {
			tb.Fatalf("a refusal returned events %s", MustJSON(tb, got))
		}
		return
	}
	if err != nil {
		tb.Fatalf("unexpected error: %v (code %q)", err, domain.ErrorCode(err))
	}
	switch {
	case len(got) == 0 && len(c.Then) == 0:
	case d.ByJSON:
		AssertEvents(tb, got, c.Then)
	case !reflect.DeepEqual(got, c.Then):
		tb.Fatalf("events:\n got  %#v\n want %#v", got, c.Then)
	}
}

// AssertRefused fails unless err is the refusal r describes.
func AssertRefused(tb testing.TB, err error, r *Refusal) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want %s", r.code)
	}
	if code := domain.ErrorCode(err); code != r.code {
		tb.Fatalf("error code = %q (error: %v), want %q", code, err, r.code)
	}
	if domain.ErrorMessage(err) == "" {
		tb.Errorf("error %v has no message for the user", err)
	}
	for _, f := range r.fields {
		if !errors.Is(err, &domain.Error{Code: r.code, Field: f}) {
			tb.Errorf("error %q does not report field %q", err, f)
		}
	}
	if r.only {
		var ve *domain.ValidationError
		if !errors.As(err, &ve) {
			tb.Fatalf("error %T %v, want a *domain.ValidationError", err, err)
		}
		var fields []string
		for _, p := range ve.Problems {
			fields = append(fields, p.Field)
		}
		if !slices.Equal(fields, r.fields) {
			tb.Fatalf("fields %v (%v), want %v", fields, err, r.fields)
		}
	}
	if !strings.Contains(err.Error(), r.saying) {
		tb.Fatalf("error %q, want it to contain %q", err, r.saying)
	}
}

// AssertEvents compares events by type and JSON encoding, since decimals that
// are equal in value may differ in representation.
func AssertEvents(tb testing.TB, got, want []domain.Event) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("got %d events %s, want %d %s", len(got), MustJSON(tb, got), len(want), MustJSON(tb, want))
	}
	for i := range got {
		if reflect.TypeOf(got[i]) != reflect.TypeOf(want[i]) {
			tb.Fatalf("event %d is %T, want %T", i, got[i], want[i])
		}
		if g, w := MustJSON(tb, got[i]), MustJSON(tb, want[i]); g != w {
			tb.Fatalf("event %d (%T):\n got %s\nwant %s", i, got[i], g, w)
		}
	}
}

// MustJSON encodes v, failing the test when it cannot.
func MustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("marshal %T: %v", v, err)
	}
	return string(b)
}

// Dec parses a decimal literal of a test, panicking on a typo.
func Dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// MustSnakeCaseKeys fails when a key of the JSON object data (at any depth)
// is not snake_case: the form every event's fields take in the log.
func MustSnakeCaseKeys(tb testing.TB, data []byte) {
	tb.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		tb.Fatal(err)
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if strings.ToLower(k) != k || strings.ContainsAny(k, " -") {
					tb.Errorf("JSON key %q is not snake_case in %s", k, data)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
}

// MustRoundTrip encodes e as the log stores it and decodes it back with
// decode (a package's DecodeEvent), failing unless the decoded event has e's
// type and encodes to the same JSON. It returns the JSON and the decoded
// event for checks of the package's own.
func MustRoundTrip(tb testing.TB, e domain.Event, decode func(eventType string, data []byte) (domain.Event, error)) ([]byte, domain.Event) {
	tb.Helper()
	data := []byte(MustJSON(tb, e))
	back, err := decode(e.EventType(), data)
	if err != nil {
		tb.Fatalf("decode %s: %v", data, err)
	}
	if reflect.TypeOf(back) != reflect.TypeOf(e) {
		tb.Fatalf("decoded a %T, want a %T", back, e)
	}
	if again := MustJSON(tb, back); again != string(data) {
		tb.Fatalf("round trip changed the event:\n  %s\n→ %s", data, again)
	}
	return data, back
}
