package projections

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"remit/domain/catalog"
	"remit/eventstore"
)

// replayBatch is how many events one ReadAll of a replay reads.
const replayBatch = 4096

// decodeEvent decodes a stored event through the catalogue; ok is false for
// an event no decoder knows (or whose data does not decode), which
// projections skip.
func decodeEvent(cat *catalog.Catalog, rec eventstore.RecordedEvent) (Event, bool) {
	data, err := cat.Decode(rec.Type, rec.Data)
	if err != nil {
		return Event{}, false
	}
	return Event{
		Position: rec.Position,
		Stream:   rec.Stream,
		Revision: rec.Revision,
		Type:     rec.Type,
		Metadata: rec.Metadata,
		Data:     data,
	}, true
}

// dispatch applies one decoded event (or, when !ok, only advances) to every
// projection that has not seen its position.
func dispatch(ps []Projection, pos uint64, e Event, ok bool) {
	for _, p := range ps {
		if p.Checkpoint() >= pos {
			continue
		}
		if ok {
			p.Apply(e)
		} else {
			p.Advance(pos)
		}
	}
}

// Replay reads the log from the lowest checkpoint of projections up to bound
// and applies each event, decoded once through cat, to every projection that
// has not seen it. It returns the position of the last event applied (0 when
// none) and how many events were skipped as undecodable.
func Replay(ctx context.Context, store eventstore.Store, cat *catalog.Catalog, projections []Projection, bound Bound) (uint64, error) {
	last, _, err := replay(ctx, store, cat, projections, bound)
	return last, err
}

// decoded is one read batch, decoded; ok[i] is false for an event no
// decoder knows.
type decoded struct {
	recs   []eventstore.RecordedEvent
	events []Event
	ok     []bool
	err    error
}

// replay reads batches and decodes each across every CPU in a goroutine of
// its own while the caller's goroutine applies the previous batch in order:
// decoding JSON is most of a rebuild's cost, and it needs no order.
func replay(ctx context.Context, store eventstore.Store, cat *catalog.Catalog, projections []Projection, bound Bound) (last, skipped uint64, err error) {
	from := uint64(0)
	for i, p := range projections {
		if c := p.Checkpoint(); i == 0 || c < from {
			from = c
		}
	}
	last = from
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan decoded, 2)
	go readAndDecode(ctx, store, cat, from+1, bound, batches)
	for b := range batches {
		if b.err != nil {
			return last, skipped, b.err
		}
		for i, rec := range b.recs {
			if !b.ok[i] {
				skipped++
			}
			dispatch(projections, rec.Position, b.events[i], b.ok[i])
			last = rec.Position
		}
	}
	return last, skipped, ctx.Err()
}

// readAndDecode sends the decoded batches of the log from position from up
// to bound, then closes out.
func readAndDecode(ctx context.Context, store eventstore.Store, cat *catalog.Catalog, from uint64, bound Bound, out chan<- decoded) {
	defer close(out)
	workers := max(runtime.GOMAXPROCS(0), 1)
	for {
		batch, err := store.ReadAll(ctx, from, eventstore.Forward, replayBatch, eventstore.Filter{})
		if err != nil {
			select {
			case out <- decoded{err: fmt.Errorf("replay from %d: %w", from, err)}:
			case <-ctx.Done():
			}
			return
		}
		end := len(batch)
		for i, rec := range batch {
			if (bound.Position != 0 && rec.Position > bound.Position) ||
				(!bound.Time.IsZero() && rec.Metadata.RecordedAt.After(bound.Time)) {
				end = i
				break
			}
		}
		d := decoded{recs: batch[:end], events: make([]Event, end), ok: make([]bool, end)}
		var wg sync.WaitGroup
		chunk := (end + workers - 1) / workers
		for lo := 0; lo < end; lo += chunk {
			hi := min(lo+chunk, end)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := lo; i < hi; i++ {
					d.events[i], d.ok[i] = decodeEvent(cat, d.recs[i])
				}
			}()
		}
		wg.Wait()
		select {
		case out <- d:
		case <-ctx.Done():
			return
		}
		if end < len(batch) || len(batch) < replayBatch {
			return
		}
		from = batch[len(batch)-1].Position + 1
	}
}
