// Package storetest is the one conformance suite every Remit event store
// backend must pass: storetest.Run(t, newStore), or RunWith with Options for
// a backend that promises less than the embedded store (KurrentDB). It
// covers the whole contract of package eventstore: expected revisions,
// atomicity, idempotent retries, refusal of bad input, reads both ways with
// filters, and subscriptions that deliver every event exactly once in order
// while many goroutines append.
//
// The suite runs on an empty store or on one that holds events already (a
// real KurrentDB server used for tests is shared and reused between runs).
// Each test takes the store's head when it starts, writes only to streams
// whose names begin with a prefix unique to it, tags the event types it
// filters on with a prefix unique to it, and reads $all from after that
// head. What it needs is that nobody else writes to the store while it
// runs, so that every event after the head is its own: that is itself
// checked (events a backend must hide, such as KurrentDB's system events,
// may be there; they must not be returned). Reads that reach back before
// the head (backwards from the end, subscriptions from position 0) filter
// on the test's prefix, or check only the part of the answer that is new.
//
// Positions are checked to increase strictly everywhere. Unless
// Options.SparsePositions is set, the suite also checks that they are
// consecutive: the events a test writes are numbered head+1, head+2, …,
// and a refused append leaves no gap.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"remit/eventstore"

	"github.com/google/uuid"
)

// Factory returns a store for one test; the suite closes it. It may be a
// new, empty store, or a new connection to a store that holds events
// already, provided nobody else writes to that store while the suite runs.
type Factory func(t *testing.T) eventstore.Store

// Options say what a backend does not promise. The zero value asks for
// everything the embedded store does.
type Options struct {
	// SparsePositions: global positions increase strictly but are not
	// consecutive (KurrentDB's are offsets in its transaction log, and its
	// own system events take positions too). The suite then checks order
	// only, not that the events a test writes are numbered head+1, head+2…
	SparsePositions bool
	// EventIDsPerStream: event ids are checked within a stream only
	// (KurrentDB), so an id stored in another stream is accepted. The suite
	// then neither expects ErrDuplicateEventID for such an id nor uses it to
	// make an append fail halfway; atomicity is checked with the appends the
	// backend does refuse (a stale expected revision, a retry that is only
	// partly the earlier append).
	EventIDsPerStream bool
}

// Run runs the whole suite with the embedded store's promises (dense
// positions, event ids unique across the store), each part as a subtest
// with its own store from newStore.
func Run(t *testing.T, newStore Factory) { RunWith(t, newStore, Options{}) }

// RunWith runs the whole suite with opts.
func RunWith(t *testing.T, newStore Factory, opts Options) {
	tests := []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"AppendAndReadStream", testAppendAndReadStream},
		{"EnvelopeRoundTrip", testEnvelopeRoundTrip},
		{"ExpectedRevision", testExpectedRevision},
		{"AppendIsAtomic", testAppendIsAtomic},
		{"IdempotentRetry", testIdempotentRetry},
		{"AppendMany", testAppendMany},
		{"AppendManyRetried", testAppendManyRetried},
		{"AppendAtomic", testAppendAtomic},
		{"AppendAtomicConcurrent", testAppendAtomicConcurrent},
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
			tc.fn(t, newEnv(t, s, opts))
		})
	}
}

// env is what one test works in: the store, a stream-name prefix and an
// event-type prefix of its own, and the store's head when it began.
type env struct {
	s    eventstore.Store
	opts Options
	ns   string
	tag  string
	head uint64
}

func newEnv(t *testing.T, s eventstore.Store, opts Options) *env {
	t.Helper()
	id := strings.ReplaceAll(uuid.NewString(), "-", "")[:10]
	e := &env{s: s, opts: opts, ns: "st" + id + "-", tag: "T" + id + ".", head: MustHead(t, s)}
	// The head is the position of the last event a reader can see.
	last := mustReadAll(t, s, eventstore.End, eventstore.Backward, 1, eventstore.Filter{})
	checkVisible(t, last)
	if len(last) == 1 && last[0].Position != e.head || len(last) == 0 && e.head != 0 {
		t.Fatalf("head %d, but the last event read backwards from the end is %+v", e.head, last)
	}
	return e
}

// stream is the test's own stream called name.
func (e *env) stream(name string) string { return e.ns + name }

// typ is the test's own event type called name, for tests that filter on
// types (a type filter would otherwise match earlier runs' events). The tag
// comes first, so that e.typ("Client") is a prefix of e.typ("ClientCreated")
// as "Client" is of "ClientCreated".
func (e *env) typ(name string) string { return e.tag + name }

// start is the first position the test's events can have.
func (e *env) start() uint64 { return e.head + 1 }

// mine is the filter that selects the test's own events.
func (e *env) mine() eventstore.Filter { return eventstore.Filter{StreamPrefixes: []string{e.ns}} }

// since reads $all forward, unfiltered, from after the head the test
// started at, and checks that all it returns is the test's own (nobody
// else writes while a test runs; hidden events must stay hidden) and that
// positions increase: strictly, and without a gap from head+1 unless
// positions are sparse.
func (e *env) since(tb testing.TB) []eventstore.RecordedEvent {
	tb.Helper()
	evs := mustReadAll(tb, e.s, e.start(), eventstore.Forward, 0, eventstore.Filter{})
	for _, ev := range evs {
		if !strings.HasPrefix(ev.Stream, e.ns) {
			tb.Fatalf("$all after the head %d holds %s/%s (at %d), which this test did not write", e.head, ev.Stream, ev.Type, ev.Position)
		}
	}
	e.checkPositions(tb, evs)
	return evs
}

// checkVisible checks that evs, read from a part of the log the test did
// not write, hold only events Remit could have written: a backend's own
// events (KurrentDB's "$"-prefixed system streams) must stay hidden.
func checkVisible(tb testing.TB, evs []eventstore.RecordedEvent) {
	tb.Helper()
	for _, ev := range evs {
		if err := eventstore.ValidateStreamName(ev.Stream); err != nil {
			tb.Fatalf("a read returned event %s/%s at %d, which no append can write: %v", ev.Stream, ev.Type, ev.Position, err)
		}
	}
}

