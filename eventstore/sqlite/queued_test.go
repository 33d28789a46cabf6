package sqlite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"remit/eventstore"
	"remit/eventstore/sqlite"
)

// TestAppendQueuedKeepsTheOrder: an append queued from the queued callback
// of another (on another goroutine, before the first is committed) is
// applied after it, so it can expect the revision the first leaves; and
// one expecting a revision the first did not leave is refused, while the
// first stays written.
func TestAppendQueuedKeepsTheOrder(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t, t.TempDir(), sqlite.Options{})
	ev := func() eventstore.EventData {
		return eventstore.EventData{ID: uuid.New(), Type: "Numbered", Data: []byte(`{}`)}
	}
	type answer struct {
		res eventstore.AppendResult
		err error
	}
	next, wrong := make(chan answer, 1), make(chan answer, 1)
	first, err := s.AppendQueued(ctx, "numbers", eventstore.NoStream, func() {
		go func() {
			res, err := s.Append(ctx, "numbers", eventstore.Exact(0), ev())
			next <- answer{res, err}
		}()
		go func() {
			res, err := s.Append(ctx, "numbers", eventstore.NoStream, ev())
			wrong <- answer{res, err}
		}()
	}, ev())
	if err != nil {
		t.Fatal(err)
	}
	n := <-next
	if n.err != nil {
		t.Fatalf("append queued behind the first, expecting its revision: %v", n.err)
	}
	if n.res.Revision != 1 || n.res.Position <= first.Position {
		t.Fatalf("second append at revision %d position %d, first at position %d", n.res.Revision, n.res.Position, first.Position)
	}
	if w := <-wrong; !errors.Is(w.err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("append expecting no stream behind the first: %v, want a wrong expected version", w.err)
	}
	// A store without the queue (eventstore.AppendQueued's fallback) calls
	// queued once the append is answered.
	called := false
	var plain eventstore.Store = struct{ eventstore.Store }{s}
	if _, err := eventstore.AppendQueued(ctx, plain, "other", eventstore.NoStream, func() { called = true }, ev()); err != nil || !called {
		t.Fatalf("fallback: err %v, queued called %v", err, called)
	}
}
