package storetest

import (
	"context"
	"errors"

	"remit/eventstore"
)

// ErrDied is what a DiesAt store answers to the append it dies at.
var ErrDied = errors.New("storetest: the process died here")

// DiesAt is a store that refuses every append holding an event of type
// Type, as a process killed just before that append would leave the log:
// everything before it is there, nothing of it is. Tests of recovery use it
// (a number reserved, its invoice never issued).
type DiesAt struct {
	eventstore.Store
	Type string
}

// Append refuses an append holding an event of type d.Type with ErrDied and
// passes every other one to the store.
func (d DiesAt) Append(ctx context.Context, stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) (eventstore.AppendResult, error) {
	for _, e := range evs {
		if e.Type == d.Type {
			return eventstore.AppendResult{}, ErrDied
		}
	}
	return d.Store.Append(ctx, stream, exp, evs...)
}
