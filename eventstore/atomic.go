package eventstore

import (
	"context"
	"errors"
)

// AtomicAppender is a Store that makes appends to several streams as one:
// all of them or none (the embedded and PostgreSQL stores: one transaction).
// Each append is checked as Append checks it alone (its own expected
// revision; the same ids at the same place again are an idempotent retry,
// which succeeds and writes nothing); when any is refused nothing of any is
// written, and the error is that append's refusal (errors.Is(err,
// ErrWrongExpectedVersion) for a wrong expected version). A block naming one
// stream twice is refused whole (ErrInvalid). On success the results are
// the appends', in the block's order.
//
// queued is called at most once, on the caller's goroutine, before
// AppendAtomic returns: on a store whose one writer applies appends in the
// order they are queued (the embedded store) as soon as the block holds its
// place in that order, whatever its outcome then (as QueuedAppender's
// AppendQueued does); on others only after the block was written.
type AtomicAppender interface {
	AppendAtomic(ctx context.Context, appends []StreamAppend, queued func()) ([]AppendResult, error)
}

// ErrNotAtomic is AppendAtomic's answer for a store that cannot append to
// several streams in one transaction (KurrentDB, whose client appends one
// stream per request): the caller appends one stream after another instead.
var ErrNotAtomic = errors.New("eventstore: this store cannot append to several streams at once")

// AppendAtomic makes appends all or none through s's AppendAtomic, or
// answers ErrNotAtomic (and does not call queued) when s has none.
func AppendAtomic(ctx context.Context, s Store, appends []StreamAppend, queued func()) ([]AppendResult, error) {
	if a, ok := s.(AtomicAppender); ok {
		return a.AppendAtomic(ctx, appends, queued)
	}
	return nil, ErrNotAtomic
}
