package follow

import (
	"context"
	"testing"
	"time"

	"remit/eventstore/sqlite"
)

// TestCatchUpDoesNotQueueBehindRun: a CatchUp that finds the turn taken by
// a Run that has only just started (it keeps the turn for as long as it
// follows) waits for the positions Run reaches instead of for Run to end.
func TestCatchUpDoesNotQueueBehindRun(t *testing.T) {
	st, err := sqlite.Open(t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := New(st, func(context.Context, Event) error { return nil }, Options{})
	// A Run between taking the turn and saying it runs.
	f.turn.Lock()
	defer f.turn.Unlock()
	done := make(chan error, 1)
	go func() { done <- f.CatchUp(context.Background()) }()
	time.Sleep(20 * time.Millisecond)
	f.mu.Lock()
	f.running = true
	f.wake()
	f.mu.Unlock()
	head, err := st.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.advance(head + 1) // Run, following live, passes the head
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("CatchUp waited for Run to give up the turn")
	}
}
