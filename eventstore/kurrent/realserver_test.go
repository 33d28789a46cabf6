package kurrent_test

import (
	"context"
	"errors"
	"iter"
	"os"
	"testing"
	"time"

	"remit/eventstore"
	"remit/eventstore/kurrent"
	"remit/eventstore/storetest"

	"github.com/google/uuid"
)

// TestRealServer runs against a real KurrentDB when REMIT_KURRENTDB_URL
// names one (a user that may read $all, e.g.
// kurrentdb://admin:changeit@localhost:2113?tls=false). A real server is
// shared and keeps its log, so this checks what holds on any server: it
// works in streams and with filters of its own, and does not assume
// consecutive positions or an empty log, as storetest.Run does.
func TestRealServer(t *testing.T) {
	conn := os.Getenv("REMIT_KURRENTDB_URL")
	if conn == "" {
		t.Skip("REMIT_KURRENTDB_URL is not set: no real KurrentDB to test against (the in-process test server covers the protocol)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := kurrent.Open(ctx, conn, kurrent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run := uuid.NewString()[:8]
	prefix := "remittest" + run + "-"
	stream := prefix + "client-1"
	filter := eventstore.Filter{StreamPrefixes: []string{prefix}}

	h0 := storetest.MustHead(t, s)
	first := storetest.MustAppend(t, s, stream, eventstore.NoStream, storetest.Events("ClientCreated", 0, 3)...)
	if first.Revision != 2 {
		t.Fatalf("revision %d, want 2", first.Revision)
	}
	_, err = s.Append(ctx, stream, eventstore.Exact(0), storetest.Event("X", 9))
	var we *eventstore.WrongExpectedVersionError
	if !errors.As(err, &we) || !we.Exists || we.Actual != 2 {
		t.Fatalf("conflict = %v, want actual revision 2", err)
	}
	retry := storetest.Events("ClientRenamed", 3, 2)
	second := storetest.MustAppend(t, s, stream, eventstore.Exact(2), retry...)
	again, err := s.Append(ctx, stream, eventstore.Exact(2), retry...)
	if err != nil || again.Revision != second.Revision {
		t.Fatalf("idempotent retry = %+v, %v; want revision %d", again, err, second.Revision)
	}
	if second.Position <= first.Position {
		t.Fatalf("positions %d then %d", first.Position, second.Position)
	}
	storetest.MustAppend(t, s, prefix+"invoice-1", eventstore.NoStream, storetest.Event("InvoiceIssued", 5))

	evs, err := s.ReadStream(ctx, stream, eventstore.End, eventstore.Backward, 0)
	if err != nil || len(evs) != 5 || evs[0].Revision != 4 {
		t.Fatalf("backward read: %d events, %v", len(evs), err)
	}
	if evs, err := s.ReadStream(ctx, prefix+"none", 0, eventstore.Forward, 0); err != nil || len(evs) != 0 {
		t.Fatalf("missing stream: %d events, %v", len(evs), err)
	}
	all, err := s.ReadAll(ctx, h0+1, eventstore.Forward, 0, filter)
	if err != nil || len(all) != 6 {
		t.Fatalf("read all from before the run: %d events, %v", len(all), err)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Position <= all[i-1].Position {
			t.Fatalf("positions not increasing: %d then %d", all[i-1].Position, all[i].Position)
		}
	}
	for _, from := range []uint64{all[2].Position, all[2].Position + 1, all[5].Position + 1} {
		got, err := s.ReadAll(ctx, from, eventstore.Forward, 0, filter)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, e := range all {
			if e.Position >= from {
				want++
			}
		}
		if len(got) != want {
			t.Fatalf("from %d: %d events, want %d", from, len(got), want)
		}
	}
	back, err := s.ReadAll(ctx, all[3].Position, eventstore.Backward, 2, filter)
	if err != nil || len(back) != 2 || back[0].ID != all[3].ID || back[1].ID != all[2].ID {
		t.Fatalf("backward from the middle: %+v, %v", back, err)
	}
	types, err := s.ReadAll(ctx, all[0].Position, eventstore.Forward, 0, eventstore.Filter{StreamPrefixes: []string{prefix}, EventTypes: []string{"InvoiceIssued"}})
	if err != nil || len(types) != 1 {
		t.Fatalf("type filter: %d events, %v", len(types), err)
	}

	// Subscribe from the middle, then a live event.
	pull, stop := iter.Pull2(s.Subscribe(ctx, all[4].Position, filter))
	defer stop()
	for _, want := range all[4:] {
		if e := next(t, pull); e.ID != want.ID {
			t.Fatalf("subscription gave %s, want %s", e.ID, want.ID)
		}
	}
	live := storetest.MustAppend(t, s, prefix+"invoice-1", eventstore.Exact(0), storetest.Event("InvoicePaid", 6))
	if e := next(t, pull); e.Position != live.Position || e.Type != "InvoicePaid" {
		t.Fatalf("live event %s at %d, want InvoicePaid at %d", e.Type, e.Position, live.Position)
	}
	if h := storetest.MustHead(t, s); h < live.Position {
		t.Fatalf("head %d before the last append %d", h, live.Position)
	}
}
