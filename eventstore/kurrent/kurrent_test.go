package kurrent_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"strings"
	"testing"
	"time"

	"remit/eventstore"
	"remit/eventstore/kurrent"
	"remit/eventstore/kurrent/kurrenttest"
	"remit/eventstore/storetest"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
)

// mustOpen connects the adapter to a test server through the official
// client, over gRPC on loopback.
func mustOpen(tb testing.TB, srv *kurrenttest.Server) *kurrent.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := kurrent.Open(ctx, srv.ConnString(), kurrent.Options{ReconnectDelay: 10 * time.Millisecond, MaxReconnectDelay: 200 * time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	// A new server for each test, numbering events 1, 2, 3…: the suite's
	// strictest form, the one the embedded store passes.
	t.Run("DenseFreshServer", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) eventstore.Store {
			return mustOpen(t, kurrenttest.Start(t, kurrenttest.Options{}))
		})
	})
	// What a real server looks like, and how TestRealServer runs the suite:
	// one server for every test, so each starts on a log that holds the
	// tests before it; events of other streams with the same names and
	// types as the suite's own; system events (a tombstone, a soft delete)
	// before the log's head; positions far from 0 with gaps of varying
	// size.
	t.Run("SparseSharedServer", func(t *testing.T) {
		srv := kurrenttest.Start(t, kurrenttest.Options{Offset: 1 << 20, Stride: 4096, IrregularGaps: true})
		seed := mustOpen(t, srv)
		raw := mustClient(t, srv)
		for _, stream := range []string{"client-1", "invoice-1", "noise-1", "sub-1"} {
			storetest.MustAppend(t, seed, stream, eventstore.Any, storetest.Events("ClientCreated", 0, 3)...)
		}
		if _, err := raw.TombstoneStream(context.Background(), "noise-1", esdb.TombstoneStreamOptions{ExpectedRevision: esdb.Any{}}); err != nil {
			t.Fatal(err)
		}
		n := 0
		storetest.RunWith(t, func(t *testing.T) eventstore.Store {
			// Leave a system event after the last user event before each
			// test: a soft delete of a stream of its own.
			n++
			stream := fmt.Sprintf("deleted-%d", n)
			storetest.MustAppend(t, seed, stream, eventstore.NoStream, storetest.Event("A", n))
			if _, err := raw.DeleteStream(context.Background(), stream, esdb.DeleteStreamOptions{ExpectedRevision: esdb.Any{}}); err != nil {
				t.Fatal(err)
			}
			return mustOpen(t, srv)
		}, storetest.Options{SparsePositions: true, EventIDsPerStream: true})
		// Every test ran on one log, and its positions really are sparse.
		all, err := seed.ReadAll(context.Background(), 0, eventstore.Forward, 0, eventstore.Filter{})
		if err != nil || len(all) < 1000 {
			t.Fatalf("the shared log holds %d events (%v)", len(all), err)
		}
		if all[0].Position <= 1<<20 {
			t.Fatalf("first position %d, want one past the offset %d", all[0].Position, 1<<20)
		}
		gaps := map[uint64]bool{}
		for i := 1; i < len(all); i++ {
			gaps[all[i].Position-all[i-1].Position] = true
		}
		if len(gaps) < 100 {
			t.Fatalf("only %d different gaps between positions", len(gaps))
		}
	})
}

// mustClient is a raw client on the test server, for what Remit's contract
// has no call for (deleting streams, looking at stored metadata).
func mustClient(tb testing.TB, srv *kurrenttest.Server) *esdb.Client {
	tb.Helper()
	conf, err := esdb.ParseConnectionString(srv.ConnString())
	if err != nil {
		tb.Fatal(err)
	}
	conf.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(conf)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func TestConflictCarriesActualRevision(t *testing.T) {
	s := mustOpen(t, kurrenttest.Start(t, kurrenttest.Options{}))
	ctx := context.Background()
	cases := []struct {
		name     string
		setup    int // events already in the stream
		expected eventstore.ExpectedRevision
		exists   bool
		actual   uint64
	}{
		{"ExactOnMissingStream", 0, eventstore.Exact(3), false, 0},
		{"StreamExistsOnMissingStream", 0, eventstore.StreamExists, false, 0},
		{"NoStreamOnExistingStream", 3, eventstore.NoStream, true, 2},
		{"ExactBehind", 5, eventstore.Exact(1), true, 4},
		{"ExactAhead", 1, eventstore.Exact(7), true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stream := "conflict-" + uuid.NewString()
			if c.setup > 0 {
				storetest.MustAppend(t, s, stream, eventstore.NoStream, storetest.Events("A", 0, c.setup)...)
			}
			_, err := s.Append(ctx, stream, c.expected, storetest.Event("B", 1))
			var we *eventstore.WrongExpectedVersionError
			if !errors.As(err, &we) || !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
				t.Fatalf("err = %v, want *WrongExpectedVersionError", err)
			}
			if we.Stream != stream || we.Exists != c.exists || we.Actual != c.actual || we.Expected != c.expected {
				t.Fatalf("conflict = %+v, want exists %v actual %d", we, c.exists, c.actual)
			}
		})
	}
}

