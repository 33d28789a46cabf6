package eventstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"remit/eventstore"
)

func TestProgressWaitsUntilAdvanced(t *testing.T) {
	var p eventstore.Progress
	done := make(chan error, 1)
	go func() { done <- p.Wait(context.Background(), 5) }()
	p.Advance(3)
	select {
	case err := <-done:
		t.Fatalf("Wait(5) returned %v at 3", err)
	case <-time.After(20 * time.Millisecond):
	}
	p.Advance(7)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	p.Advance(2) // never moves back
	if err := p.Wait(context.Background(), 7); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Wait(ctx, 8); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on a cancelled context = %v", err)
	}
}
