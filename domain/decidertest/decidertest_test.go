package decidertest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/decidertest"
)

// A toy decider: Add adds to a total and records Added; a negative amount
// is refused with a problem on "amount", and a zero one does nothing.
type added struct{ Amount decimal.Decimal }

func (added) EventType() string { return "Added" }

type add struct{ Amount decimal.Decimal }

func fold(events []domain.Event) decimal.Decimal {
	var total decimal.Decimal
	for _, e := range events {
		total = total.Add(e.(added).Amount)
	}
	return total
}

func decide(_ decimal.Decimal, c add) ([]domain.Event, error) {
	switch {
	case c.Amount.IsNegative():
		var p domain.Problems
		p.Add("amount", "must not be negative, got %s", c.Amount)
		return nil, p.Err()
	case c.Amount.IsZero():
		return nil, nil
	}
	return []domain.Event{added(c)}, nil
}

var toy = decidertest.Decider[decimal.Decimal, add]{Fold: fold, Decide: decide}

func TestRunPasses(t *testing.T) {
	decidertest.Run(t, toy, []decidertest.Case[add]{
		{Name: "OK", When: add{decidertest.Dec("2")}, Then: []domain.Event{added{decidertest.Dec("2")}}},
		{Name: "ZeroDoesNothing", Given: []domain.Event{added{decidertest.Dec("1")}}, When: add{}},
		{Name: "ErrNegative", When: add{decidertest.Dec("-1")}, Err: decidertest.ThenErr(domain.EINVALID, "amount").Only().Saying("negative")},
	})
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// check runs one case on a recorder and returns its failures.
func check(d decidertest.Decider[decimal.Decimal, add], c decidertest.Case[add]) []string {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Check(r, c)
	}()
	<-done
	return r.failures
}

func TestCheckFails(t *testing.T) {
	two, one := decidertest.Dec("2"), decidertest.Dec("1")
	byJSON := toy
	byJSON.ByJSON = true
	for _, tc := range []struct {
		name    string
		decider decidertest.Decider[decimal.Decimal, add]
		c       decidertest.Case[add]
		want    string
	}{
		{"OtherEvents", toy, decidertest.Case[add]{When: add{two}, Then: []domain.Event{added{one}}}, "events"},
		{"OtherEventsByJSON", byJSON, decidertest.Case[add]{When: add{two}, Then: []domain.Event{added{one}}}, "event 0"},
		{"MissingEvents", toy, decidertest.Case[add]{When: add{}, Then: []domain.Event{added{one}}}, "events"},
		{"UnexpectedError", toy, decidertest.Case[add]{When: add{two.Neg()}}, "unexpected error"},
		{"NoError", toy, decidertest.Case[add]{When: add{two}, Err: decidertest.ThenErr(domain.EINVALID)}, "no error"},
		{"OtherCode", toy, decidertest.Case[add]{When: add{two.Neg()}, Err: decidertest.ThenErr(domain.ECONFLICT)}, "error code"},
		{"OtherField", toy, decidertest.Case[add]{When: add{two.Neg()}, Err: decidertest.ThenErr(domain.EINVALID, "total")}, "does not report field"},
		{"NotOnlyFields", toy, decidertest.Case[add]{When: add{two.Neg()}, Err: decidertest.ThenErr(domain.EINVALID).Only()}, "fields"},
		{"OtherText", toy, decidertest.Case[add]{When: add{two.Neg()}, Err: decidertest.ThenErr(domain.EINVALID).Saying("positive")}, "want it to contain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := check(tc.decider, tc.c)
			if len(got) == 0 || !strings.Contains(got[0], tc.want) {
				t.Fatalf("failures %q, want one containing %q", got, tc.want)
			}
		})
	}
}
