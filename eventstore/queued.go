package eventstore

import "context"

// QueuedAppender is a Store that applies appends in the order they are
// queued (the embedded store's one writer). AppendQueued is Append, except
// that it calls queued (once, on the caller's goroutine, before it returns)
// as soon as the append holds its place in that order: every append queued
// after that point is applied after this one. A caller that decides its next
// append to a stream from this one's outcome (a book of invoice numbers)
// can then decide and queue it while this one's commit is still being
// synced, instead of waiting for the sync: the next append expects the
// revision this one will leave, so if this one fails the next one fails too
// (a wrong expected version) and is decided again. The appends of one stream
// must all expect an exact revision for that to hold.
type QueuedAppender interface {
	AppendQueued(ctx context.Context, stream string, expected ExpectedRevision, queued func(), events ...EventData) (AppendResult, error)
}

// AppendQueued appends through s's AppendQueued when it has one; otherwise it
// appends and then, if the append succeeded, calls queued, so the caller's
// next append waits for this one's answer (a store several processes write
// to has no single order to queue in); a failed append never calls queued.
func AppendQueued(ctx context.Context, s Store, stream string, expected ExpectedRevision, queued func(), events ...EventData) (AppendResult, error) {
	if q, ok := s.(QueuedAppender); ok {
		return q.AppendQueued(ctx, stream, expected, queued, events...)
	}
	res, err := s.Append(ctx, stream, expected, events...)
	if err == nil {
		// Only after a success: on a store several processes write to,
		// another process may have taken the revision a failed append
		// expected, so a next append decided from the failed one's outcome
		// could expect that revision, be accepted, and record what was
		// decided from an append that never happened (a number block built
		// on reservations another process's block replaced left a gap).
		queued()
	}
	return res, err
}
