package numbering_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/numbering"
)

var (
	now  = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	invA = uuid.MustParse("00000000-0000-4000-8000-00000000000a")
	invB = uuid.MustParse("00000000-0000-4000-8000-00000000000b")
	invC = uuid.MustParse("00000000-0000-4000-8000-00000000000c")
)

// MustReserved returns the event recorded when invoice id gets sequence seq.
func MustReserved(tb testing.TB, prefix string, seq int64, id uuid.UUID) numbering.InvoiceNumberReserved {
	tb.Helper()
	if seq < 1 {
		tb.Fatalf("sequence %d: numbers start at 1", seq)
	}
	return numbering.InvoiceNumberReserved{Number: numbering.FormatNumber(prefix, seq), Sequence: seq, InvoiceID: id, At: now}
}

// decider is the numbering decider, its events compared whole.
var decider = decidertest.Decider[numbering.State, numbering.Command]{Fold: numbering.Fold, Decide: numbering.Decide}

func TestReserve(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[numbering.Command]{
		{
			Name: "OKFirst",
			When: numbering.Reserve{InvoiceID: invA, Prefix: "INV-", Now: now},
			Then: []domain.Event{numbering.InvoiceNumberReserved{Number: "INV-000001", Sequence: 1, InvoiceID: invA, At: now}},
		},
		{
			Name:  "OKNext",
			Given: []domain.Event{MustReserved(t, "INV-", 1, invA), MustReserved(t, "INV-", 2, invB)},
			When:  numbering.Reserve{InvoiceID: invC, Prefix: "INV-", Now: now},
			Then:  []domain.Event{numbering.InvoiceNumberReserved{Number: "INV-000003", Sequence: 3, InvoiceID: invC, At: now}},
		},
		{
			Name:  "OKNewPrefixContinuesSequence",
			Given: []domain.Event{MustReserved(t, "INV-", 122, invA)},
			When:  numbering.Reserve{InvoiceID: invB, Prefix: "LC/", Now: now},
			Then:  []domain.Event{numbering.InvoiceNumberReserved{Number: "LC/000123", Sequence: 123, InvoiceID: invB, At: now}},
		},
		{
			Name:  "OKPastSixDigits",
			Given: []domain.Event{MustReserved(t, "", 999999, invA)},
			When:  numbering.Reserve{InvoiceID: invB, Now: now},
			Then:  []domain.Event{numbering.InvoiceNumberReserved{Number: "1000000", Sequence: 1000000, InvoiceID: invB, At: now}},
		},
		{
			Name:  "AlreadyNumbered",
			Given: []domain.Event{MustReserved(t, "INV-", 1, invA), MustReserved(t, "INV-", 2, invB)},
			When:  numbering.Reserve{InvoiceID: invA, Prefix: "INV-", Now: now.Add(time.Hour)},
		},
		{Name: "ErrNoInvoice", When: numbering.Reserve{Prefix: "INV-", Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "invoice_id").Only()},
		{Name: "ErrPrefixSpace", When: numbering.Reserve{InvoiceID: invA, Prefix: "INV ", Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "prefix").Only()},
		{Name: "ErrPrefixControl", When: numbering.Reserve{InvoiceID: invA, Prefix: "INV\x00", Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "prefix").Only()},
		{Name: "ErrPrefixLong", When: numbering.Reserve{InvoiceID: invA, Prefix: "ABCDEFGHIJKLMNOPQRSTU", Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "prefix").Only()},
	})
}

