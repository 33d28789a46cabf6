package postgres_test

import (
	"context"
	"testing"
	"time"

	"remit/eventstore"
	"remit/eventstore/postgres"
	"remit/eventstore/storetest"
)

// A subscription keeps delivering, with no gap and no duplicate, after the
// server terminates its Store's connections (the listener's and the pooled
// readers', as a server restart or a failover would), and appends whose
// connection is terminated succeed on a new one. The subscribing Store
// polls only once an hour, so every wake-up it gets comes from LISTEN/NOTIFY
// (or from the listener coming back).
func TestSubscriptionSurvivesTerminatedConnections(t *testing.T) {
	db := MustDatabase(t)
	reader := MustOpen(t, db, postgres.Options{ApplicationName: "remit-reader", PollInterval: time.Hour})
	writer := MustOpen(t, db, postgres.Options{ApplicationName: "remit-writer"})
	admin := MustConn(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	terminate := func(app string) int {
		t.Helper()
		var n int
		err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE $1 || '%'`, app).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	listeners := func(app string) int {
		t.Helper()
		var n int
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`, app+"-listener").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	const rounds, perRound = 4, 10
	events := make(chan eventstore.RecordedEvent)
	errs := make(chan error, 1)
	go func() {
		for e, err := range reader.Subscribe(ctx, 0, eventstore.Filter{}) {
			if err != nil {
				errs <- err
				return
			}
			select {
			case events <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	var appended []eventstore.EventData
	var got []eventstore.RecordedEvent
	for round := 0; round < rounds; round++ {
		switch round {
		case 1:
			if listeners("remit-reader") != 1 {
				t.Fatal("the reader has no listening connection")
			}
			if n := terminate("remit-reader"); n < 1 {
				t.Fatalf("terminated %d reader connections", n)
			}
		case 2:
			terminate("remit-writer")
		case 3:
			terminate("remit-reader")
			terminate("remit-writer")
		}
		for i := 0; i < perRound; i++ {
			e := storetest.Event("Step", round*100+i)
			// A caller that sees an error retries with the same event: an
			// idempotent retry, so it is written once either way.
			var err error
			for try := 0; try < 3; try++ {
				if _, err = writer.Append(ctx, "steps-1", eventstore.Any, e); err == nil {
					break
				}
			}
			if err != nil {
				t.Fatalf("round %d: append: %v", round, err)
			}
			appended = append(appended, e)
		}
		for len(got) < len(appended) {
			select {
			case e := <-events:
				got = append(got, e)
			case err := <-errs:
				t.Fatalf("round %d: subscription ended: %v", round, err)
			case <-ctx.Done():
				t.Fatalf("round %d: subscriber has %d of %d events", round, len(got), len(appended))
			}
		}
	}
	if listeners("remit-reader") != 1 {
		t.Fatal("the reader's listener did not come back")
	}
	log, err := writer.ReadAll(ctx, 0, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	wantExactlyOnceInOrder(t, "subscriber", got, log)
	for i, e := range log {
		if e.ID != appended[i].ID {
			t.Fatalf("position %d is %s, appended %s", e.Position, e.ID, appended[i].ID)
		}
	}
}

// A subscriber on one Store is woken by appends of another (another Remit
// process) through NOTIFY: it polls only once an hour.
func TestNotifyWakesSubscribersOfOtherStores(t *testing.T) {
	db := MustDatabase(t)
	reader := MustOpen(t, db, postgres.Options{PollInterval: time.Hour})
	writer := MustOpen(t, db, postgres.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	storetest.MustAppend(t, writer, "n-1", eventstore.Any, storetest.Event("A", 0))
	live := make(chan struct{})
	out := make(chan int, 1)
	go func() {
		n := 0
		for _, err := range reader.Subscribe(ctx, 0, eventstore.Filter{}) {
			if err != nil {
				break
			}
			n++
			if n == 1 {
				close(live) // caught up: what follows can only come live
			}
			if n == 3 {
				break
			}
		}
		out <- n
	}()
	<-live
	storetest.MustAppend(t, writer, "n-1", eventstore.Any, storetest.Event("A", 1))
	storetest.MustAppend(t, writer, "n-1", eventstore.Any, storetest.Event("A", 2))
	if n := <-out; n != 3 {
		t.Fatalf("subscriber got %d of 3 events", n)
	}
}
