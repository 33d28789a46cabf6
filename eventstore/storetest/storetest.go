// Package storetest is the one conformance suite every Remit event store
// backend must pass: storetest.Run(t, newStore). It covers the whole contract
// of package eventstore: expected revisions, atomicity, idempotent retries,
// refusal of bad input, reads both ways with filters, and subscriptions that
// deliver every event exactly once in order while many goroutines append.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"remit/eventstore"

	"github.com/google/uuid"
)

// Factory returns a new, empty store; the suite closes it.
type Factory func(t *testing.T) eventstore.Store

// Run runs the whole suite, each part as a subtest with its own store.
func Run(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(*testing.T, eventstore.Store)
	}{
		{"AppendAndReadStream", testAppendAndReadStream},
		{"EnvelopeRoundTrip", testEnvelopeRoundTrip},
		{"ExpectedRevision", testExpectedRevision},
		{"AppendIsAtomic", testAppendIsAtomic},
		{"IdempotentRetry", testIdempotentRetry},
		{"InvalidInput", testInvalidInput},
		{"ReadStreamBackwards", testReadStreamBackwards},
		{"ReadAll", testReadAll},
		{"ReadAllFilters", testReadAllFilters},
		{"ConcurrentExactAppends", testConcurrentExactAppends},
		{"ConcurrentAppendsWithSubscribers", testConcurrentAppendsWithSubscribers},
		{"SubscribeFromStartMiddleEnd", testSubscribeFromStartMiddleEnd},
		{"SubscribeFiltered", testSubscribeFiltered},
		{"SlowSubscriberDoesNotBlockWriters", testSlowSubscriber},
		{"SubscribeStopsOnCancel", testSubscribeStopsOnCancel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

// Event returns an event of type typ whose data is {"n": n}.
func Event(typ string, n int) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: typ, Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n))}
}

// Events returns k events of type typ numbered from n.
func Events(typ string, n, k int) []eventstore.EventData {
	out := make([]eventstore.EventData, k)
	for i := range out {
		out[i] = Event(typ, n+i)
	}
	return out
}

// MustAppend appends or fails the test.
func MustAppend(tb testing.TB, s eventstore.Store, stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) eventstore.AppendResult {
	tb.Helper()
	res, err := s.Append(context.Background(), stream, exp, evs...)
	if err != nil {
		tb.Fatalf("append %s: %v", stream, err)
	}
	return res
}

// MustHead returns the store's head or fails the test.
func MustHead(tb testing.TB, s eventstore.Store) uint64 {
	tb.Helper()
	h, err := s.Head(context.Background())
	if err != nil {
		tb.Fatalf("head: %v", err)
	}
	return h
}

func mustReadStream(tb testing.TB, s eventstore.Store, stream string, from uint64, dir eventstore.Direction, limit int) []eventstore.RecordedEvent {
	tb.Helper()
	evs, err := s.ReadStream(context.Background(), stream, from, dir, limit)
	if err != nil {
		tb.Fatalf("read %s: %v", stream, err)
	}
	return evs
}

func mustReadAll(tb testing.TB, s eventstore.Store, from uint64, dir eventstore.Direction, limit int, f eventstore.Filter) []eventstore.RecordedEvent {
	tb.Helper()
	evs, err := s.ReadAll(context.Background(), from, dir, limit, f)
	if err != nil {
		tb.Fatalf("read all: %v", err)
	}
	return evs
}

