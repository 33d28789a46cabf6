package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/eventstore"
)

// decidedAppend is one stream's part of appendTogether: the events a
// command decided for it, and the revision they expect.
type decidedAppend struct {
	Stream   string
	Expected eventstore.ExpectedRevision
	Command  any // the command decided, for the observer
	Meta     Meta
	Events   []domain.Event
	// EventID names the events (nil: the command's own, Meta.eventID),
	// as the stream's Decider does.
	EventID func(Meta, string, int, domain.Event) uuid.UUID
}

// appendTogether is the handler's form for the steps of one use case that
// must be recorded together or not at all (an invoice and the reservation
// of its number): it encodes each stream's decided events as Handle does
// (envelopes) and appends them all or none (eventstore.AppendAtomic),
// calling queued as AppendAtomic does. A store that cannot answers
// eventstore.ErrNotAtomic; the caller then handles the steps one by one.
// The callers decide the events on states they folded and hold (the
// numbering book, the invoice stream they loaded), so a refusal (another
// process moved a stream on) is theirs to decide again.
func appendTogether(ctx context.Context, env Env, parts []decidedAppend, queued func()) ([]eventstore.AppendResult, error) {
	appends := make([]eventstore.StreamAppend, len(parts))
	n := 0
	for i, p := range parts {
		data, err := envelopes(env.Catalog, p.Events, p.Meta, p.Stream, 0, p.EventID)
		if err != nil {
			return nil, err
		}
		appends[i] = eventstore.StreamAppend{Stream: p.Stream, Expected: p.Expected, Events: data}
		n += len(data)
	}
	start := time.Now()
	res, err := eventstore.AppendAtomic(ctx, env.Store, appends, queued)
	if err != nil {
		return nil, fmt.Errorf("append %s and %d more together: %w", parts[0].Stream, len(parts)-1, err)
	}
	if o := observerFrom(ctx); o != nil {
		o.Appended(n, time.Since(start))
		for _, p := range parts {
			o.CommandHandled(fmt.Sprintf("%T", p.Command), "ok")
		}
	}
	return res, nil
}