// checkPositions checks the positions of evs, events the test wrote, read
// forward: all after the head, strictly increasing, and numbered head+1,
// head+2… unless positions are sparse.
func (e *env) checkPositions(tb testing.TB, evs []eventstore.RecordedEvent) {
	tb.Helper()
	for i, ev := range evs {
		switch {
		case ev.Position <= e.head:
			tb.Fatalf("event %s at %d is not after the head %d", ev.ID, ev.Position, e.head)
		case i > 0 && ev.Position <= evs[i-1].Position:
			tb.Fatalf("positions not increasing: %d then %d", evs[i-1].Position, ev.Position)
		case !e.opts.SparsePositions && ev.Position != e.head+1+uint64(i):
			tb.Fatalf("event %d after the head %d is at %d: positions must be consecutive", i, e.head, ev.Position)
		}
	}
}

// wantHead checks that the store's head is want.
func (e *env) wantHead(tb testing.TB, want uint64, why string) {
	tb.Helper()
	if h := MustHead(tb, e.s); h != want {
		tb.Fatalf("%s: head %d, want %d", why, h, want)
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

// backwardFromEnd reads $all backwards from the end with filter f and
// checks that it starts with the test's events want (newest first) and goes
// on, if at all, only with events from before the test, in strictly
// decreasing order. It returns the test's part.
func (e *env) backwardFromEnd(tb testing.TB, f eventstore.Filter, want int) []eventstore.RecordedEvent {
	tb.Helper()
	evs := mustReadAll(tb, e.s, eventstore.End, eventstore.Backward, 0, f)
	if len(evs) < want {
		tb.Fatalf("backward from the end: %d events, want at least this test's %d", len(evs), want)
	}
	checkVisible(tb, evs)
	for i, ev := range evs {
		if i > 0 && ev.Position >= evs[i-1].Position {
			tb.Fatalf("backward: position %d after %d", ev.Position, evs[i-1].Position)
		}
		if i >= want && ev.Position > e.head {
			tb.Fatalf("backward: event %d (%s/%s at %d) is after the head %d but not one of this test's %d", i, ev.Stream, ev.Type, ev.Position, e.head, want)
		}
		if i < want && !strings.HasPrefix(ev.Stream, e.ns) {
			tb.Fatalf("backward: event %d is %s/%s, not this test's", i, ev.Stream, ev.Type)
		}
	}
	return evs[:want]
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

func testAppendAndReadStream(t *testing.T, e *env) {
	s, a := e.s, e.stream("client-a")
	res := MustAppend(t, s, a, eventstore.NoStream, Events("ClientCreated", 0, 3)...)
	if res.Revision != 2 || res.Position <= e.head {
		t.Fatalf("first append = %+v on a store whose head was %d", res, e.head)
	}
	res2 := MustAppend(t, s, a, eventstore.Exact(2), Events("ClientRenamed", 3, 2)...)
	if res2.Revision != 4 || res2.Position <= res.Position {
		t.Fatalf("second append = %+v after %+v", res2, res)
	}
	evs := mustReadStream(t, s, a, 0, eventstore.Forward, 0)
	if got := numbers(t, evs); !equalInts(got, seq(0, 4)) {
		t.Fatalf("read = %v", got)
	}
	for i, ev := range evs {
		if ev.Revision != uint64(i) || ev.Stream != a {
			t.Errorf("event %d: revision %d stream %q", i, ev.Revision, ev.Stream)
		}
		if i > 0 && ev.Position <= evs[i-1].Position {
			t.Errorf("positions not increasing: %d then %d", evs[i-1].Position, ev.Position)
		}
	}
	// An append's result is the position of its last event.
	if evs[2].Position != res.Position || evs[4].Position != res2.Position {
		t.Fatalf("events at %d and %d, appends said %d and %d", evs[2].Position, evs[4].Position, res.Position, res2.Position)
	}
	if got := numbers(t, mustReadStream(t, s, a, 2, eventstore.Forward, 2)); !equalInts(got, []int{2, 3}) {
		t.Fatalf("read from 2 limit 2 = %v", got)
	}
	if got := mustReadStream(t, s, e.stream("client-none"), 0, eventstore.Forward, 0); len(got) != 0 {
		t.Fatalf("missing stream read %d events", len(got))
	}
	if got := mustReadStream(t, s, a, 9, eventstore.Forward, 0); len(got) != 0 {
		t.Fatalf("read past the end gave %d events", len(got))
	}
	e.wantHead(t, res2.Position, "after two appends")
	if all := e.since(t); len(all) != 5 || all[0].ID != evs[0].ID || all[4].ID != evs[4].ID {
		t.Fatalf("$all after the head has %d events, want the stream's 5", len(all))
	}
}

func testEnvelopeRoundTrip(t *testing.T, e *env) {
	s := e.s
	before := time.Now().Add(-time.Minute)
	ev := eventstore.EventData{
		ID: uuid.New(), Type: "InvoiceIssued", SchemaVersion: 3,
		Data:     json.RawMessage(`{"number":"INV-000001","total":"110.00","note":"ünïcödé"}`),
		Metadata: eventstore.Metadata{Actor: "user:alice", CommandID: "cmd-1", CorrelationID: "corr-1", CausationID: "cause-1"},
	}
	plain := Event("InvoiceSent", 1) // schema version 0 is stored as 1
	inv := e.stream("invoice-1")
	MustAppend(t, s, inv, eventstore.NoStream, ev, plain)
	got := mustReadStream(t, s, inv, 0, eventstore.Forward, 0)
	if len(got) != 2 {
		t.Fatalf("read %d events", len(got))
	}
	g := got[0]
	if g.ID != ev.ID || g.Type != ev.Type || g.SchemaVersion != 3 || g.Stream != inv || g.Revision != 0 || g.Position <= e.head {
		t.Fatalf("envelope = %+v", g)
	}
	if !jsonEqual(t, g.Data, ev.Data) {
		t.Fatalf("data = %s, want %s", g.Data, ev.Data)
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
	all := e.since(t)
	if len(all) != 2 || all[0].ID != ev.ID || all[0].Position != g.Position || all[0].Metadata.Actor != "user:alice" || !jsonEqual(t, all[0].Data, ev.Data) {
		t.Fatalf("read all = %+v", all)
	}
}

func testExpectedRevision(t *testing.T, e *env) {
	ctx, s := context.Background(), e.s
	svc1, svc2 := e.stream("svc-1"), e.stream("svc-2")
	_, err := s.Append(ctx, svc1, eventstore.StreamExists, Event("A", 0))
	wantWrongVersion(t, err, false, 0)
	_, err = s.Append(ctx, svc1, eventstore.Exact(0), Event("A", 0))
	wantWrongVersion(t, err, false, 0)
	e.wantHead(t, e.head, "refused appends wrote")
	MustAppend(t, s, svc1, eventstore.NoStream, Events("A", 0, 2)...)
	_, err = s.Append(ctx, svc1, eventstore.NoStream, Event("A", 2))
	wantWrongVersion(t, err, true, 1)
	_, err = s.Append(ctx, svc1, eventstore.Exact(0), Event("A", 2))
	wantWrongVersion(t, err, true, 1)
	_, err = s.Append(ctx, svc1, eventstore.Exact(5), Event("A", 2))
	wantWrongVersion(t, err, true, 1)
	MustAppend(t, s, svc1, eventstore.Exact(1), Event("A", 2))
	MustAppend(t, s, svc1, eventstore.StreamExists, Event("A", 3))
	MustAppend(t, s, svc1, eventstore.Any, Event("A", 4))
	last := MustAppend(t, s, svc2, eventstore.Any, Event("B", 0))
	if got := numbers(t, mustReadStream(t, s, svc1, 0, eventstore.Forward, 0)); !equalInts(got, seq(0, 4)) {
		t.Fatalf("svc-1 = %v", got)
	}
	e.wantHead(t, last.Position, "after the appends")
	if all := e.since(t); len(all) != 6 {
		t.Fatalf("$all after the head has %d events, want 6 (refused appends wrote?)", len(all))
	}
	// An append of no events checks the expectation and writes nothing.
	if _, err := s.Append(ctx, svc1, eventstore.Exact(4)); err != nil {
		t.Fatalf("empty append with the right revision: %v", err)
	}
	_, err = s.Append(ctx, svc1, eventstore.Exact(3))
	wantWrongVersion(t, err, true, 4)
	e.wantHead(t, last.Position, "empty appends wrote")
}

func testAppendIsAtomic(t *testing.T, e *env) {
	ctx, s := context.Background(), e.s
	x, y := e.stream("stream-x"), e.stream("stream-y")
	taken := Event("A", 0)
	first := MustAppend(t, s, x, eventstore.NoStream, taken)
	type refusal struct {
		name   string
		stream string
		exp    eventstore.ExpectedRevision
		events []eventstore.EventData
		want   error // nil: any error
	}
	refused := []refusal{
		// A stale expected revision refuses all of a several-event append.
		{"StaleRevision", y, eventstore.Exact(7), Events("B", 1, 3), eventstore.ErrWrongExpectedVersion},
		// A "retry" that is the earlier append followed by new events is
		// not a retry: none of the new events may be written.
		{"PartialRetry", x, eventstore.Any, append([]eventstore.EventData{taken}, Events("B", 1, 2)...), nil},
	}
	if !e.opts.EventIDsPerStream {
		// The third event reuses an id stored in another stream: the append
		// fails after its first events were considered, and none may appear.
		dup := append(Events("B", 1, 2), eventstore.EventData{ID: taken.ID, Type: "B", Data: json.RawMessage(`{"n":3}`)})
		refused = append(refused, refusal{"IDStoredElsewhere", y, eventstore.NoStream, dup, eventstore.ErrDuplicateEventID})
	}
	for _, c := range refused {
		_, err := s.Append(ctx, c.stream, c.exp, c.events...)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Fatalf("%s: err = %v, want %v", c.name, err, c.want)
		}
		if got := mustReadStream(t, s, y, 0, eventstore.Forward, 0); len(got) != 0 {
			t.Fatalf("%s: a failed append left %d events in %s", c.name, len(got), y)
		}
		if got := mustReadStream(t, s, x, 0, eventstore.Forward, 0); len(got) != 1 {
			t.Fatalf("%s: a failed append left %d events in %s, want its 1", c.name, len(got), x)
		}
		e.wantHead(t, first.Position, c.name+": the head moved")
	}
	// The store is still usable and positions carry on (without a gap,
	// unless they are sparse: checked by since).
	res := MustAppend(t, s, y, eventstore.NoStream, Events("B", 1, 2)...)
	all := e.since(t)
	if got := numbers(t, all); !equalInts(got, seq(0, 2)) || all[2].Position != res.Position {
		t.Fatalf("$all after the head = %v, the last at %d; want [0 1 2], the last at %d", got, all[len(all)-1].Position, res.Position)
	}
}

func testIdempotentRetry(t *testing.T, e *env) {
	ctx, s := context.Background(), e.s
	inv1 := e.stream("inv-1")
	first := Events("A", 0, 3)
	res := MustAppend(t, s, inv1, eventstore.NoStream, first...)
	for _, exp := range []eventstore.ExpectedRevision{eventstore.NoStream, eventstore.Any, eventstore.StreamExists} {
		again, err := s.Append(ctx, inv1, exp, first...)
		if err != nil {
			t.Fatalf("retry with %v: %v", exp, err)
		}
		if again != res {
			t.Fatalf("retry with %v = %+v, want %+v", exp, again, res)
		}
	}
	second := Events("A", 3, 2)
	res2 := MustAppend(t, s, inv1, eventstore.Exact(2), second...)
	head := MustHead(t, s)
	again, err := s.Append(ctx, inv1, eventstore.Exact(2), second...)
	if err != nil || again != res2 {
		t.Fatalf("exact retry = %+v, %v; want %+v", again, err, res2)
	}
	e.wantHead(t, head, "retries wrote")
	if got := numbers(t, mustReadStream(t, s, inv1, 0, eventstore.Forward, 0)); !equalInts(got, seq(0, 4)) {
		t.Fatalf("stream = %v", got)
	}
	// A retry at another place is a conflict, not a silent success.
	_, err = s.Append(ctx, inv1, eventstore.Exact(0), second...)
	if err == nil {
		t.Fatal("a retry at the wrong revision succeeded")
	}
	// A partial overlap (known first id, then a new one) is refused.
	mixed := []eventstore.EventData{second[0], Event("A", 9)}
	if _, err := s.Append(ctx, inv1, eventstore.Any, mixed...); err == nil {
		t.Fatal("partial overlap accepted")
	}
	// The same id in another stream is a duplicate.
	if !e.opts.EventIDsPerStream {
		if _, err := s.Append(ctx, e.stream("inv-2"), eventstore.Any, first[0]); !errors.Is(err, eventstore.ErrDuplicateEventID) {
			t.Fatalf("id reused in another stream: err = %v", err)
		}
	}
	e.wantHead(t, head, "refused appends wrote")
	if all := e.since(t); len(all) != 5 {
		t.Fatalf("$all after the head has %d events, want 5", len(all))
	}
}

// testAppendMany: a block of appends to several streams (AppendMany, the
// backend's own or the fallback) answers each append as Append would have
// answered it alone: each is checked against its own expected revision and
// is atomic, and one refused leaves the others written.
func testAppendMany(t *testing.T, e *env) {
	ctx, s := context.Background(), e.s
	old, fresh, stale, bad := e.stream("many-old"), e.stream("many-new"), e.stream("many-stale"), e.stream("many-bad")
	MustAppend(t, s, old, eventstore.NoStream, Events("A", 0, 2)...)
	MustAppend(t, s, stale, eventstore.NoStream, Event("C", 0))
	head := MustHead(t, s)
	block := []eventstore.StreamAppend{
		{Stream: old, Expected: eventstore.Exact(1), Events: Events("A", 2, 2)},
		{Stream: stale, Expected: eventstore.Exact(5), Events: Events("C", 1, 2)},
		{Stream: fresh, Expected: eventstore.NoStream, Events: Events("B", 0, 3)},
		{Stream: bad, Expected: eventstore.Any, Events: []eventstore.EventData{{ID: uuid.New(), Type: "B", Data: json.RawMessage(`{not json`)}}},
	}
	outs, err := eventstore.AppendMany(ctx, s, block)
	if err != nil {
		t.Fatalf("append many: %v", err)
	}
	if len(outs) != len(block) {
		t.Fatalf("%d outcomes for %d appends", len(outs), len(block))
	}
	if outs[0].Err != nil || outs[0].Result.Revision != 3 {
		t.Fatalf("append to an existing stream at its revision = %+v", outs[0])
	}
	wantWrongVersion(t, outs[1].Err, true, 0)
	if outs[2].Err != nil || outs[2].Result.Revision != 2 {
		t.Fatalf("append to a new stream = %+v", outs[2])
	}
	if !errors.Is(outs[3].Err, eventstore.ErrInvalid) {
		t.Fatalf("append of bad data: err = %v, want ErrInvalid", outs[3].Err)
	}
	e.wantHead(t, max(outs[0].Result.Position, outs[2].Result.Position), "after the block")
	if got := numbers(t, mustReadStream(t, s, old, 0, eventstore.Forward, 0)); !equalInts(got, seq(0, 3)) {
		t.Fatalf("%s = %v", old, got)
	}
	if got := numbers(t, mustReadStream(t, s, fresh, 0, eventstore.Forward, 0)); !equalInts(got, seq(0, 2)) {
		t.Fatalf("%s = %v", fresh, got)
	}
	if got := mustReadStream(t, s, stale, 0, eventstore.Forward, 0); len(got) != 1 {
		t.Fatalf("the refused append left %d events in %s, want its 1", len(got), stale)
	}
	if got := mustReadStream(t, s, bad, 0, eventstore.Forward, 0); len(got) != 0 {
		t.Fatalf("the invalid append left %d events", len(got))
	}
	if all := mustReadAll(t, s, head+1, eventstore.Forward, 0, e.mine()); len(all) != 5 {
		t.Fatalf("the block wrote %d events, want 5", len(all))
	}
	// A block naming one stream twice is refused whole.
	twice := []eventstore.StreamAppend{
		{Stream: e.stream("many-twice"), Expected: eventstore.NoStream, Events: Events("D", 0, 1)},
		{Stream: e.stream("many-twice"), Expected: eventstore.Exact(0), Events: Events("D", 1, 1)},
	}
	if _, err := eventstore.AppendMany(ctx, s, twice); !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("a block naming a stream twice: err = %v, want ErrInvalid", err)
	}
	e.wantHead(t, max(outs[0].Result.Position, outs[2].Result.Position), "a refused block wrote")
	// An empty block is answered with no outcomes.
	if outs, err := eventstore.AppendMany(ctx, s, nil); err != nil || len(outs) != 0 {
		t.Fatalf("empty block = %v, %v", outs, err)
	}
}

// testAppendManyRetried: the same block again (a caller retrying after a
// crash or a lost answer) is answered with the first results and writes
// nothing; a block of many appends (as a billing run makes) is written
// whole, and a retry of it with one stream moved on is refused for that
// stream only.
func testAppendManyRetried(t *testing.T, e *env) {
	ctx, s := context.Background(), e.s
	const n = 300
	block := make([]eventstore.StreamAppend, n)
	for i := range block {
		block[i] = eventstore.StreamAppend{Stream: e.stream(fmt.Sprintf("inv-%d", i)), Expected: eventstore.NoStream, Events: Events("A", 2*i, 2)}
	}
	first, err := eventstore.AppendMany(ctx, s, block)
	if err != nil {
		t.Fatalf("append many: %v", err)
	}
	for i, o := range first {
		if o.Err != nil || o.Result.Revision != 1 {
			t.Fatalf("append %d = %+v", i, o)
		}
	}
	head := MustHead(t, s)
	MustAppend(t, s, block[7].Stream, eventstore.Exact(1), Event("B", 0))
	head2 := MustHead(t, s)
	again, err := eventstore.AppendMany(ctx, s, block)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	for i, o := range again {
		if o != first[i] {
			t.Fatalf("retried append %d = %+v, want the first result %+v", i, o, first[i])
		}
	}
	e.wantHead(t, head2, "the retried block wrote")
	block[7].Events = Events("C", 0, 1) // new events, expecting no stream
	block[8].Events = Events("C", 1, 1)
	block[8].Expected = eventstore.Exact(1)
	third, err := eventstore.AppendMany(ctx, s, block)
	if err != nil {
		t.Fatalf("third: %v", err)
	}
	wantWrongVersion(t, third[7].Err, true, 2)
	if third[8].Err != nil || third[8].Result.Revision != 2 || third[8].Result.Position <= head2 {
		t.Fatalf("append to inv-8 at its revision = %+v", third[8])
	}
	if all := e.since(t); len(all) != 2*n+2 || all[2*n-1].Position != head || all[2*n].Position != head2 {
		t.Fatalf("$all after the head has %d events, want %d", len(all), 2*n+2)
	}
}

// testAppendAtomic: a block of appends to several streams made all or none
// (AppendAtomic, on a backend that has it; the others answer ErrNotAtomic
// and write nothing): one refused append (a stale revision, an id stored
// elsewhere halfway through an append, bad input) leaves every stream of
// the block as it was; the same block again is an idempotent retry.
func testAppendAtomic(t *testing.T, e *env) {
	ctx, s := context.Background(), e.s
	numbers, inv := e.stream("atomic-numbers"), e.stream("atomic-inv")
	taken := Event("A", 0)
	MustAppend(t, s, numbers, eventstore.NoStream, taken)
	head := MustHead(t, s)
	calls := 0
	queued := func() { calls++ }
	block := []eventstore.StreamAppend{
		{Stream: numbers, Expected: eventstore.Exact(0), Events: Events("A", 1, 1)},
		{Stream: inv, Expected: eventstore.NoStream, Events: Events("B", 0, 2)},
	}
	if _, ok := s.(eventstore.AtomicAppender); !ok {
		if _, err := eventstore.AppendAtomic(ctx, s, block, queued); !errors.Is(err, eventstore.ErrNotAtomic) || calls != 0 {
			t.Fatalf("AppendAtomic on a store without it: err = %v, queued %d times; want ErrNotAtomic, never", err, calls)
		}
		e.wantHead(t, head, "a refused block wrote")
		return
	}
	unchanged := func(why string) {
		t.Helper()
		if got := mustReadStream(t, s, numbers, 0, eventstore.Forward, 0); len(got) != 1 {
			t.Fatalf("%s: %s holds %d events, want its 1", why, numbers, len(got))
		}
		if got := mustReadStream(t, s, inv, 0, eventstore.Forward, 0); len(got) != 0 {
			t.Fatalf("%s: %s holds %d events, want none", why, inv, len(got))
		}
		e.wantHead(t, head, why+": the head moved")
	}
	stale := slices.Clone(block)
	stale[0].Expected = eventstore.Exact(3)
	_, err := eventstore.AppendAtomic(ctx, s, stale, queued)
	wantWrongVersion(t, err, true, 0)
	unchanged("a stale revision in the block's first append")
	stale = slices.Clone(block)
	stale[1].Expected = eventstore.StreamExists
	_, err = eventstore.AppendAtomic(ctx, s, stale, queued)
	wantWrongVersion(t, err, false, 0)
	unchanged("a stale revision in the block's last append")
	bad := slices.Clone(block)
	bad[1].Events = []eventstore.EventData{{ID: uuid.New(), Type: "B", Data: json.RawMessage(`{not json`)}}
	if _, err := eventstore.AppendAtomic(ctx, s, bad, queued); !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("a block with bad data: err = %v, want ErrInvalid", err)
	}
	unchanged("bad data")
	if !e.opts.EventIDsPerStream {
		dup := slices.Clone(block)
		dup[1].Events = append(Events("B", 0, 1), eventstore.EventData{ID: taken.ID, Type: "B", Data: json.RawMessage(`{"n":1}`)})
		if _, err := eventstore.AppendAtomic(ctx, s, dup, queued); !errors.Is(err, eventstore.ErrDuplicateEventID) {
			t.Fatalf("a block reusing an id halfway: err = %v, want ErrDuplicateEventID", err)
		}
		unchanged("an id stored elsewhere")
	}
	twice := []eventstore.StreamAppend{block[1], block[1]}
	if _, err := eventstore.AppendAtomic(ctx, s, twice, queued); !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("a block naming a stream twice: err = %v, want ErrInvalid", err)
	}
	unchanged("a block naming a stream twice")

	calls = 0
	res, err := eventstore.AppendAtomic(ctx, s, block, queued)
	if err != nil {
		t.Fatalf("append atomic: %v", err)
	}
	if calls != 1 {
		t.Fatalf("queued called %d times, want once", calls)
	}
	if len(res) != 2 || res[0].Revision != 1 || res[1].Revision != 1 {
		t.Fatalf("results = %+v, want revisions 1 and 1", res)
	}
	e.wantHead(t, max(res[0].Position, res[1].Position), "after the block")
	// The same block again (a retry after a lost answer) writes nothing
	// and answers the first results.
	again, err := eventstore.AppendAtomic(ctx, s, block, func() {})
	if err != nil || !slices.Equal(again, res) {
		t.Fatalf("retried block = %+v, %v; want %+v", again, err, res)
	}
	e.wantHead(t, max(res[0].Position, res[1].Position), "the retried block wrote")
	if all := e.since(t); len(all) != 4 {
		t.Fatalf("$all after the head has %d events, want 4", len(all))
	}
}

