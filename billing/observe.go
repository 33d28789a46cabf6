package billing

import (
	"context"
	"fmt"
	"time"

	"remit/domain"
)

// Observer hears what the command handler does, for metrics: each command
// settled (its type, such as "invoice.IssueInvoice", and its outcome: "ok",
// "already_applied", or the domain error code) and each append (how many
// events, how long it took). It must be safe for concurrent use and quick.
type Observer interface {
	CommandHandled(command, outcome string)
	Appended(events int, took time.Duration)
}

// The context carries the observer and the request id: every caller of the
// handler (HTTP handlers, process managers, one-shot commands) passes its
// context down, so neither needs a parameter through every use case.
type (
	observerKey  struct{}
	requestIDKey struct{}
)

// WithObserver returns ctx carrying o, heard by every command handled
// under it.
func WithObserver(ctx context.Context, o Observer) context.Context {
	if o == nil {
		return ctx
	}
	return context.WithValue(ctx, observerKey{}, o)
}

func observerFrom(ctx context.Context) Observer {
	o, _ := ctx.Value(observerKey{}).(Observer)
	return o
}

// WithRequestID returns ctx carrying the id of the HTTP request it serves:
// events appended under it whose Meta names no correlation id record the
// request id as their correlation id, so a request's log line leads to its
// events and an event back to the request's log line.
func WithRequestID(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id ctx carries ("" when none).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// observe reports the settled commands of a batch to ctx's observer.
func observe[S, C any](o Observer, cmds []Command[C], outs []BatchOutcome[S]) {
	for i, c := range cmds {
		outcome := "ok"
		switch {
		case outs[i].Err != nil:
			outcome = domain.ErrorCode(outs[i].Err)
		case outs[i].AlreadyApplied:
			outcome = "already_applied"
		}
		o.CommandHandled(fmt.Sprintf("%T", c.Command), outcome)
	}
}