func numbers(tb testing.TB, evs []eventstore.RecordedEvent) []int {
	tb.Helper()
	out := make([]int, len(evs))
	for i, e := range evs {
		var d struct{ N int }
		if err := json.Unmarshal(e.Data, &d); err != nil {
			tb.Fatalf("event %d data %s: %v", e.Position, e.Data, err)
		}
		out[i] = d.N
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func seq(from, to int) []int {
	var out []int
	if from <= to {
		for i := from; i <= to; i++ {
			out = append(out, i)
		}
	} else {
		for i := from; i >= to; i-- {
			out = append(out, i)
		}
	}
	return out
}

func testAppendAndReadStream(t *testing.T, s eventstore.Store) {
	res := MustAppend(t, s, "client-a", eventstore.NoStream, Events("ClientCreated", 0, 3)...)
	if res.Revision != 2 {
		t.Fatalf("revision after 3 events = %d, want 2", res.Revision)
	}
	res2 := MustAppend(t, s, "client-a", eventstore.Exact(2), Events("ClientRenamed", 3, 2)...)
	if res2.Revision != 4 || res2.Position <= res.Position {
		t.Fatalf("second append = %+v after %+v", res2, res)
	}
	evs := mustReadStream(t, s, "client-a", 0, eventstore.Forward, 0)
	if got := numbers(t, evs); !equalInts(got, seq(0, 4)) {
		t.Fatalf("read = %v", got)
	}
	for i, e := range evs {
		if e.Revision != uint64(i) || e.Stream != "client-a" {
			t.Errorf("event %d: revision %d stream %q", i, e.Revision, e.Stream)
		}
		if i > 0 && e.Position <= evs[i-1].Position {
			t.Errorf("positions not increasing: %d then %d", evs[i-1].Position, e.Position)
		}
	}
	if got := numbers(t, mustReadStream(t, s, "client-a", 2, eventstore.Forward, 2)); !equalInts(got, []int{2, 3}) {
		t.Fatalf("read from 2 limit 2 = %v", got)
	}
	if got := mustReadStream(t, s, "client-none", 0, eventstore.Forward, 0); len(got) != 0 {
		t.Fatalf("missing stream read %d events", len(got))
	}
	if got := mustReadStream(t, s, "client-a", 9, eventstore.Forward, 0); len(got) != 0 {
		t.Fatalf("read past the end gave %d events", len(got))
	}
	if h := MustHead(t, s); h != res2.Position {
		t.Fatalf("head %d, last append at %d", h, res2.Position)
	}
}

func testEnvelopeRoundTrip(t *testing.T, s eventstore.Store) {
	before := time.Now().Add(-time.Minute)
	e := eventstore.EventData{
		ID: uuid.New(), Type: "InvoiceIssued", SchemaVersion: 3,
		Data:     json.RawMessage(`{"number":"INV-000001","total":"110.00","note":"ünïcödé"}`),
		Metadata: eventstore.Metadata{Actor: "user:alice", CommandID: "cmd-1", CorrelationID: "corr-1", CausationID: "cause-1"},
	}
	plain := Event("InvoiceSent", 1) // schema version 0 is stored as 1
	MustAppend(t, s, "invoice-1", eventstore.NoStream, e, plain)
	got := mustReadStream(t, s, "invoice-1", 0, eventstore.Forward, 0)
	if len(got) != 2 {
		t.Fatalf("read %d events", len(got))
	}
	g := got[0]
	if g.ID != e.ID || g.Type != e.Type || g.SchemaVersion != 3 || g.Stream != "invoice-1" || g.Revision != 0 || g.Position == 0 {
		t.Fatalf("envelope = %+v", g)
	}
	if !jsonEqual(t, g.Data, e.Data) {
		t.Fatalf("data = %s, want %s", g.Data, e.Data)
	}
	m := g.Metadata
	if m.Actor != "user:alice" || m.CommandID != "cmd-1" || m.CorrelationID != "corr-1" || m.CausationID != "cause-1" {
		t.Fatalf("metadata = %+v", m)
	}
	if m.RecordedAt.Before(before) || m.RecordedAt.After(time.Now().Add(time.Minute)) {
		t.Fatalf("recorded at %v is not now", m.RecordedAt)
	}
	if got[1].SchemaVersion != 1 {
		t.Fatalf("default schema version = %d, want 1", got[1].SchemaVersion)
	}
	all := mustReadAll(t, s, 0, eventstore.Forward, 0, eventstore.Filter{})
	if len(all) != 2 || all[0].ID != e.ID || all[0].Metadata.Actor != "user:alice" || !jsonEqual(t, all[0].Data, e.Data) {
		t.Fatalf("read all = %+v", all)
	}
}

func jsonEqual(tb testing.TB, a, b []byte) bool {
	tb.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		tb.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		tb.Fatalf("%s: %v", b, err)
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

func wantWrongVersion(t *testing.T, err error, exists bool, actual uint64) {
	t.Helper()
	if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("err = %v, want ErrWrongExpectedVersion", err)
	}
	var we *eventstore.WrongExpectedVersionError
	if !errors.As(err, &we) {
		t.Fatalf("err %T does not carry the actual revision", err)
	}
	if we.Exists != exists || (exists && we.Actual != actual) {
		t.Fatalf("actual = exists %v revision %d, want exists %v revision %d", we.Exists, we.Actual, exists, actual)
	}
}

func testExpectedRevision(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	_, err := s.Append(ctx, "svc-1", eventstore.StreamExists, Event("A", 0))
	wantWrongVersion(t, err, false, 0)
	_, err = s.Append(ctx, "svc-1", eventstore.Exact(0), Event("A", 0))
	wantWrongVersion(t, err, false, 0)
	if h := MustHead(t, s); h != 0 {
		t.Fatalf("refused appends wrote: head %d", h)
	}
	MustAppend(t, s, "svc-1", eventstore.NoStream, Events("A", 0, 2)...)
	_, err = s.Append(ctx, "svc-1", eventstore.NoStream, Event("A", 2))
	wantWrongVersion(t, err, true, 1)
	_, err = s.Append(ctx, "svc-1", eventstore.Exact(0), Event("A", 2))
	wantWrongVersion(t, err, true, 1)
	_, err = s.Append(ctx, "svc-1", eventstore.Exact(5), Event("A", 2))
	wantWrongVersion(t, err, true, 1)
	head := MustHead(t, s)
	MustAppend(t, s, "svc-1", eventstore.Exact(1), Event("A", 2))
	MustAppend(t, s, "svc-1", eventstore.StreamExists, Event("A", 3))
	MustAppend(t, s, "svc-1", eventstore.Any, Event("A", 4))
	MustAppend(t, s, "svc-2", eventstore.Any, Event("B", 0))
	if got := numbers(t, mustReadStream(t, s, "svc-1", 0, eventstore.Forward, 0)); !equalInts(got, seq(0, 4)) {
		t.Fatalf("svc-1 = %v", got)
	}
	if h := MustHead(t, s); h != head+4 {
		t.Fatalf("head %d, want %d", h, head+4)
	}
	// An append of no events checks the expectation and writes nothing.
	if _, err := s.Append(ctx, "svc-1", eventstore.Exact(4)); err != nil {
		t.Fatalf("empty append with the right revision: %v", err)
	}
	_, err = s.Append(ctx, "svc-1", eventstore.Exact(3))
	wantWrongVersion(t, err, true, 4)
}

func testAppendIsAtomic(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	taken := Event("A", 0)
	MustAppend(t, s, "stream-x", eventstore.NoStream, taken)
	head := MustHead(t, s)
	// The third event reuses an id stored in another stream: the whole append
	// must fail and none of its events may appear.
	evs := append(Events("B", 1, 2), eventstore.EventData{ID: taken.ID, Type: "B", Data: json.RawMessage(`{"n":3}`)})
	_, err := s.Append(ctx, "stream-y", eventstore.NoStream, evs...)
	if !errors.Is(err, eventstore.ErrDuplicateEventID) {
		t.Fatalf("err = %v, want ErrDuplicateEventID", err)
	}
	if got := mustReadStream(t, s, "stream-y", 0, eventstore.Forward, 0); len(got) != 0 {
		t.Fatalf("a failed append left %d events", len(got))
	}
	if h := MustHead(t, s); h != head {
		t.Fatalf("head moved from %d to %d", head, h)
	}
	// The store is still usable and positions carry on without a gap.
	res := MustAppend(t, s, "stream-y", eventstore.NoStream, Events("B", 1, 2)...)
	if res.Position != head+2 {
		t.Fatalf("next append ended at %d, want %d", res.Position, head+2)
	}
}

func testIdempotentRetry(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	first := Events("A", 0, 3)
	res := MustAppend(t, s, "inv-1", eventstore.NoStream, first...)
	head := MustHead(t, s)
	for _, exp := range []eventstore.ExpectedRevision{eventstore.NoStream, eventstore.Any, eventstore.StreamExists} {
		again, err := s.Append(ctx, "inv-1", exp, first...)
		if err != nil {
			t.Fatalf("retry with %v: %v", exp, err)
		}
		if again != res {
			t.Fatalf("retry with %v = %+v, want %+v", exp, again, res)
		}
	}
	second := Events("A", 3, 2)
	res2 := MustAppend(t, s, "inv-1", eventstore.Exact(2), second...)
	head = MustHead(t, s)
	again, err := s.Append(ctx, "inv-1", eventstore.Exact(2), second...)
	if err != nil || again != res2 {
		t.Fatalf("exact retry = %+v, %v; want %+v", again, err, res2)
	}
	if h := MustHead(t, s); h != head {
		t.Fatalf("retries wrote: head %d -> %d", head, h)
	}
	if got := numbers(t, mustReadStream(t, s, "inv-1", 0, eventstore.Forward, 0)); !equalInts(got, seq(0, 4)) {
		t.Fatalf("stream = %v", got)
	}
	// A retry at another place is a conflict, not a silent success.
	_, err = s.Append(ctx, "inv-1", eventstore.Exact(0), second...)
	if err == nil {
		t.Fatal("a retry at the wrong revision succeeded")
	}
	// A partial overlap (known first id, then a new one) is refused.
	mixed := []eventstore.EventData{second[0], Event("A", 9)}
	if _, err := s.Append(ctx, "inv-1", eventstore.Any, mixed...); err == nil {
		t.Fatal("partial overlap accepted")
	}
	// The same id in another stream is a duplicate.
	if _, err := s.Append(ctx, "inv-2", eventstore.Any, first[0]); !errors.Is(err, eventstore.ErrDuplicateEventID) {
		t.Fatalf("id reused in another stream: err = %v", err)
	}
	if h := MustHead(t, s); h != head {
		t.Fatalf("refused appends wrote: head %d -> %d", head, h)
	}
}

func testInvalidInput(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	MustAppend(t, s, "ok-1", eventstore.NoStream, Event("A", 0))
	head := MustHead(t, s)
	good := Event("A", 1)
	dup := Event("A", 2)
	big := eventstore.EventData{ID: uuid.New(), Type: "Big", Data: json.RawMessage(`"` + strings.Repeat("x", eventstore.DefaultMaxEventSize) + `"`)}
	cases := []struct {
		name   string
		stream string
		events []eventstore.EventData
	}{
		{"EmptyStream", "", []eventstore.EventData{good}},
		{"StreamWithSpace", "client 1", []eventstore.EventData{good}},
		{"SystemStream", "$all", []eventstore.EventData{good}},
		{"StreamTooLong", strings.Repeat("s", eventstore.MaxStreamNameLen+1), []eventstore.EventData{good}},
		{"EmptyType", "ok-1", []eventstore.EventData{{ID: uuid.New(), Data: json.RawMessage(`{}`)}}},
		{"DataNotJSON", "ok-1", []eventstore.EventData{{ID: uuid.New(), Type: "A", Data: json.RawMessage(`{"n":`)}}},
		{"EmptyData", "ok-1", []eventstore.EventData{{ID: uuid.New(), Type: "A"}}},
		{"MissingID", "ok-1", []eventstore.EventData{{Type: "A", Data: json.RawMessage(`{}`)}}},
		{"DuplicateIDsInOneAppend", "ok-1", []eventstore.EventData{dup, good, dup}},
		{"OverSizeLimit", "ok-1", []eventstore.EventData{good, big}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Append(ctx, c.stream, eventstore.Any, c.events...)
			if !errors.Is(err, eventstore.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			var ie *eventstore.InvalidError
			if !errors.As(err, &ie) || ie.Field == "" || ie.Reason == "" {
				t.Fatalf("err %#v does not say what is wrong", err)
			}
			if h := MustHead(t, s); h != head {
				t.Fatalf("refused append wrote: head %d -> %d", head, h)
			}
		})
	}
	if _, err := s.ReadStream(ctx, "bad stream", 0, eventstore.Forward, 0); !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("read of a malformed stream name: err = %v", err)
	}
}

func testReadStreamBackwards(t *testing.T, s eventstore.Store) {
	MustAppend(t, s, "b-1", eventstore.NoStream, Events("A", 0, 5)...)
	MustAppend(t, s, "b-2", eventstore.NoStream, Events("A", 100, 2)...)
	if got := numbers(t, mustReadStream(t, s, "b-1", eventstore.End, eventstore.Backward, 0)); !equalInts(got, seq(4, 0)) {
		t.Fatalf("backward from end = %v", got)
	}
	if got := numbers(t, mustReadStream(t, s, "b-1", 3, eventstore.Backward, 2)); !equalInts(got, []int{3, 2}) {
		t.Fatalf("backward from 3 limit 2 = %v", got)
	}
	if got := numbers(t, mustReadStream(t, s, "b-1", eventstore.End, eventstore.Backward, 1)); !equalInts(got, []int{4}) {
		t.Fatalf("last event = %v", got)
	}
}

func testReadAll(t *testing.T, s eventstore.Store) {
	for i := 0; i < 10; i++ {
		MustAppend(t, s, fmt.Sprintf("r-%d", i%3), eventstore.Any, Event("A", i))
	}
	all := mustReadAll(t, s, 0, eventstore.Forward, 0, eventstore.Filter{})
	if got := numbers(t, all); !equalInts(got, seq(0, 9)) {
		t.Fatalf("read all = %v", got)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Position != all[i-1].Position+1 {
			t.Fatalf("gap between positions %d and %d", all[i-1].Position, all[i].Position)
		}
	}
	mid := all[4].Position
	if got := numbers(t, mustReadAll(t, s, mid, eventstore.Forward, 3, eventstore.Filter{})); !equalInts(got, []int{4, 5, 6}) {
		t.Fatalf("from middle limit 3 = %v", got)
	}
	if got := numbers(t, mustReadAll(t, s, eventstore.End, eventstore.Backward, 0, eventstore.Filter{})); !equalInts(got, seq(9, 0)) {
		t.Fatalf("backward = %v", got)
	}
	if got := numbers(t, mustReadAll(t, s, mid, eventstore.Backward, 2, eventstore.Filter{})); !equalInts(got, []int{4, 3}) {
		t.Fatalf("backward from middle = %v", got)
	}
	if got := mustReadAll(t, s, all[9].Position+1, eventstore.Forward, 0, eventstore.Filter{}); len(got) != 0 {
		t.Fatalf("read past the head gave %d events", len(got))
	}
}

func testReadAllFilters(t *testing.T, s eventstore.Store) {
	MustAppend(t, s, "client-1", eventstore.Any, Event("ClientCreated", 0))
	MustAppend(t, s, "invoice-1", eventstore.Any, Event("InvoiceIssued", 1))
	MustAppend(t, s, "client-2", eventstore.Any, Event("ClientCreated", 2))
	MustAppend(t, s, "clientele-1", eventstore.Any, Event("Other", 3))
	MustAppend(t, s, "invoice-1", eventstore.Any, Event("InvoicePaid", 4))
	MustAppend(t, s, "client-1", eventstore.Any, Event("ClientRenamed", 5))
	cases := []struct {
		name string
		f    eventstore.Filter
		want []int
	}{
		{"StreamPrefix", eventstore.Filter{StreamPrefixes: []string{"client-"}}, []int{0, 2, 5}},
		{"TwoPrefixes", eventstore.Filter{StreamPrefixes: []string{"client-", "invoice-"}}, []int{0, 1, 2, 4, 5}},
		{"EventType", eventstore.Filter{EventTypes: []string{"ClientCreated"}}, []int{0, 2}},
		{"TwoTypes", eventstore.Filter{EventTypes: []string{"InvoicePaid", "Other"}}, []int{3, 4}},
		{"PrefixAndType", eventstore.Filter{StreamPrefixes: []string{"client-"}, EventTypes: []string{"ClientRenamed", "InvoicePaid"}}, []int{5}},
		{"NoMatch", eventstore.Filter{EventTypes: []string{"Nope"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := numbers(t, mustReadAll(t, s, 0, eventstore.Forward, 0, c.f))
			if !equalInts(got, c.want) {
				t.Fatalf("forward = %v, want %v", got, c.want)
			}
			back := numbers(t, mustReadAll(t, s, eventstore.End, eventstore.Backward, 0, c.f))
			for i, j := 0, len(back)-1; i < j; i, j = i+1, j-1 {
				back[i], back[j] = back[j], back[i]
			}
			if !equalInts(back, c.want) {
				t.Fatalf("backward (reversed) = %v, want %v", back, c.want)
			}
			for _, e := range mustReadAll(t, s, 0, eventstore.Forward, 0, c.f) {
				if !c.f.Match(e.Stream, e.Type) {
					t.Fatalf("event %s/%s does not match %+v", e.Stream, e.Type, c.f)
				}
			}
			if len(c.want) > 1 {
				if got := numbers(t, mustReadAll(t, s, 0, eventstore.Forward, 1, c.f)); !equalInts(got, c.want[:1]) {
					t.Fatalf("limit 1 = %v", got)
				}
			}
		})
	}
}

func testConcurrentExactAppends(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	const goroutines, rounds = 8, 25
	MustAppend(t, s, "race-1", eventstore.NoStream, Event("Init", -1))
	var mu sync.Mutex
	winners := map[uint64]int{} // revision -> goroutine
	var conflicts int
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				last, err := s.ReadStream(ctx, "race-1", eventstore.End, eventstore.Backward, 1)
				if err != nil || len(last) != 1 {
					t.Errorf("read last: %v", err)
					return
				}
				rev := last[0].Revision
				res, err := s.Append(ctx, "race-1", eventstore.Exact(rev), Event("Step", g*1000+r))
				mu.Lock()
				switch {
				case err == nil:
					if prev, taken := winners[res.Revision]; taken {
						t.Errorf("revision %d won twice (goroutines %d and %d)", res.Revision, prev, g)
					}
					winners[res.Revision] = g
				case errors.Is(err, eventstore.ErrWrongExpectedVersion):
					conflicts++
				default:
					t.Errorf("append: %v", err)
				}
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	evs := mustReadStream(t, s, "race-1", 0, eventstore.Forward, 0)
	if len(evs) != len(winners)+1 {
		t.Fatalf("stream has %d events, %d appends won", len(evs), len(winners))
	}
	if len(winners)+conflicts != goroutines*rounds {
		t.Fatalf("%d wins + %d conflicts != %d attempts", len(winners), conflicts, goroutines*rounds)
	}
	for i, e := range evs {
		if e.Revision != uint64(i) {
			t.Fatalf("event %d has revision %d", i, e.Revision)
		}
	}
}

// collect subscribes from `from` and gathers events until it has want of them
// or the deadline passes.
func collect(ctx context.Context, s eventstore.Store, from uint64, f eventstore.Filter, want int, out chan<- []eventstore.RecordedEvent, errs chan<- error) {
	var got []eventstore.RecordedEvent
	for e, err := range s.Subscribe(ctx, from, f) {
		if err != nil {
			errs <- fmt.Errorf("after %d events: %w", len(got), err)
			out <- got
			return
		}
		got = append(got, e)
		if len(got) == want {
			break
		}
	}
	out <- got
}

func testConcurrentAppendsWithSubscribers(t *testing.T, s eventstore.Store) {
	const writers, appends, subscribers = 16, 40, 3
	total := 0
	for w := 0; w < writers; w++ {
		for a := 0; a < appends; a++ {
			total += 1 + a%3
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := make(chan []eventstore.RecordedEvent, subscribers)
	errs := make(chan error, subscribers)
	for i := 0; i < subscribers; i++ {
		go collect(ctx, s, 0, eventstore.Filter{}, total, out, errs)
	}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			stream := fmt.Sprintf("writer-%d", w)
			for a := 0; a < appends; a++ {
				if _, err := s.Append(ctx, stream, eventstore.Any, Events("W", w*10000+a*10, 1+a%3)...); err != nil {
					t.Errorf("append: %v", err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	for i := 0; i < subscribers; i++ {
		got := <-out
		select {
		case err := <-errs:
			t.Fatalf("subscriber %d: %v", i, err)
		default:
		}
		if len(got) != total {
			t.Fatalf("subscriber %d saw %d events, want %d", i, len(got), total)
		}
		seen := map[uuid.UUID]bool{}
		for j, e := range got {
			if j > 0 && e.Position <= got[j-1].Position {
				t.Fatalf("subscriber %d: position %d after %d", i, e.Position, got[j-1].Position)
			}
			if seen[e.ID] {
				t.Fatalf("subscriber %d saw event %s twice", i, e.ID)
			}
			seen[e.ID] = true
		}
		all := mustReadAll(t, s, 0, eventstore.Forward, 0, eventstore.Filter{})
		for j := range all {
			if all[j].ID != got[j].ID {
				t.Fatalf("subscriber %d: event %d is %s, the log has %s", i, j, got[j].ID, all[j].ID)
			}
		}
	}
}

func testSubscribeFromStartMiddleEnd(t *testing.T, s eventstore.Store) {
	for i := 0; i < 20; i++ {
		MustAppend(t, s, "sub-1", eventstore.Any, Event("A", i))
	}
	all := mustReadAll(t, s, 0, eventstore.Forward, 0, eventstore.Filter{})
	head := all[len(all)-1].Position
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cases := []struct {
		name string
		from uint64
		want []int // including the 5 live events 100..104
	}{
		{"Start", 0, append(seq(0, 19), seq(100, 104)...)},
		{"Middle", all[12].Position, append(seq(12, 19), seq(100, 104)...)},
		{"End", head + 1, seq(100, 104)},
	}
	outs := make([]chan []eventstore.RecordedEvent, len(cases))
	errs := make(chan error, len(cases))
	for i, c := range cases {
		outs[i] = make(chan []eventstore.RecordedEvent, 1)
		go collect(ctx, s, c.from, eventstore.Filter{}, len(c.want), outs[i], errs)
	}
	for i := 100; i < 105; i++ {
		MustAppend(t, s, "sub-2", eventstore.Any, Event("B", i))
	}
	for i, c := range cases {
		got := numbers(t, <-outs[i])
		if !equalInts(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

func testSubscribeFiltered(t *testing.T, s eventstore.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := 0; i < 600; i++ { // more than one read batch of events that do not match
		MustAppend(t, s, "noise-1", eventstore.Any, Event("Noise", i))
	}
	MustAppend(t, s, "invoice-1", eventstore.Any, Event("InvoiceIssued", 0))
	out := make(chan []eventstore.RecordedEvent, 1)
	errs := make(chan error, 1)
	go collect(ctx, s, 0, eventstore.Filter{StreamPrefixes: []string{"invoice-"}}, 3, out, errs)
	for i := 0; i < 600; i++ {
		MustAppend(t, s, "noise-1", eventstore.Any, Event("Noise", i))
	}
	MustAppend(t, s, "invoice-2", eventstore.Any, Event("InvoiceIssued", 1))
	MustAppend(t, s, "noise-2", eventstore.Any, Event("Noise", 0))
	MustAppend(t, s, "invoice-1", eventstore.Any, Event("InvoicePaid", 2))
	got := <-out
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if n := numbers(t, got); !equalInts(n, []int{0, 1, 2}) {
		t.Fatalf("filtered subscription = %v", n)
	}
	for _, e := range got {
		if !strings.HasPrefix(e.Stream, "invoice-") {
			t.Fatalf("got event of %s", e.Stream)
		}
	}
}

func testSlowSubscriber(t *testing.T, s eventstore.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	MustAppend(t, s, "slow-1", eventstore.Any, Event("A", 0))
	stuck := make(chan struct{})
	release := make(chan struct{})
	var got []int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e, err := range s.Subscribe(ctx, 0, eventstore.Filter{}) {
			if err != nil {
				return
			}
			if len(got) == 0 {
				close(stuck)
				<-release // a subscriber that stops reading for a while
			}
			got = append(got, numbers(t, []eventstore.RecordedEvent{e})...)
			if len(got) == 1001 {
				return
			}
		}
	}()
	<-stuck
	// The writers must finish while the subscriber is stuck. If an append
	// waited for the subscriber this would never return; the generous
	// deadline only turns such a hang into a failure.
	finished := make(chan error, 1)
	go func() {
		for i := 1; i <= 1000; i++ {
			if _, err := s.Append(ctx, "slow-1", eventstore.Any, Event("A", i)); err != nil {
				finished <- err
				return
			}
		}
		finished <- nil
	}()
	select {
	case err := <-finished:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("writers were blocked by a subscriber that stopped reading")
	}
	close(release)
	<-done
	if !equalInts(got, seq(0, 1000)) {
		t.Fatalf("slow subscriber saw %d events, want 1001 in order", len(got))
	}
}

func testSubscribeStopsOnCancel(t *testing.T, s eventstore.Store) {
	MustAppend(t, s, "c-1", eventstore.Any, Event("A", 0))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last error
	n := 0
	for e, err := range s.Subscribe(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			last = err
			break
		}
		n++
		if e.Position > 0 {
			cancel()
		}
	}
	if n != 1 || !errors.Is(last, context.Canceled) {
		t.Fatalf("after cancel: %d events, last error %v", n, last)
	}
}