// TestGapless reserves numbers for many invoices, some of them twice, the way
// a command handler would (decide, then evolve), and checks the numbers run
// 1..n without a gap or a repeat.
func TestGapless(t *testing.T) {
	var s numbering.State
	var log []domain.Event
	ids := make([]uuid.UUID, 50)
	for i := range ids {
		ids[i] = uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(i)})
	}
	for round := range 2 {
		for _, id := range ids {
			events, err := numbering.Decide(s, numbering.Reserve{InvoiceID: id, Prefix: "INV-", Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if round == 1 && len(events) != 0 {
				t.Fatalf("reserving again for %s gave %v", id, events)
			}
			for _, e := range events {
				s = numbering.Evolve(s, e)
				log = append(log, e)
			}
		}
	}
	if len(log) != len(ids) || s.Last != int64(len(ids)) || s.Count() != len(ids) {
		t.Fatalf("%d events, last %d, count %d; want %d", len(log), s.Last, s.Count(), len(ids))
	}
	for i, e := range log {
		r := e.(numbering.InvoiceNumberReserved)
		if r.Sequence != int64(i+1) || r.InvoiceID != ids[i] {
			t.Fatalf("event %d: %+v", i, r)
		}
		if got, ok := s.NumberOf(ids[i]); !ok || got.Number != r.Number || got.Sequence != r.Sequence {
			t.Fatalf("NumberOf(%s) = %+v, %v; want %s", ids[i], got, ok, r.Number)
		}
	}
	if folded := numbering.Fold(log); !reflect.DeepEqual(folded, s) {
		t.Fatal("Fold and repeated Evolve disagree")
	}
	if !reflect.DeepEqual(numbering.Fold(nil), numbering.State{}) {
		t.Fatal("Fold of no events is not the zero State")
	}
}

func TestEvolveKeepsEarlierStates(t *testing.T) {
	base := numbering.Fold([]domain.Event{MustReserved(t, "INV-", 1, invA)})
	a := numbering.Evolve(base, MustReserved(t, "INV-", 2, invB))
	b := numbering.Evolve(base, MustReserved(t, "INV-", 2, invC))
	if _, ok := base.NumberOf(invB); ok {
		t.Fatal("evolving a later state changed an earlier one")
	}
	if _, ok := a.NumberOf(invC); ok {
		t.Fatal("two states evolved from one share their lookup")
	}
	if _, ok := b.NumberOf(invC); !ok || base.Last != 1 || a.Last != 2 {
		t.Fatal("evolve lost an event")
	}
	if got := numbering.Evolve(a, otherEvent{}); !reflect.DeepEqual(got, a) {
		t.Fatal("an unknown event changed the state")
	}
}

type otherEvent struct{}

func (otherEvent) EventType() string { return "SomethingElse" }

func sampleEvents(t *testing.T) []domain.Event {
	return []domain.Event{MustReserved(t, "INV-", 7, invA),
		numbering.InvoiceNumbersReserved{Prefix: "INV-", First: 8, InvoiceIDs: []uuid.UUID{invB, invC}, At: now},
		numbering.InvoiceNumberVoided{Number: "INV-000007", Sequence: 7, InvoiceID: invA, Reason: "never issued", At: now.Add(time.Hour)}}
}

func TestEventCatalogue(t *testing.T) {
	var types []string
	for _, e := range sampleEvents(t) {
		types = append(types, e.EventType())
	}
	if !slices.Equal(types, numbering.EventTypes()) {
		t.Fatalf("samples %v, catalogue %v", types, numbering.EventTypes())
	}
	if got := numbering.StreamName(); got != "numbering-invoices" {
		t.Errorf("StreamName() = %q", got)
	}
}

func TestEvolveEveryEvent(t *testing.T) {
	var s numbering.State
	for _, e := range sampleEvents(t) {
		next := numbering.Evolve(s, e)
		if reflect.DeepEqual(next, s) {
			t.Fatalf("Evolve(%s) did not change the state", e.EventType())
		}
		s = next
	}
}

func TestEventRoundTrip(t *testing.T) {
	wants := []string{
		`{"number":"INV-000007","sequence":7,"invoice_id":"00000000-0000-4000-8000-00000000000a","at":"2026-03-01T09:30:00Z"}`,
		`{"prefix":"INV-","first":8,"invoice_ids":["00000000-0000-4000-8000-00000000000b","00000000-0000-4000-8000-00000000000c"],"at":"2026-03-01T09:30:00Z"}`,
		`{"number":"INV-000007","sequence":7,"invoice_id":"00000000-0000-4000-8000-00000000000a","reason":"never issued","at":"2026-03-01T10:30:00Z"}`,
	}
	for i, e := range sampleEvents(t) {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if want := wants[i]; string(data) != want {
			t.Errorf("JSON %s, want %s", data, want)
		}
		got, err := numbering.DecodeEvent(e.EventType(), data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("round trip: %+v, want %+v", got, e)
		}
	}
	if _, err := numbering.DecodeEvent("NoSuchEvent", []byte(`{}`)); err == nil {
		t.Error("DecodeEvent accepted an unknown type")
	}
	if _, err := numbering.DecodeEvent("InvoiceNumberReserved", []byte(`[`)); err == nil {
		t.Error("DecodeEvent accepted broken JSON")
	}
}

func TestReserveBlock(t *testing.T) {
	invD := uuid.MustParse("00000000-0000-4000-8000-00000000000d")
	decidertest.Run(t, decider, []decidertest.Case[numbering.Command]{
		{
			Name:  "OKBlock",
			Given: []domain.Event{MustReserved(t, "INV-", 1, invA)},
			When:  numbering.ReserveBlock{InvoiceIDs: []uuid.UUID{invB, invA, invC, invB, invD}, Prefix: "INV-", Now: now},
			Then:  []domain.Event{numbering.InvoiceNumbersReserved{Prefix: "INV-", First: 2, InvoiceIDs: []uuid.UUID{invB, invC, invD}, At: now}},
		},
		{
			Name:  "OKOneNewIsASingleReservation",
			Given: []domain.Event{MustReserved(t, "INV-", 1, invA)},
			When:  numbering.ReserveBlock{InvoiceIDs: []uuid.UUID{invA, invB}, Prefix: "INV-", Now: now},
			Then:  []domain.Event{numbering.InvoiceNumberReserved{Number: "INV-000002", Sequence: 2, InvoiceID: invB, At: now}},
		},
		{
			Name:  "AllNumbered",
			Given: []domain.Event{numbering.InvoiceNumbersReserved{Prefix: "INV-", First: 1, InvoiceIDs: []uuid.UUID{invA, invB}, At: now}},
			When:  numbering.ReserveBlock{InvoiceIDs: []uuid.UUID{invB, invA}, Prefix: "INV-", Now: now},
		},
		{Name: "ErrEmpty", When: numbering.ReserveBlock{Prefix: "INV-", Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "invoice_ids").Only()},
		{Name: "ErrNilID", When: numbering.ReserveBlock{InvoiceIDs: []uuid.UUID{invA, uuid.Nil}, Prefix: "INV ", Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "invoice_ids", "prefix").Only()},
	})
}

// TestBlocksAndSinglesFold mixes blocks and single reservations (old
// streams hold only singles) and checks every invoice's number and the
// next one given.
func TestBlocksAndSinglesFold(t *testing.T) {
	invD := uuid.MustParse("00000000-0000-4000-8000-00000000000d")
	log := []domain.Event{
		MustReserved(t, "INV-", 1, invA),
		numbering.InvoiceNumbersReserved{Prefix: "INV-", First: 2, InvoiceIDs: []uuid.UUID{invB, invC}, At: now},
	}
	var s numbering.State
	for _, e := range log {
		s = numbering.Evolve(s, e)
	}
	if !reflect.DeepEqual(s, numbering.Fold(log)) {
		t.Fatal("Fold and repeated Evolve disagree")
	}
	for id, want := range map[uuid.UUID]string{invA: "INV-000001", invB: "INV-000002", invC: "INV-000003"} {
		if got, ok := s.NumberOf(id); !ok || got.Number != want {
			t.Errorf("NumberOf(%s) = %+v, %v; want %s", id, got, ok, want)
		}
	}
	if s.Last != 3 || s.Count() != 3 {
		t.Fatalf("last %d, count %d", s.Last, s.Count())
	}
	got, err := numbering.Decide(s, numbering.Reserve{InvoiceID: invD, Prefix: "INV-", Now: now})
	if err != nil || len(got) != 1 || got[0].(numbering.InvoiceNumberReserved).Number != "INV-000004" {
		t.Fatalf("next after a block: %v, %v", got, err)
	}
	raw, _ := json.Marshal(log[1])
	back, err := numbering.DecodeEvent("InvoiceNumbersReserved", raw)
	if err != nil || !reflect.DeepEqual(back, log[1]) {
		t.Fatalf("round trip: %+v, %v (%s)", back, err, raw)
	}
}
