package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"remit/eventstore"
	"remit/eventstore/sqlite"
)

// TestNoStreamAfterReopen: the writer skips the revision look-up for an
// append expecting no stream to a stream it has not written since it opened
// (the unique stream-revision index refuses it instead). After a reopen, so
// that no stream is known to the writer, such appends must still be refused
// on an existing stream (with its actual revision), answered as idempotent
// retries, refused for a duplicate id, and, when racing, let exactly one
// through.
func TestNoStreamAfterReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first := []eventstore.EventData{benchEvent(), benchEvent()}
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Append(ctx, "client-a", eventstore.NoStream, first...)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = MustOpen(t, dir, sqlite.Options{})
	head := func() uint64 {
		h, err := s.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h0 := head()

	_, err = s.Append(ctx, "client-a", eventstore.NoStream, benchEvent())
	var wev *eventstore.WrongExpectedVersionError
	if !errors.As(err, &wev) || !wev.Exists || wev.Actual != 1 {
		t.Fatalf("no stream on an existing stream: %v, want a wrong expected version (exists, actual 1)", err)
	}
	if got, err := s.Append(ctx, "client-a", eventstore.NoStream, first...); err != nil || got != want {
		t.Fatalf("retry: %+v, %v; want %+v", got, err, want)
	}
	if _, err := s.Append(ctx, "client-b", eventstore.NoStream, first[1], benchEvent()); !errors.Is(err, eventstore.ErrDuplicateEventID) {
		t.Fatalf("a stored id in a new stream: %v, want a duplicate event id", err)
	}
	if h := head(); h != h0 {
		t.Fatalf("refused appends wrote %d events", h-h0)
	}
	if got, err := s.Append(ctx, "client-c", eventstore.NoStream, benchEvent()); err != nil || got.Revision != 0 || got.Position != h0+1 {
		t.Fatalf("new stream: %+v, %v", got, err)
	}

	// Many appends race to create each of several streams: one wins each.
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := map[string]int{}
	for g := range 64 {
		wg.Go(func() {
			stream := fmt.Sprintf("client-race-%d", g%4)
			_, err := s.Append(ctx, stream, eventstore.NoStream, benchEvent(), benchEvent())
			switch {
			case err == nil:
				mu.Lock()
				won[stream]++
				mu.Unlock()
			case !errors.Is(err, eventstore.ErrWrongExpectedVersion):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range 4 {
		stream := fmt.Sprintf("client-race-%d", i)
		recs, err := s.ReadStream(ctx, stream, 0, eventstore.Forward, 0)
		if err != nil {
			t.Fatal(err)
		}
		if won[stream] != 1 || len(recs) != 2 {
			t.Errorf("%s: %d appends won, %d events, want 1 and 2", stream, won[stream], len(recs))
		}
	}
	if rep, err := s.Verify(ctx); err != nil || rep.Head != head() {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
}
