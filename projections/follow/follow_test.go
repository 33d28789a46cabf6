package follow_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/proposal"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/projections/follow"
)

func mustStore(tb testing.TB) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.TempDir(), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// mustAppend appends one event of type typ with data at schema version v.
func mustAppend(tb testing.TB, s eventstore.Store, stream, typ string, v int, data string) uint64 {
	tb.Helper()
	res, err := s.Append(context.Background(), stream, eventstore.Any, eventstore.EventData{
		ID: uuid.New(), Type: typ, SchemaVersion: v, Data: json.RawMessage(data)})
	if err != nil {
		tb.Fatal(err)
	}
	return res.Position
}

func clientCreated(id uuid.UUID, name string) string {
	return `{"client_id":"` + id.String() + `","name":"` + name + `","at":"2026-03-02T09:30:00Z"}`
}

// TestCatchUpDecodesInBatchesFromTheCheckpoint: CatchUp hands over every
// selected event once, typed, across batch boundaries, and a second CatchUp
// only what came since.
func TestCatchUpDecodesInBatchesFromTheCheckpoint(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	var ids []uuid.UUID
	for i := range 7 {
		id := uuid.New()
		ids = append(ids, id)
		mustAppend(t, s, client.StreamName(id), "ClientCreated", 1, clientCreated(id, "c"))
		if i%2 == 0 {
			mustAppend(t, s, "firm", "FirmDetailsChanged", 1, `{}`) // filtered out
		}
	}
	var got []uuid.UUID
	var positions []uint64
	f := follow.New(s, func(_ context.Context, e follow.Event) error {
		got = append(got, e.Data.(client.ClientCreated).ClientID)
		positions = append(positions, e.Position)
		return nil
	}, follow.Options{Batch: 2, Filter: eventstore.Filter{StreamPrefixes: []string{"client-"}}})
	if err := f.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ids) {
		t.Fatalf("got %v, want %v", got, ids)
	}
	head, _ := s.Head(ctx)
	if f.Checkpoint() != head {
		t.Errorf("checkpoint %d, want the head %d", f.Checkpoint(), head)
	}
	id := uuid.New()
	mustAppend(t, s, client.StreamName(id), "ClientCreated", 1, clientCreated(id, "late"))
	got = nil
	if err := f.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []uuid.UUID{id}) {
		t.Errorf("second catch-up got %v, want only %v", got, id)
	}

	// A follower started from a checkpoint hands over only what is after it.
	got = nil
	g := follow.New(s, func(_ context.Context, e follow.Event) error {
		got = append(got, e.Data.(client.ClientCreated).ClientID)
		return nil
	}, follow.Options{From: positions[5], Filter: eventstore.Filter{StreamPrefixes: []string{"client-"}}})
	if err := g.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []uuid.UUID{ids[6], id}) {
		t.Errorf("from checkpoint %d got %v, want %v", positions[5], got, []uuid.UUID{ids[6], id})
	}
}

// TestFollowerUpcastsOldShapes: an event stored at an old schema version
// reaches the subscriber in the current shape (ProposalSent v1 → v2).
func TestFollowerUpcastsOldShapes(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	pid := uuid.New()
	mustAppend(t, s, proposal.StreamName(pid), "ProposalSent", 1,
		`{"proposal_id":"`+pid.String()+`","recipient_email":"ana@harbour.example","at":"2026-03-02T09:30:00Z"}`)
	var got proposal.ProposalSent
	f := follow.New(s, func(_ context.Context, e follow.Event) error {
		got = e.Data.(proposal.ProposalSent)
		return nil
	}, follow.Options{})
	if err := f.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if want := []proposal.Recipient{{Email: "ana@harbour.example"}}; !reflect.DeepEqual(got.Recipients, want) {
		t.Errorf("recipients %+v, want %+v", got.Recipients, want)
	}
}

// TestUndecodable: an unknown type stops the follower before it (the
// checkpoint stays), unless Undecodable passes over it.
func TestUndecodable(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	id := uuid.New()
	first := mustAppend(t, s, client.StreamName(id), "ClientCreated", 1, clientCreated(id, "a"))
	mustAppend(t, s, "mystery-1", "SomethingNew", 1, `{}`)
	n := 0
	count := func(context.Context, follow.Event) error { n++; return nil }
	strict := follow.New(s, count, follow.Options{})
	if err := strict.CatchUp(ctx); !errors.Is(err, catalog.ErrUnknownEventType) {
		t.Fatalf("CatchUp: %v, want ErrUnknownEventType", err)
	}
	if strict.Checkpoint() != first || n != 1 {
		t.Errorf("checkpoint %d after %d events, want %d after 1", strict.Checkpoint(), n, first)
	}
	var passed []string
	lenient := follow.New(s, count, follow.Options{Undecodable: func(rec eventstore.RecordedEvent, err error) error {
		passed = append(passed, rec.Type)
		return nil
	}})
	if err := lenient.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(passed, []string{"SomethingNew"}) {
		t.Errorf("passed over %v", passed)
	}
}

// TestRunFollowsLiveAndWaitFor: Run hands over appends as they happen;
// WaitFor returns once a position is handled, also one the filter leaves
// out; CatchUp while running waits for Run; Run's end wakes waiters.
func TestRunFollowsLiveAndWaitFor(t *testing.T) {
	s := mustStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	seen := make(chan uuid.UUID, 10)
	f := follow.New(s, func(_ context.Context, e follow.Event) error {
		seen <- e.Data.(client.ClientCreated).ClientID
		return nil
	}, follow.Options{Filter: eventstore.Filter{StreamPrefixes: []string{"client-"}}})
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	id := uuid.New()
	pos := mustAppend(t, s, client.StreamName(id), "ClientCreated", 1, clientCreated(id, "live"))
	if err := f.WaitFor(wctx, pos); err != nil {
		t.Fatal(err)
	}
	if got := <-seen; got != id {
		t.Errorf("handed over %v, want %v", got, id)
	}
	other := mustAppend(t, s, "firm", "FirmDetailsChanged", 1, `{}`)
	if err := f.WaitFor(wctx, other); err != nil {
		t.Fatalf("waiting for an event the filter leaves out: %v", err)
	}
	if err := f.CatchUp(wctx); err != nil {
		t.Fatalf("CatchUp while running: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if err := f.WaitFor(wctx, other+100); !errors.Is(err, follow.ErrStopped) {
		t.Errorf("WaitFor after Run ended: %v, want ErrStopped", err)
	}
}

// BenchmarkCatchUp reads and decodes 100,000 client events from the start
// of the log; ns/op is per event.
func BenchmarkCatchUp(b *testing.B) {
	const n = 100_000
	s := mustStore(b)
	for i := 0; i < n; i += 1000 {
		evs := make([]eventstore.EventData, 1000)
		for j := range evs {
			id := uuid.New()
			evs[j] = eventstore.EventData{ID: uuid.New(), Type: "ClientCreated", Data: json.RawMessage(clientCreated(id, "Harbour & Co"))}
		}
		if _, err := s.Append(context.Background(), client.StreamName(uuid.New()), eventstore.Any, evs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		got := 0
		f := follow.New(s, func(context.Context, follow.Event) error { got++; return nil }, follow.Options{})
		if err := f.CatchUp(context.Background()); err != nil || got != n {
			b.Fatal(got, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
}
