package projections

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"remit/domain/catalog"
	"remit/eventstore"
	"remit/projections/follow"
)

// replayBatch is how many events one ReadAll of a replay reads, and one
// transaction of a fill applies: as many as the live follower reads.
const replayBatch = follow.DefaultBatch

// ignoredStreamPrefix starts the names of streams that hold no domain
// events: the HTTP API's idempotency records ("request-<hash>") that old
// logs hold, from before they moved to a table beside the log (package
// eventstore/idempotency). Their events are not decoded, only advanced
// over, and never warned about.
const ignoredStreamPrefix = "request-"

// erasureEventType is the event appended after a client's key was destroyed
// (client.ClientErased). Tables written before it hold the client's
// personal data in clear; when the runner meets it, it fills a new
// generation of every projection from the log, which now reads erased, and
// swaps them in. That is a full rebuild per erasure: erasures are rare, and
// a generic rebuild cannot miss a read model.
const erasureEventType = "ClientErased"

var erasureFilter = eventstore.Filter{EventTypes: []string{erasureEventType}}

// outcome is what decoding made of a stored event.
type outcome uint8

const (
	decodedOK outcome = iota // decoded: applied to every projection
	unknown                  // no decoder knows it (or its data): skipped and counted
	ignored                  // not a domain event (an old log's request stream): advanced over silently
)

// decodeEvent decodes a stored event through the catalogue.
func decodeEvent(cat *catalog.Catalog, rec eventstore.RecordedEvent) (Event, outcome) {
	if strings.HasPrefix(rec.Stream, ignoredStreamPrefix) {
		return Event{}, ignored
	}
	e, err := follow.Decode(cat, rec)
	if err != nil {
		return Event{}, unknown
	}
	return e, decodedOK
}

// batch is a run of consecutive events of the log, decoded.
type batch struct {
	positions []uint64
	events    []Event
	outcomes  []outcome
	// recs are the stored events, kept until applied.
	recs []eventstore.RecordedEvent
	err  error
}

// replayInto reads the log after from up to bound in batches in one
// goroutine, decodes each batch across every CPU in another (decoding JSON
// is much of a rebuild's cost, and it needs no order), and hands the
// decoded batches, in order, to apply.
func replayInto(ctx context.Context, store eventstore.Store, cat *catalog.Catalog, from uint64, bound Bound, apply func(*batch, []eventstore.RecordedEvent) error) (ReplayStats, error) {
	st := ReplayStats{Last: from}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	read := make(chan *batch, 1)
	decoded := make(chan *batch, 1)
	go readBatches(ctx, store, from+1, bound, read)
	go decodeBatches(ctx, cat, read, decoded)
	for b := range decoded {
		if b.err != nil {
			return st, b.err
		}
		for _, o := range b.outcomes {
			if o == unknown {
				st.Skipped++
			}
		}
		if err := apply(b, b.recs); err != nil {
			return st, err
		}
		st.Events += uint64(len(b.positions))
		st.Last = b.positions[len(b.positions)-1]
	}
	return st, ctx.Err()
}

// readBatches sends the batches of the log from position from up to bound,
// then closes out.
func readBatches(ctx context.Context, store eventstore.Store, from uint64, bound Bound, out chan<- *batch) {
	defer close(out)
	for {
		recs, err := store.ReadAll(ctx, from, eventstore.Forward, replayBatch, eventstore.Filter{})
		if err != nil {
			select {
			case out <- &batch{err: fmt.Errorf("replay from %d: %w", from, err)}:
			case <-ctx.Done():
			}
			return
		}
		end := len(recs)
		for i, rec := range recs {
			if (bound.Position != 0 && rec.Position > bound.Position) ||
				(!bound.Time.IsZero() && rec.Metadata.RecordedAt.After(bound.Time)) {
				end = i
				break
			}
		}
		if end > 0 {
			select {
			case out <- &batch{recs: recs[:end]}:
			case <-ctx.Done():
				return
			}
		}
		if end < len(recs) || len(recs) < replayBatch {
			return
		}
		from = recs[len(recs)-1].Position + 1
	}
}

// decodeBatches decodes each batch from in across every CPU and sends it on.
func decodeBatches(ctx context.Context, cat *catalog.Catalog, in <-chan *batch, out chan<- *batch) {
	defer close(out)
	workers := max(runtime.GOMAXPROCS(0), 1)
	for b := range in {
		if b.err == nil {
			n := len(b.recs)
			b.positions, b.events, b.outcomes = make([]uint64, n), make([]Event, n), make([]outcome, n)
			var wg sync.WaitGroup
			chunk := (n + workers - 1) / workers
			for lo := 0; lo < n; lo += chunk {
				hi := min(lo+chunk, n)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := lo; i < hi; i++ {
						b.positions[i] = b.recs[i].Position
						b.events[i], b.outcomes[i] = decodeEvent(cat, b.recs[i])
					}
				}()
			}
			wg.Wait()
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return
		}
	}
}