// testAppendAtomicConcurrent: atomic blocks, half of them refused, share
// the writer with plain appends from many goroutines; each refused block
// leaves nothing, each accepted one all of its events, the plain appends
// all theirs, and positions stay consecutive.
func testAppendAtomicConcurrent(t *testing.T, e *env) {
	ctx, s := context.Background(), e.s
	if _, ok := s.(eventstore.AtomicAppender); !ok {
		return // testAppendAtomic checks that it refuses
	}
	const n = 40
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			a, b := e.stream(fmt.Sprintf("ca-%d", i)), e.stream(fmt.Sprintf("cb-%d", i))
			if i%2 == 1 {
				// b exists, so the block (expecting no stream there) is refused.
				if _, err := s.Append(ctx, b, eventstore.NoStream, Event("P", i)); err != nil {
					errs[i] = err
					return
				}
			}
			_, errs[i] = eventstore.AppendAtomic(ctx, s, []eventstore.StreamAppend{
				{Stream: a, Expected: eventstore.NoStream, Events: Events("A", 0, 2)},
				{Stream: b, Expected: eventstore.NoStream, Events: Events("B", 0, 1)},
			}, func() {})
		})
	}
	wg.Wait()
	for i, err := range errs {
		a, b := e.stream(fmt.Sprintf("ca-%d", i)), e.stream(fmt.Sprintf("cb-%d", i))
		gotA, gotB := len(mustReadStream(t, s, a, 0, eventstore.Forward, 0)), len(mustReadStream(t, s, b, 0, eventstore.Forward, 0))
		if i%2 == 0 && (err != nil || gotA != 2 || gotB != 1) {
			t.Fatalf("block %d: err %v, %d and %d events; want nil, 2 and 1", i, err, gotA, gotB)
		}
		if i%2 == 1 && (!errors.Is(err, eventstore.ErrWrongExpectedVersion) || gotA != 0 || gotB != 1) {
			t.Fatalf("block %d: err %v, %d and %d events; want a wrong expected version, 0 and the plain append's 1", i, err, gotA, gotB)
		}
	}
	if all := e.since(t); len(all) != n/2*3+n/2 {
		t.Fatalf("$all after the head has %d events, want %d", len(all), n/2*3+n/2)
	}
}

