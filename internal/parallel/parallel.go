// Package parallel runs independent pieces of work on a bounded number of
// goroutines.
package parallel

import (
	"context"
	"sync"
	"sync/atomic"
)

// For runs fn(0), fn(1) … fn(n-1) on up to workers goroutines, each taking
// the next index as it finishes one, and returns when all have run. When ctx
// is done no further index is started, and For returns ctx's error once the
// running calls have returned.
func For(ctx context.Context, workers, n int, fn func(i int)) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}
