package projections

import (
	"context"
	"time"

	"remit/domain/catalog"
	"remit/eventstore"
)

// Bound is where a replay stops: at a global position (inclusive) or at a
// recorded-at time (events recorded at or before it). A zero Bound replays
// everything; when both are set the earlier one wins.
type Bound struct {
	Position uint64
	Time     time.Time
}

// BuildAsOf replays the log into fresh Models up to bound, so an auditor can
// query any read model as it was then. It returns the models and the
// position of the last event replayed.
func BuildAsOf(ctx context.Context, store eventstore.Store, bound Bound) (*Models, uint64, error) {
	m := NewModels()
	pos, err := Replay(ctx, store, catalog.New(), m.Projections(), bound)
	return m, pos, err
}