func testInvalidInput(t *testing.T, e *env) {
	ctx, s := context.Background(), e.s
	ok1 := e.stream("ok-1")
	MustAppend(t, s, ok1, eventstore.NoStream, Event("A", 0))
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
		{"StreamWithSpace", e.stream("client 1"), []eventstore.EventData{good}},
		{"SystemStream", "$all", []eventstore.EventData{good}},
		{"SystemStreamOfTheTest", "$" + e.stream("x"), []eventstore.EventData{good}},
		{"StreamTooLong", e.stream(strings.Repeat("s", eventstore.MaxStreamNameLen)), []eventstore.EventData{good}},
		{"EmptyType", ok1, []eventstore.EventData{{ID: uuid.New(), Data: json.RawMessage(`{}`)}}},
		{"DataNotJSON", ok1, []eventstore.EventData{{ID: uuid.New(), Type: "A", Data: json.RawMessage(`{"n":`)}}},
		{"EmptyData", ok1, []eventstore.EventData{{ID: uuid.New(), Type: "A"}}},
		{"MissingID", ok1, []eventstore.EventData{{Type: "A", Data: json.RawMessage(`{}`)}}},
		{"DuplicateIDsInOneAppend", ok1, []eventstore.EventData{dup, good, dup}},
		{"OverSizeLimit", ok1, []eventstore.EventData{good, big}},
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
			e.wantHead(t, head, "refused append wrote")
		})
	}
	if all := e.since(t); len(all) != 1 {
		t.Fatalf("$all after the head has %d events, want 1", len(all))
	}
	if _, err := s.ReadStream(ctx, e.stream("bad stream"), 0, eventstore.Forward, 0); !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("read of a malformed stream name: err = %v", err)
	}
}

