package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"remit/eventstore"
	"remit/eventstore/postgres"
	"remit/eventstore/storetest"

	"github.com/google/uuid"
)

// subscriber collects events from a subscription until it has want of them.
type subscriber struct {
	got []eventstore.RecordedEvent
	err error
}

func subscribe(ctx context.Context, s eventstore.Store, from uint64, want int, out chan<- subscriber) {
	var r subscriber
	for e, err := range s.Subscribe(ctx, from, eventstore.Filter{}) {
		if err != nil {
			r.err = fmt.Errorf("after %d events: %w", len(r.got), err)
			break
		}
		r.got = append(r.got, e)
		if len(r.got) == want {
			break
		}
	}
	out <- r
}

// wantExactlyOnceInOrder checks that got holds positions first, first+1, …
// with no gap and no repeat, and the same events as the log.
func wantExactlyOnceInOrder(t *testing.T, name string, got, log []eventstore.RecordedEvent) {
	t.Helper()
	if len(got) != len(log) {
		t.Fatalf("%s saw %d events, the log has %d", name, len(got), len(log))
	}
	seen := make(map[uuid.UUID]bool, len(got))
	for i, e := range got {
		if e.Position != log[0].Position+uint64(i) {
			t.Fatalf("%s: event %d has position %d, want %d (a gap or a reordering)", name, i, e.Position, log[0].Position+uint64(i))
		}
		if seen[e.ID] {
			t.Fatalf("%s saw event %s twice", name, e.ID)
		}
		seen[e.ID] = true
		if e.ID != log[i].ID {
			t.Fatalf("%s: position %d is %s, the log has %s", name, e.Position, e.ID, log[i].ID)
		}
	}
}

// 32 appenders spread over 8 Stores (as 8 Remit processes would be, each
// with its own connections and writer) commit concurrently while subscribers
// on different Stores follow the log live. Every subscriber must see every
// event exactly once, in position order with no gap, although commits from
// different Stores race each other: the proof that positions are assigned in
// commit order.
func TestConcurrentAppendersSubscribersSeeEveryEventOnceInOrder(t *testing.T) {
	db := MustDatabase(t)
	const stores, appenders, appends, subscribers = 8, 32, 30, 4
	var ss []*postgres.Store
	for i := 0; i < stores; i++ {
		ss = append(ss, MustOpen(t, db, postgres.Options{MaxConns: 4}))
	}
	total := 0
	for a := 0; a < appenders; a++ {
		for k := 0; k < appends; k++ {
			total += 1 + (a+k)%4
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := make(chan subscriber, subscribers)
	for i := 0; i < subscribers; i++ {
		go subscribe(ctx, ss[(i*3)%stores], 0, total, out)
	}
	var wg sync.WaitGroup
	for a := 0; a < appenders; a++ {
		wg.Add(1)
		go func(a int) {
			defer wg.Done()
			s := ss[a%stores]
			for k := 0; k < appends; k++ {
				// Half the appenders share streams, with Any, so appends to
				// one stream also race.
				stream := fmt.Sprintf("client-%d", a)
				if a%2 == 0 {
					stream = fmt.Sprintf("shared-%d", a%4)
				}
				if _, err := s.Append(ctx, stream, eventstore.Any, storetest.Events("W", a*1000+k*10, 1+(a+k)%4)...); err != nil {
					t.Errorf("appender %d: %v", a, err)
					return
				}
			}
		}(a)
	}
	wg.Wait()
	log, err := ss[0].ReadAll(ctx, 0, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != total || log[0].Position != 1 || log[len(log)-1].Position != uint64(total) {
		t.Fatalf("log has %d events (%d..%d), want positions 1..%d", len(log), log[0].Position, log[len(log)-1].Position, total)
	}
	for i := 0; i < subscribers; i++ {
		r := <-out
		if r.err != nil {
			t.Fatalf("subscriber: %v", r.err)
		}
		wantExactlyOnceInOrder(t, fmt.Sprintf("subscriber %d", i), r.got, log)
	}
	// Streams shared by racing appenders still have revisions 0, 1, 2… in
	// position order.
	for i := 0; i < 4; i++ {
		evs, err := ss[1].ReadStream(ctx, fmt.Sprintf("shared-%d", i), 0, eventstore.Forward, 0)
		if err != nil {
			t.Fatal(err)
		}
		for j, e := range evs {
			if e.Revision != uint64(j) || (j > 0 && e.Position <= evs[j-1].Position) {
				t.Fatalf("shared-%d: event %d has revision %d at position %d", i, j, e.Revision, e.Position)
			}
		}
	}
	if rep, err := ss[2].Verify(ctx); err != nil || rep.Events != uint64(total) {
		t.Fatalf("verify = %+v, %v", rep, err)
	}
}
