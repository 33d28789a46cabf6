package eventstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// StreamAppend is one append of a multi-stream append (AppendMany): events
// for one stream, with that stream's own expected revision.
type StreamAppend struct {
	Stream   string
	Expected ExpectedRevision
	Events   []EventData
}

// AppendOutcome is what became of one StreamAppend: its result, or the
// error Append would have answered for it alone (a wrong expected version,
// a duplicate event id, bad input).
type AppendOutcome struct {
	Result AppendResult
	Err    error
}

// MultiAppender is a Store that takes many appends, to many streams, in one
// request and answers them with one reply (the embedded and PostgreSQL
// stores: their one writer commits them together, with one sync, instead of
// each caller queueing its own append and waiting for its own answer).
//
// The semantics are Append's, per append: each StreamAppend is checked
// against its own expected revision and is atomic on its own (all its
// events or none), and each has its own outcome; one refused append does not
// refuse the others (a block is not all-or-nothing). A store may commit them
// in one transaction or in several, and their positions need not follow
// the block's order (the embedded store's do). A block
// naming one stream twice is refused whole (ErrInvalid), before anything is
// written. The error return is for what stopped the whole request (ctx
// before anything was queued, the store closed); then the outcomes are nil.
type MultiAppender interface {
	AppendMany(ctx context.Context, appends []StreamAppend) ([]AppendOutcome, error)
}

// AppendMany makes appends through s's AppendMany when it has one;
// otherwise it makes each with Append, up to manyInFlight at once (a store
// with no writer of its own to hand a block to: KurrentDB, whose client
// appends one stream per request), with the same per-append semantics.
func AppendMany(ctx context.Context, s Store, appends []StreamAppend) ([]AppendOutcome, error) {
	if err := CheckAppendMany(appends); err != nil {
		return nil, err
	}
	if m, ok := s.(MultiAppender); ok {
		return m.AppendMany(ctx, appends)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	outs := make([]AppendOutcome, len(appends))
	sem := make(chan struct{}, manyInFlight)
	var wg sync.WaitGroup
	for i := range appends {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			a := &appends[i]
			outs[i].Result, outs[i].Err = s.Append(ctx, a.Stream, a.Expected, a.Events...)
		})
	}
	wg.Wait()
	return outs, nil
}

// manyInFlight bounds the appends AppendMany's fallback makes at once.
const manyInFlight = 256

// CheckAppendMany refuses a block of appends naming one stream twice: each
// append's expected revision is the stream's before the block, so two
// appends to one stream would depend on their order. Backends call it
// before queueing anything.
func CheckAppendMany(appends []StreamAppend) error {
	seen := make(map[string]int, len(appends))
	for i, a := range appends {
		if j, dup := seen[a.Stream]; dup {
			return &InvalidError{Field: fmt.Sprintf("appends[%d].stream", i), Reason: fmt.Sprintf("stream %q is also appended to by appends[%d]: one append per stream in a block", a.Stream, j)}
		}
		seen[a.Stream] = i
	}
	return nil
}

// QueueMany is the AppendMany of a backend whose one writer takes blocks
// of requests from a queue (the embedded and PostgreSQL stores). It
// refuses a block naming a stream twice, and each append check refuses;
// makes the writer's request of every other append with req (i: its place
// in the block; m: where the writer answers it); hands them to the writer
// on queue as one block, or refuses them all when done (the store closed)
// or ctx ends first; and waits once for every answer (ErrClosed when the
// writer stopped first).
func QueueMany[R any](ctx context.Context, appends []StreamAppend, check func(StreamAppend) error, req func(i int, m *ManyReplies) R,
	queue chan<- []R, done, stopped <-chan struct{}) ([]AppendOutcome, error) {
	if err := CheckAppendMany(appends); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := NewManyReplies(len(appends))
	block := make([]R, 0, len(appends))
	at := make([]int, 0, len(appends)) // the place of each of block's appends
	for i, a := range appends {
		if err := check(a); err != nil {
			m.Refuse(i, err, false)
			continue
		}
		block = append(block, req(i, m))
		at = append(at, i)
		m.Queueing()
	}
	if len(block) > 0 {
		// The writer takes the block whole, so its appends share a commit.
		var err error
		select {
		case queue <- block:
		case <-done:
			err = ErrClosed
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			for _, i := range at {
				m.Refuse(i, err, true)
			}
		}
	}
	m.Done()
	return m.Wait(stopped)
}

// ManyReplies gathers the outcomes of a block's appends for a backend whose
// writer answers appends one by one (the embedded and PostgreSQL stores):
// the writer calls Answer for each append it took, and the block's caller,
// after Queueing each append it hands the writer and Done when it has handed
// them all, waits once (Wait) instead of once per append.
type ManyReplies struct {
	outs []AppendOutcome
	left atomic.Int64 // appends not answered yet, plus one until Done
	done chan struct{}
}

// NewManyReplies returns the replies of a block of n appends.
func NewManyReplies(n int) *ManyReplies {
	m := &ManyReplies{outs: make([]AppendOutcome, n), done: make(chan struct{})}
	m.left.Store(1)
	return m
}

// Queueing counts append i as handed to the writer, which will Answer it.
func (m *ManyReplies) Queueing() { m.left.Add(1) }

// Refuse answers append i without the writer (refused before queueing, or
// not queued after all: then call it after Queueing, with counted set).
func (m *ManyReplies) Refuse(i int, err error, counted bool) {
	m.outs[i].Err = err
	if counted {
		m.release()
	}
}

// Answer records append i's outcome (the writer's goroutine).
func (m *ManyReplies) Answer(i int, res AppendResult, err error) {
	m.outs[i] = AppendOutcome{Result: res, Err: err}
	m.release()
}

// Done says every append was queued or refused.
func (m *ManyReplies) Done() { m.release() }

func (m *ManyReplies) release() {
	if m.left.Add(-1) == 0 {
		close(m.done)
	}
}

// Wait returns the outcomes once every append queued is answered, or
// ErrClosed when the writer stopped (closed) without answering them all.
func (m *ManyReplies) Wait(stopped <-chan struct{}) ([]AppendOutcome, error) {
	select {
	case <-m.done:
		return m.outs, nil
	case <-stopped:
		// The writer answers every append it takes before it stops.
		select {
		case <-m.done:
			return m.outs, nil
		default:
			return nil, ErrClosed
		}
	}
}