func testReadStreamBackwards(t *testing.T, e *env) {
	s, b1 := e.s, e.stream("b-1")
	MustAppend(t, s, b1, eventstore.NoStream, Events("A", 0, 5)...)
	MustAppend(t, s, e.stream("b-2"), eventstore.NoStream, Events("A", 100, 2)...)
	if got := numbers(t, mustReadStream(t, s, b1, eventstore.End, eventstore.Backward, 0)); !equalInts(got, seq(4, 0)) {
		t.Fatalf("backward from end = %v", got)
	}
	if got := numbers(t, mustReadStream(t, s, b1, 3, eventstore.Backward, 2)); !equalInts(got, []int{3, 2}) {
		t.Fatalf("backward from 3 limit 2 = %v", got)
	}
	if got := numbers(t, mustReadStream(t, s, b1, eventstore.End, eventstore.Backward, 1)); !equalInts(got, []int{4}) {
		t.Fatalf("last event = %v", got)
	}
	if got := mustReadStream(t, s, e.stream("b-none"), eventstore.End, eventstore.Backward, 0); len(got) != 0 {
		t.Fatalf("missing stream read backwards gave %d events", len(got))
	}
}

func testReadAll(t *testing.T, e *env) {
	s := e.s
	for i := 0; i < 10; i++ {
		MustAppend(t, s, e.stream(fmt.Sprintf("r-%d", i%3)), eventstore.Any, Event("A", i))
	}
	all := e.since(t) // also checks order and, unless sparse, that there is no gap
	if got := numbers(t, all); !equalInts(got, seq(0, 9)) {
		t.Fatalf("read all = %v", got)
	}
	none := eventstore.Filter{}
	mid := all[4].Position
	if got := numbers(t, mustReadAll(t, s, mid, eventstore.Forward, 3, none)); !equalInts(got, []int{4, 5, 6}) {
		t.Fatalf("from middle limit 3 = %v", got)
	}
	// From just after an event: where positions are sparse, a position
	// inside a gap.
	if got := numbers(t, mustReadAll(t, s, mid+1, eventstore.Forward, 2, none)); !equalInts(got, []int{5, 6}) {
		t.Fatalf("from just after the middle limit 2 = %v", got)
	}
	if got := numbers(t, e.backwardFromEnd(t, none, 10)); !equalInts(got, seq(9, 0)) {
		t.Fatalf("backward = %v", got)
	}
	if got := numbers(t, mustReadAll(t, s, eventstore.End, eventstore.Backward, 3, none)); !equalInts(got, []int{9, 8, 7}) {
		t.Fatalf("backward limit 3 = %v", got)
	}
	if got := numbers(t, mustReadAll(t, s, mid, eventstore.Backward, 2, none)); !equalInts(got, []int{4, 3}) {
		t.Fatalf("backward from middle = %v", got)
	}
	if got := numbers(t, mustReadAll(t, s, mid-1, eventstore.Backward, 2, none)); !equalInts(got, []int{3, 2}) {
		t.Fatalf("backward from just before the middle = %v", got)
	}
	if got := mustReadAll(t, s, all[9].Position+1, eventstore.Forward, 0, none); len(got) != 0 {
		t.Fatalf("read past the head gave %d events", len(got))
	}
	// From the start of the log, the test's own events come last, whole.
	if got := numbers(t, mustReadAll(t, s, 0, eventstore.Forward, 0, e.mine())); !equalInts(got, seq(0, 9)) {
		t.Fatalf("from 0, filtered to this test = %v", got)
	}
	e.wantHead(t, all[9].Position, "head")
}

