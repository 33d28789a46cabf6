package parallel_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"remit/internal/parallel"
)

func TestForRunsEachIndexOnce(t *testing.T) {
	const n = 1000
	var seen [n]atomic.Int32
	if err := parallel.For(context.Background(), 8, n, func(i int) { seen[i].Add(1) }); err != nil {
		t.Fatal(err)
	}
	for i := range seen {
		if c := seen[i].Load(); c != 1 {
			t.Fatalf("index %d ran %d times", i, c)
		}
	}
}

func TestForBoundsWorkers(t *testing.T) {
	var running, most atomic.Int32
	parallel.For(context.Background(), 3, 200, func(int) {
		r := running.Add(1)
		for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
		}
		running.Add(-1)
	})
	if most.Load() > 3 {
		t.Fatalf("%d calls ran at once, want at most 3", most.Load())
	}
}

func TestForStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran, after atomic.Int32
	var cancelled atomic.Bool
	err := parallel.For(ctx, 2, 1000, func(int) {
		// The other worker keeps going while cancel runs (it may be slow
		// under the race detector); what must hold is that once cancel has
		// returned, a worker starts at most the one call it had already
		// taken.
		if cancelled.Load() {
			after.Add(1)
		}
		if ran.Add(1) == 10 {
			cancel()
			cancelled.Store(true)
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("For = %v, want context.Canceled", err)
	}
	if a := after.Load(); a > 1 {
		t.Fatalf("%d calls started after cancel returned (2 workers: at most 1)", a)
	}
}

func TestForNothingToDo(t *testing.T) {
	if err := parallel.For(context.Background(), 4, 0, func(int) { t.Fatal("called") }); err != nil {
		t.Fatal(err)
	}
}
