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
	var ran atomic.Int32
	err := parallel.For(ctx, 2, 1000, func(int) {
		if ran.Add(1) == 10 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("For = %v, want context.Canceled", err)
	}
	if r := ran.Load(); r > 12 {
		t.Fatalf("%d calls ran after cancelling at the 10th (2 workers)", r)
	}
}

func TestForNothingToDo(t *testing.T) {
	if err := parallel.For(context.Background(), 4, 0, func(int) { t.Fatal("called") }); err != nil {
		t.Fatal(err)
	}
}
