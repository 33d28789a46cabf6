package sqlite

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"remit/eventstore"
)

// TestSubscriptionsReadTheLatestCommitsFromMemory: a live subscription gets
// what the latest commits added from the store's tail, without reading the
// database (here closed under it), and those events are the ones a read of
// the database gives, field for field, filtered alike.
func TestSubscriptionsReadTheLatestCommitsFromMemory(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	appendSome := func(n int) {
		t.Helper()
		for i := range n {
			stream, typ := fmt.Sprintf("client-%d", i%7), "ClientEdited"
			if i%3 == 0 {
				stream, typ = fmt.Sprintf("invoice-%d", i%5), "InvoiceIssued"
			}
			e := eventstore.EventData{ID: eventstore.NewEventID(), Type: typ, SchemaVersion: 1 + i%2,
				Data: fmt.Appendf(nil, `{"n":%d}`, i), Metadata: eventstore.Metadata{Actor: "test", CommandID: fmt.Sprint(i)}}
			if _, err := s.Append(ctx, stream, eventstore.Any, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendSome(40)
	filters := []eventstore.Filter{{}, {StreamPrefixes: []string{"invoice-"}}, {EventTypes: []string{"ClientEdited"}}}
	want := make([][]eventstore.RecordedEvent, len(filters))
	for i, f := range filters {
		if want[i], err = s.ReadAll(ctx, 1, eventstore.Forward, 0, f); err != nil {
			t.Fatal(err)
		}
		if len(want[i]) == 0 {
			t.Fatalf("filter %v: nothing to compare", f)
		}
	}
	// From here on a read of the database fails.
	s.rdb.Close()
	for i, f := range filters {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		var got []eventstore.RecordedEvent
		for e, err := range s.Subscribe(sctx, 1, f) {
			if err != nil {
				t.Fatalf("filter %v: subscription read the database: %v", f, err)
			}
			if got = append(got, e); len(got) == len(want[i]) {
				break
			}
		}
		cancel()
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("filter %v: the tail gave\n%+v\nthe database\n%+v", f, got, want[i])
		}
	}
}

// TestTailKeepsTheLatestEventsInOrder: the tail holds a contiguous run of
// the latest positions, at most 2×tailSize and at least tailSize once that
// many were committed, and answers a read only when it holds all of it.
func TestTailKeepsTheLatestEventsInOrder(t *testing.T) {
	var tl tail
	pos := uint64(0)
	commit := func(n int) {
		recs := make([]eventstore.RecordedEvent, n)
		for i := range recs {
			pos++
			recs[i] = eventstore.RecordedEvent{Position: pos, Stream: "s", Type: "T"}
		}
		tl.add(recs)
	}
	for _, n := range []int{1, 5, tailSize - 3, 700, 1, tailSize + 10, 3, 2 * tailSize, 17} {
		commit(n)
		if l := len(tl.recs); l > 2*tailSize || (pos >= tailSize && l < tailSize) || tl.first+uint64(l)-1 != pos {
			t.Fatalf("after %d events: %d kept from %d", pos, l, tl.first)
		}
		for i, r := range tl.recs {
			if r.Position != tl.first+uint64(i) {
				t.Fatalf("after %d events: position %d at %d (first %d)", pos, r.Position, i, tl.first)
			}
		}
		if _, _, ok := tl.read(tl.first, pos, 0, eventstore.Filter{}); !ok {
			t.Fatalf("after %d events: the tail does not answer from its first position %d", pos, tl.first)
		}
		if tl.first > 1 {
			if _, _, ok := tl.read(tl.first-1, pos, 0, eventstore.Filter{}); ok {
				t.Fatalf("after %d events: the tail answers from %d, before its first %d", pos, tl.first-1, tl.first)
			}
		}
		if _, _, ok := tl.read(pos, pos+1, 0, eventstore.Filter{}); ok {
			t.Fatalf("after %d events: the tail answers past its last", pos)
		}
	}
	got, through, ok := tl.read(pos-9, pos, 4, eventstore.Filter{})
	if !ok || len(got) != 4 || got[0].Position != pos-9 || through != pos-6 {
		t.Fatalf("a limited read: %d events from %d through %d (ok %v)", len(got), got[0].Position, through, ok)
	}
	tl.reset()
	if _, _, ok := tl.read(pos, pos, 0, eventstore.Filter{}); ok {
		t.Fatal("a reset tail answers")
	}
}