func testReadAllFilters(t *testing.T, e *env) {
	s := e.s
	created, renamed, issued, paid, other := e.typ("ClientCreated"), e.typ("ClientRenamed"), e.typ("InvoiceIssued"), e.typ("InvoicePaid"), e.typ("Other")
	MustAppend(t, s, e.stream("client-1"), eventstore.Any, Event(created, 0))
	MustAppend(t, s, e.stream("invoice-1"), eventstore.Any, Event(issued, 1))
	MustAppend(t, s, e.stream("client-2"), eventstore.Any, Event(created, 2))
	MustAppend(t, s, e.stream("clientele-1"), eventstore.Any, Event(other, 3))
	MustAppend(t, s, e.stream("invoice-1"), eventstore.Any, Event(paid, 4))
	MustAppend(t, s, e.stream("client-1"), eventstore.Any, Event(renamed, 5))
	clients, invoices := e.stream("client-"), e.stream("invoice-")
	cases := []struct {
		name string
		f    eventstore.Filter
		want []int
	}{
		{"StreamPrefix", eventstore.Filter{StreamPrefixes: []string{clients}}, []int{0, 2, 5}},
		{"TwoPrefixes", eventstore.Filter{StreamPrefixes: []string{clients, invoices}}, []int{0, 1, 2, 4, 5}},
		{"EventType", eventstore.Filter{EventTypes: []string{created}}, []int{0, 2}},
		{"TwoTypes", eventstore.Filter{EventTypes: []string{paid, other}}, []int{3, 4}},
		{"PrefixAndType", eventstore.Filter{StreamPrefixes: []string{clients}, EventTypes: []string{renamed, paid}}, []int{5}},
		{"TypeIsNotAPrefix", eventstore.Filter{EventTypes: []string{e.typ("Client")}}, nil},
		{"NoMatch", eventstore.Filter{EventTypes: []string{e.typ("Nope")}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fwd := mustReadAll(t, s, e.start(), eventstore.Forward, 0, c.f)
			if got := numbers(t, fwd); !equalInts(got, c.want) {
				t.Fatalf("forward = %v, want %v", got, c.want)
			}
			e.checkOrder(t, fwd)
			// The filters select only this test's events, so reading from
			// the start of the log or backwards from its end finds the same.
			if got := numbers(t, mustReadAll(t, s, 0, eventstore.Forward, 0, c.f)); !equalInts(got, c.want) {
				t.Fatalf("forward from 0 = %v, want %v", got, c.want)
			}
			back := numbers(t, mustReadAll(t, s, eventstore.End, eventstore.Backward, 0, c.f))
			for i, j := 0, len(back)-1; i < j; i, j = i+1, j-1 {
				back[i], back[j] = back[j], back[i]
			}
			if !equalInts(back, c.want) {
				t.Fatalf("backward (reversed) = %v, want %v", back, c.want)
			}
			for _, ev := range fwd {
				if !c.f.Match(ev.Stream, ev.Type) {
					t.Fatalf("event %s/%s does not match %+v", ev.Stream, ev.Type, c.f)
				}
			}
			if len(c.want) > 1 {
				if got := numbers(t, mustReadAll(t, s, e.start(), eventstore.Forward, 1, c.f)); !equalInts(got, c.want[:1]) {
					t.Fatalf("limit 1 = %v", got)
				}
				if got := numbers(t, mustReadAll(t, s, eventstore.End, eventstore.Backward, 1, c.f)); !equalInts(got, c.want[len(c.want)-1:]) {
					t.Fatalf("backward limit 1 = %v", got)
				}
				// From the position of the second match: it and those after.
				if got := numbers(t, mustReadAll(t, s, fwd[1].Position, eventstore.Forward, 0, c.f)); !equalInts(got, c.want[1:]) {
					t.Fatalf("from the second match = %v", got)
				}
			}
		})
	}
}