func TestDeletedStreams(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	s := mustOpen(t, srv)
	raw := mustClient(t, srv)
	ctx := context.Background()
	storetest.MustAppend(t, s, "client-gone", eventstore.NoStream, storetest.Events("A", 0, 2)...)
	storetest.MustAppend(t, s, "client-soft", eventstore.NoStream, storetest.Events("A", 10, 3)...)
	last := storetest.MustAppend(t, s, "client-kept", eventstore.NoStream, storetest.Event("A", 20))

	if _, err := raw.TombstoneStream(ctx, "client-gone", esdb.TombstoneStreamOptions{ExpectedRevision: esdb.Any{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.DeleteStream(ctx, "client-soft", esdb.DeleteStreamOptions{ExpectedRevision: esdb.Revision(2)}); err != nil {
		t.Fatal(err)
	}

	t.Run("TombstonedStreamRefusesReadsAndAppends", func(t *testing.T) {
		_, err := s.ReadStream(ctx, "client-gone", 0, eventstore.Forward, 0)
		var de *kurrent.StreamDeletedError
		if !errors.As(err, &de) || de.Stream != "client-gone" || !errors.Is(err, kurrent.ErrStreamDeleted) {
			t.Fatalf("read: err = %v, want StreamDeletedError", err)
		}
		if _, err := s.Append(ctx, "client-gone", eventstore.Any, storetest.Event("A", 3)); !errors.Is(err, kurrent.ErrStreamDeleted) {
			t.Fatalf("append: err = %v, want ErrStreamDeleted", err)
		}
	})
	t.Run("SoftDeletedStreamReadsEmptyAndContinues", func(t *testing.T) {
		if evs, err := s.ReadStream(ctx, "client-soft", 0, eventstore.Forward, 0); err != nil || len(evs) != 0 {
			t.Fatalf("read = %d events, %v; want none", len(evs), err)
		}
		res := storetest.MustAppend(t, s, "client-soft", eventstore.Any, storetest.Event("A", 13))
		evs, err := s.ReadStream(ctx, "client-soft", 0, eventstore.Forward, 0)
		if err != nil || len(evs) != 1 || evs[0].Revision != 3 || res.Revision != 3 {
			t.Fatalf("after re-append: %+v, %v (result %+v)", evs, err, res)
		}
	})
	t.Run("SystemEventsAreSkipped", func(t *testing.T) {
		all, err := s.ReadAll(ctx, 0, eventstore.Forward, 0, eventstore.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		back, err := s.ReadAll(ctx, eventstore.End, eventstore.Backward, 0, eventstore.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 7 || len(back) != 7 {
			t.Fatalf("read all: %d forward, %d backward; want the 7 user events", len(all), len(back))
		}
		for _, e := range append(all, back...) {
			if strings.HasPrefix(e.Stream, "$") || strings.HasPrefix(e.Type, "$") {
				t.Fatalf("system event %s/%s returned", e.Stream, e.Type)
			}
		}
		// The raw log does hold the system events the deletes wrote.
		if n := rawCount(t, raw); n != 9 {
			t.Fatalf("raw $all has %d events, want 9", n)
		}
		head := storetest.MustHead(t, s)
		if head != all[len(all)-1].Position || head <= last.Position {
			t.Fatalf("head %d, last user event %d", head, all[len(all)-1].Position)
		}
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		n := 0
		for e, err := range s.Subscribe(sctx, 0, eventstore.Filter{}) {
			if err != nil {
				t.Fatal(err)
			}
			if e.ID != all[n].ID {
				t.Fatalf("subscription event %d is %s/%s, want %s", n, e.Stream, e.Type, all[n].Stream)
			}
			if n++; n == len(all) {
				break
			}
		}
	})
}

func rawCount(tb testing.TB, c *esdb.Client) int {
	tb.Helper()
	rs, err := c.ReadAll(context.Background(), esdb.ReadAllOptions{}, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	defer rs.Close()
	n := 0
	for {
		_, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
	}
}

func TestMetadataInCustomMetadataJSON(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	s := mustOpen(t, srv)
	before := time.Now().Add(-time.Second)
	e := storetest.Event("InvoiceIssued", 1)
	e.SchemaVersion = 2
	e.Metadata = eventstore.Metadata{Actor: "user:alice", CommandID: "cmd-1", CorrelationID: "corr-1", CausationID: "cause-1"}
	storetest.MustAppend(t, s, "invoice-1", eventstore.NoStream, e)

	rs, err := mustClient(t, srv).ReadStream(context.Background(), "invoice-1", esdb.ReadStreamOptions{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	got, err := rs.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	if err := json.Unmarshal(got.Event.UserMetadata, &meta); err != nil {
		t.Fatalf("custom metadata %q: %v", got.Event.UserMetadata, err)
	}
	want := map[string]any{"actor": "user:alice", "commandId": "cmd-1", "$correlationId": "corr-1", "$causationId": "cause-1", "schemaVersion": 2.0}
	if fmt.Sprint(meta) != fmt.Sprint(want) {
		t.Fatalf("custom metadata = %v, want %v", meta, want)
	}
	if got.Event.ContentType != "application/json" || got.Event.EventID != e.ID || got.Event.EventType != "InvoiceIssued" {
		t.Fatalf("stored event = %+v", got.Event)
	}
	back, err := s.ReadStream(context.Background(), "invoice-1", 0, eventstore.Forward, 0)
	if err != nil || len(back) != 1 {
		t.Fatal(err)
	}
	if at := back[0].Metadata.RecordedAt; !at.Equal(got.Event.CreatedDate) || at.Before(before) || at.After(time.Now()) {
		t.Fatalf("recorded at %v, server created %v", at, got.Event.CreatedDate)
	}
}

// next reads one value from a subscription, failing the test on an error.
func next(tb testing.TB, pull func() (eventstore.RecordedEvent, error, bool)) eventstore.RecordedEvent {
	tb.Helper()
	e, err, ok := pull()
	if !ok || err != nil {
		tb.Fatalf("subscription ended: %v", err)
	}
	return e
}

func TestSubscriptionSurvivesDrops(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	s := mustOpen(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := 0; i < 5; i++ {
		storetest.MustAppend(t, s, "drop-1", eventstore.Any, storetest.Event("A", i))
	}
	for _, f := range []eventstore.Filter{{}, {StreamPrefixes: []string{"drop-"}}} {
		t.Run(fmt.Sprintf("Filter%v", f.StreamPrefixes), func(t *testing.T) {
			pull, stop := iter.Pull2(s.Subscribe(ctx, 0, f))
			defer stop()
			var got []eventstore.RecordedEvent
			for len(got) < 5 {
				got = append(got, next(t, pull))
			}
			opened := srv.SubscriptionsOpened()
			srv.DropSubscriptions()
			// Appended while the subscription is down or coming back.
			head := storetest.MustHead(t, s)
			for i := 0; i < 5; i++ {
				storetest.MustAppend(t, s, "other-1", eventstore.Any, storetest.Event("N", i))
				storetest.MustAppend(t, s, "drop-1", eventstore.Any, storetest.Event("A", 100+i))
			}
			srv.DropSubscriptions()
			want, err := s.ReadAll(ctx, 0, eventstore.Forward, 0, f)
			if err != nil {
				t.Fatal(err)
			}
			for len(got) < len(want) {
				got = append(got, next(t, pull))
			}
			for i := range want {
				if got[i].ID != want[i].ID || got[i].Position != want[i].Position {
					t.Fatalf("event %d: got %s at %d, want %s at %d (head before the drop %d)", i, got[i].ID, got[i].Position, want[i].ID, want[i].Position, head)
				}
			}
			if reopened := srv.SubscriptionsOpened() - opened; reopened < 1 {
				t.Fatalf("the subscription was opened again %d times after two drops", reopened)
			}
		})
	}
}

func TestSubscriptionSurvivesServerRestart(t *testing.T) {
	dir := t.TempDir()
	srv, err := kurrenttest.New(dir, kurrenttest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr()
	s := mustOpen(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	storetest.MustAppend(t, s, "restart-1", eventstore.NoStream, storetest.Events("A", 0, 3)...)
	pull, stop := iter.Pull2(s.Subscribe(ctx, 0, eventstore.Filter{}))
	defer stop()
	for i := 0; i < 3; i++ {
		next(t, pull)
	}
	srv.Close()
	// The same folder served again on the same address, with events the
	// subscriber has not seen written before it can reconnect.
	srv2, err := kurrenttest.New(dir, kurrenttest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv2.Close() })
	if err := srv2.Listen(addr); err != nil {
		t.Fatal(err)
	}
	s2 := mustOpen(t, srv2)
	storetest.MustAppend(t, s2, "restart-1", eventstore.Exact(2), storetest.Events("A", 3, 3)...)
	for i := 3; i < 6; i++ {
		e := next(t, pull)
		if e.Revision != uint64(i) || e.Position != uint64(i+1) {
			t.Fatalf("after restart got revision %d at %d, want %d at %d", e.Revision, e.Position, i, i+1)
		}
	}
}

// TestSparsePositions runs against a server whose positions have gaps, as a
// real server's byte offsets do, and which refuses positions that start no
// event: every way of reading or subscribing from a position must still give
// exactly the events at or after (before, backwards) that position.
func TestSparsePositions(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{Stride: 1000})
	s := mustOpen(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := 0; i < 10; i++ {
		storetest.MustAppend(t, s, fmt.Sprintf("sparse-%d", i%2), eventstore.Any, storetest.Event("A", i))
	}
	all, err := s.ReadAll(ctx, 0, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil || len(all) != 10 {
		t.Fatalf("read all: %d events, %v", len(all), err)
	}
	if all[1].Position-all[0].Position != 1000 {
		t.Fatalf("positions %d, %d: the server's stride is not visible", all[0].Position, all[1].Position)
	}
	head := all[9].Position
	froms := map[string]uint64{
		"Start": 0, "First": all[0].Position, "Middle": all[4].Position, "AfterMiddle": all[4].Position + 1,
		"InsideGap": all[4].Position + 500, "Last": head, "AfterLast": head + 1, "Future": head + 5000,
	}
	for name, from := range froms {
		t.Run(name, func(t *testing.T) {
			var wantFwd, wantBack []eventstore.RecordedEvent
			for _, e := range all {
				if e.Position >= from {
					wantFwd = append(wantFwd, e)
				}
			}
			for i := len(all) - 1; i >= 0; i-- {
				if all[i].Position <= from {
					wantBack = append(wantBack, all[i])
				}
			}
			fwd, err := s.ReadAll(ctx, from, eventstore.Forward, 0, eventstore.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			sameEvents(t, "forward", fwd, wantFwd)
			back, err := s.ReadAll(ctx, from, eventstore.Backward, 0, eventstore.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			sameEvents(t, "backward", back, wantBack)
			if len(wantFwd) > 1 {
				lim, err := s.ReadAll(ctx, from, eventstore.Forward, 1, eventstore.Filter{})
				if err != nil {
					t.Fatal(err)
				}
				sameEvents(t, "forward limit 1", lim, wantFwd[:1])
			}
			if len(wantFwd) > 0 {
				pull, stop := iter.Pull2(s.Subscribe(ctx, from, eventstore.Filter{}))
				defer stop()
				var got []eventstore.RecordedEvent
				for len(got) < len(wantFwd) {
					got = append(got, next(t, pull))
				}
				sameEvents(t, "subscription", got, wantFwd)
			}
		})
	}
	t.Run("LiveFromFuture", func(t *testing.T) {
		pull, stop := iter.Pull2(s.Subscribe(ctx, head+1500, eventstore.Filter{}))
		defer stop()
		res := storetest.MustAppend(t, s, "sparse-0", eventstore.Any, storetest.Event("A", 10), storetest.Event("A", 11))
		e := next(t, pull)
		if e.Position != res.Position || e.Position < head+1500 {
			t.Fatalf("got event at %d, want the one at %d", e.Position, res.Position)
		}
	})
}

func sameEvents(tb testing.TB, what string, got, want []eventstore.RecordedEvent) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%s: %d events, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Position != want[i].Position {
			tb.Fatalf("%s: event %d at %d, want %d", what, i, got[i].Position, want[i].Position)
		}
	}
}

func TestNotLeader(t *testing.T) {
	leader := kurrenttest.Start(t, kurrenttest.Options{})
	follower := kurrenttest.Start(t, kurrenttest.Options{Leader: leader.Addr()})
	ctx := context.Background()

	t.Run("FollowedToTheLeader", func(t *testing.T) {
		// Open reads $all, is refused by the follower, and is retried on the
		// leader it named; so are appends.
		s := mustOpen(t, follower)
		res := storetest.MustAppend(t, s, "client-1", eventstore.NoStream, storetest.Event("A", 1))
		evs, err := mustOpen(t, leader).ReadStream(ctx, "client-1", 0, eventstore.Forward, 0)
		if err != nil || len(evs) != 1 || evs[0].Position != res.Position {
			t.Fatalf("leader holds %d events (%v); the append said %+v", len(evs), err, res)
		}
	})
	t.Run("NoLeaderReachable", func(t *testing.T) {
		// Two followers naming each other: the retry meets a follower too.
		a := kurrenttest.Start(t, kurrenttest.Options{Leader: follower.Addr()})
		_, err := kurrent.Open(ctx, a.ConnString(), kurrent.Options{})
		if !errors.Is(err, kurrent.ErrNotLeader) {
			t.Fatalf("err = %v, want ErrNotLeader", err)
		}
	})
	t.Run("GossipSeeds", func(t *testing.T) {
		// A cluster connection string whose seeds are a follower and a dead
		// node: gossip names the leader and the client connects to it.
		dead := deadAddr(t)
		conn := "kurrentdb://" + dead + "," + follower.Addr() + "?tls=false&maxDiscoverAttempts=5&discoveryInterval=10&gossipTimeout=2"
		s, err := kurrent.Open(ctx, conn, kurrent.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		storetest.MustAppend(t, s, "client-2", eventstore.NoStream, storetest.Event("A", 1))
		if evs, err := mustOpen(t, leader).ReadStream(ctx, "client-2", 0, eventstore.Forward, 0); err != nil || len(evs) != 1 {
			t.Fatalf("leader holds %d events of client-2 (%v)", len(evs), err)
		}
	})
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestConnectionStrings(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	ctx := context.Background()
	for _, scheme := range []string{"kurrentdb", "esdb", "kdb", "kurrent", "KurrentDB"} {
		conn := scheme + "://admin:changeit@" + srv.Addr() + "?tls=false"
		s, err := kurrent.Open(ctx, conn, kurrent.Options{})
		if err != nil {
			t.Fatalf("%s: %v", scheme, err)
		}
		s.Close()
		if !kurrent.IsConnString(conn) {
			t.Fatalf("IsConnString(%q) = false", conn)
		}
	}
	for _, bad := range []string{"postgres://x", "remit-data", "kurrentdb://", "esdb://h:notaport"} {
		if _, err := kurrent.Open(ctx, bad, kurrent.Options{}); !errors.Is(err, eventstore.ErrInvalid) {
			t.Fatalf("Open(%q): err = %v, want ErrInvalid", bad, err)
		}
	}
	if kurrent.IsConnString("./remit-data") {
		t.Fatal("a folder was taken for a connection string")
	}
	if got := kurrent.Redact("kurrentdb://admin:s3cret@h1:2113,h2:2113?tls=true"); strings.Contains(got, "s3cret") || !strings.Contains(got, "admin") {
		t.Fatalf("Redact = %q", got)
	}
	_, err := kurrent.Open(ctx, "esdb://"+deadAddr(t)+"?tls=false&maxDiscoverAttempts=1", kurrent.Options{})
	if err == nil {
		t.Fatal("opened a store on a dead address")
	}
}

// KurrentDB keeps "$" event types for its own events, which reads skip: an
// append with one is refused rather than written and lost.
func TestSystemEventTypesRefused(t *testing.T) {
	s := mustOpen(t, kurrenttest.Start(t, kurrenttest.Options{}))
	ctx := context.Background()
	_, err := s.Append(ctx, "client-1", eventstore.Any, storetest.Event("A", 0), eventstore.EventData{ID: uuid.New(), Type: "$metadata", Data: []byte(`{}`)})
	var ie *eventstore.InvalidError
	if !errors.As(err, &ie) || ie.Field != "events[1].type" {
		t.Fatalf("err = %v, want an invalid events[1].type", err)
	}
	if recs, err := s.ReadStream(ctx, "client-1", 0, eventstore.Forward, 0); err == nil && len(recs) > 0 {
		t.Fatalf("the refused append wrote %d events", len(recs))
	}
}
