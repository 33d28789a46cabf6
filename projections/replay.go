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

// replayBatch is how many events one ReadAll of a replay reads: as many as
// the live follower's.
const replayBatch = follow.DefaultBatch

// ignoredStreamPrefix starts the names of streams that hold no domain
// events: the HTTP API's idempotency records ("request-<hash>") that old
// logs hold, from before they moved to a table beside the log (package
// eventstore/idempotency). Their events are not decoded, only advanced
// over, and never warned about.
const ignoredStreamPrefix = "request-"

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

// batch is a run of consecutive events of the log, decoded. Lanes share it
// read-only.
type batch struct {
	positions []uint64
	events    []Event
	outcomes  []outcome
	// recs are the stored events, kept only until decoded.
	recs []eventstore.RecordedEvent
	err  error
}

// lanes apply batches to projections, one goroutine per projection, each
// fed in global order through a channel of its own: projections apply
// concurrently with one another, and each sees every event in order.
type lanes struct {
	chans   []chan *batch
	pending sync.WaitGroup // batches sent and not yet applied, per lane
	done    sync.WaitGroup // lane goroutines
}

// laneDepth is how many batches may wait for a lane.
const laneDepth = 4

// startLanes starts a lane per projection; applied, when not nil, is
// called (from the lane's goroutine) after a lane applied a batch.
func startLanes(ps []Projection, applied func()) *lanes {
	l := &lanes{chans: make([]chan *batch, len(ps))}
	for i, p := range ps {
		ch := make(chan *batch, laneDepth)
		l.chans[i] = ch
		l.done.Add(1)
		go func() {
			defer l.done.Done()
			for b := range ch {
				applyBatch(p, b)
				if applied != nil {
					applied()
				}
				l.pending.Done()
			}
		}()
	}
	return l
}

// applyBatch applies b's events after p's checkpoint to p; events it cannot
// apply only advance the checkpoint, once per run of them.
func applyBatch(p Projection, b *batch) {
	cp := p.Checkpoint()
	var advance uint64
	for i, pos := range b.positions {
		if pos <= cp {
			continue
		}
		if b.outcomes[i] == decodedOK {
			p.Apply(b.events[i])
			cp, advance = pos, 0
		} else {
			advance = pos
		}
	}
	if advance > cp {
		p.Advance(advance)
	}
}

// send queues b for every lane.
func (l *lanes) send(b *batch) {
	l.pending.Add(len(l.chans))
	for _, ch := range l.chans {
		ch <- b
	}
}

// flush waits until every lane applied every batch sent. It must not run
// concurrently with send.
func (l *lanes) flush() { l.pending.Wait() }

// stop applies what was sent and ends the lanes.
func (l *lanes) stop() {
	for _, ch := range l.chans {
		close(ch)
	}
	l.done.Wait()
}

// Replay reads the log from the lowest checkpoint of projections up to bound
// and applies each event, decoded once through cat, to every projection that
// has not seen it. It returns the position of the last event applied (0 when
// none) and how many events were skipped as undecodable.
func Replay(ctx context.Context, store eventstore.Store, cat *catalog.Catalog, projections []Projection, bound Bound) (uint64, error) {
	last, _, err := replay(ctx, store, cat, projections, bound, nil)
	return last, err
}

// replay reads the log in batches in one goroutine, decodes each batch
// across every CPU in another (decoding JSON is most of a rebuild's cost,
// and it needs no order) and hands the decoded batches to a lane per
// projection. It returns once every projection applied every batch; hooks,
// when not nil, hear of its progress.
func replay(ctx context.Context, store eventstore.Store, cat *catalog.Catalog, projections []Projection, bound Bound, hooks *replayHooks) (last, skipped uint64, err error) {
	from := uint64(0)
	for i, p := range projections {
		if c := p.Checkpoint(); i == 0 || c < from {
			from = c
		}
	}
	last = from
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	read := make(chan *batch, 1)
	decoded := make(chan *batch, 1)
	go readBatches(ctx, store, from+1, bound, read)
	go decodeBatches(ctx, cat, read, decoded)
	var applied func()
	if hooks != nil {
		applied = hooks.applied
	}
	l := startLanes(projections, applied)
	defer l.stop()
	for b := range decoded {
		if b.err != nil {
			return last, skipped, b.err
		}
		for i, o := range b.outcomes {
			if o == unknown {
				skipped++
			}
			if o != decodedOK && hooks != nil && hooks.skipped != nil {
				hooks.skipped(b.recs[i], o)
			}
		}
		b.recs = nil
		l.send(b)
		last = b.positions[len(b.positions)-1]
	}
	l.flush()
	return last, skipped, ctx.Err()
}

// replayHooks let the Runner hear of a replay's progress.
type replayHooks struct {
	applied func()                                  // a lane applied a batch
	skipped func(eventstore.RecordedEvent, outcome) // an event not applied (unknown or ignored)
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