// checkOrder checks that positions read forward increase strictly.
func (e *env) checkOrder(tb testing.TB, evs []eventstore.RecordedEvent) {
	tb.Helper()
	for i := 1; i < len(evs); i++ {
		if evs[i].Position <= evs[i-1].Position {
			tb.Fatalf("positions not increasing: %d then %d", evs[i-1].Position, evs[i].Position)
		}
	}
}

func testConcurrentExactAppends(t *testing.T, e *env) {
	ctx, s := context.Background(), e.s
	const goroutines, rounds = 8, 25
	race1 := e.stream("race-1")
	MustAppend(t, s, race1, eventstore.NoStream, Event("Init", -1))
	var mu sync.Mutex
	winners := map[uint64]int{} // revision -> goroutine
	var conflicts int
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				last, err := s.ReadStream(ctx, race1, eventstore.End, eventstore.Backward, 1)
				if err != nil || len(last) != 1 {
					t.Errorf("read last: %v", err)
					return
				}
				rev := last[0].Revision
				res, err := s.Append(ctx, race1, eventstore.Exact(rev), Event("Step", g*1000+r))
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
	evs := mustReadStream(t, s, race1, 0, eventstore.Forward, 0)
	if len(evs) != len(winners)+1 {
		t.Fatalf("stream has %d events, %d appends won", len(evs), len(winners))
	}
	if len(winners)+conflicts != goroutines*rounds {
		t.Fatalf("%d wins + %d conflicts != %d attempts", len(winners), conflicts, goroutines*rounds)
	}
	for i, ev := range evs {
		if ev.Revision != uint64(i) {
			t.Fatalf("event %d has revision %d", i, ev.Revision)
		}
	}
	if all := e.since(t); len(all) != len(evs) {
		t.Fatalf("$all after the head has %d events, the stream %d", len(all), len(evs))
	}
}

func testConcurrentAppendsWithSubscribers(t *testing.T, e *env) {
	s := e.s
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
		go collect(ctx, s, e.start(), eventstore.Filter{}, total, out, errs)
	}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			stream := e.stream(fmt.Sprintf("writer-%d", w))
			for a := 0; a < appends; a++ {
				if _, err := s.Append(ctx, stream, eventstore.Any, Events("W", w*10000+a*10, 1+a%3)...); err != nil {
					t.Errorf("append: %v", err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	all := e.since(t)
	if len(all) != total {
		t.Fatalf("$all after the head has %d events, want %d", len(all), total)
	}
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
		for j, ev := range got {
			if j > 0 && ev.Position <= got[j-1].Position {
				t.Fatalf("subscriber %d: position %d after %d", i, ev.Position, got[j-1].Position)
			}
			if seen[ev.ID] {
				t.Fatalf("subscriber %d saw event %s twice", i, ev.ID)
			}
			seen[ev.ID] = true
		}
		for j := range all {
			if all[j].ID != got[j].ID || all[j].Position != got[j].Position {
				t.Fatalf("subscriber %d: event %d is %s at %d, the log has %s at %d", i, j, got[j].ID, got[j].Position, all[j].ID, all[j].Position)
			}
		}
	}
}

func testSubscribeFromStartMiddleEnd(t *testing.T, e *env) {
	s := e.s
	for i := 0; i < 20; i++ {
		MustAppend(t, s, e.stream("sub-1"), eventstore.Any, Event("A", i))
	}
	all := e.since(t)
	head := all[len(all)-1].Position
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cases := []struct {
		name string
		from uint64
		f    eventstore.Filter
		want []int // including the 5 live events 100..104
	}{
		{"Start", e.start(), eventstore.Filter{}, append(seq(0, 19), seq(100, 104)...)},
		{"ZeroFilteredToTheTest", 0, e.mine(), append(seq(0, 19), seq(100, 104)...)},
		{"Middle", all[12].Position, eventstore.Filter{}, append(seq(12, 19), seq(100, 104)...)},
		{"JustAfterMiddle", all[12].Position + 1, eventstore.Filter{}, append(seq(13, 19), seq(100, 104)...)},
		{"Last", head, eventstore.Filter{}, append([]int{19}, seq(100, 104)...)},
		{"End", head + 1, eventstore.Filter{}, seq(100, 104)},
	}
	outs := make([]chan []eventstore.RecordedEvent, len(cases))
	errs := make(chan error, len(cases))
	for i, c := range cases {
		outs[i] = make(chan []eventstore.RecordedEvent, 1)
		go collect(ctx, s, c.from, c.f, len(c.want), outs[i], errs)
	}
	for i := 100; i < 105; i++ {
		MustAppend(t, s, e.stream("sub-2"), eventstore.Any, Event("B", i))
	}
	for i, c := range cases {
		got := <-outs[i]
		if n := numbers(t, got); !equalInts(n, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, n, c.want)
		}
		e.checkOrder(t, got)
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

func testSubscribeFiltered(t *testing.T, e *env) {
	s := e.s
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	noise1 := e.stream("noise-1")
	noise, issued, paid := e.typ("Noise"), e.typ("InvoiceIssued"), e.typ("InvoicePaid")
	for i := 0; i < 600; i++ { // more than one read batch of events that do not match
		MustAppend(t, s, noise1, eventstore.Any, Event(noise, i))
	}
	MustAppend(t, s, e.stream("invoice-1"), eventstore.Any, Event(issued, 0))
	invoices := e.stream("invoice-")
	byStream, byType := eventstore.Filter{StreamPrefixes: []string{invoices}}, eventstore.Filter{EventTypes: []string{issued}}
	outs := []chan []eventstore.RecordedEvent{make(chan []eventstore.RecordedEvent, 1), make(chan []eventstore.RecordedEvent, 1)}
	errs := make(chan error, 2)
	// From 0: the prefixes are the test's own, so whatever the store held
	// before does not match.
	go collect(ctx, s, 0, byStream, 3, outs[0], errs)
	go collect(ctx, s, 0, byType, 2, outs[1], errs)
	for i := 0; i < 600; i++ {
		MustAppend(t, s, noise1, eventstore.Any, Event(noise, i))
	}
	// A type the type filter names only a prefix of, in a stream the
	// stream filter does not select.
	MustAppend(t, s, e.stream("noise-2"), eventstore.Any, Event(e.typ("InvoiceIssuedLater"), 7))
	MustAppend(t, s, e.stream("invoice-2"), eventstore.Any, Event(issued, 1))
	MustAppend(t, s, e.stream("noise-2"), eventstore.Any, Event(noise, 8))
	MustAppend(t, s, e.stream("invoice-1"), eventstore.Any, Event(paid, 2))
	for i, c := range []struct {
		f    eventstore.Filter
		want []int
	}{{byStream, []int{0, 1, 2}}, {byType, []int{0, 1}}} {
		got := <-outs[i]
		select {
		case err := <-errs:
			t.Fatal(err)
		default:
		}
		if n := numbers(t, got); !equalInts(n, c.want) {
			t.Fatalf("subscription filtered by %+v = %v, want %v", c.f, n, c.want)
		}
		for _, ev := range got {
			if !c.f.Match(ev.Stream, ev.Type) {
				t.Fatalf("subscription filtered by %+v gave %s/%s", c.f, ev.Stream, ev.Type)
			}
		}
		e.checkOrder(t, got)
	}
}

func testSlowSubscriber(t *testing.T, e *env) {
	s := e.s
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow1 := e.stream("slow-1")
	MustAppend(t, s, slow1, eventstore.Any, Event("A", 0))
	stuck := make(chan struct{})
	release := make(chan struct{})
	var got []int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev, err := range s.Subscribe(ctx, e.start(), eventstore.Filter{}) {
			if err != nil {
				return
			}
			if len(got) == 0 {
				close(stuck)
				<-release // a subscriber that stops reading for a while
			}
			got = append(got, numbers(t, []eventstore.RecordedEvent{ev})...)
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
			if _, err := s.Append(ctx, slow1, eventstore.Any, Event("A", i)); err != nil {
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

func testSubscribeStopsOnCancel(t *testing.T, e *env) {
	s := e.s
	MustAppend(t, s, e.stream("c-1"), eventstore.Any, Event("A", 0))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last error
	n := 0
	for ev, err := range s.Subscribe(ctx, e.start(), eventstore.Filter{}) {
		if err != nil {
			last = err
			break
		}
		n++
		if ev.Position > e.head {
			cancel()
		}
	}
	if n != 1 || !errors.Is(last, context.Canceled) {
		t.Fatalf("after cancel: %d events, last error %v", n, last)
	}
}
