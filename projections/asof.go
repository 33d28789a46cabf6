package projections

import (
	"context"
	"errors"
	"time"

	"remit/eventstore"
)

// Bound is where a replay stops: at a global position (inclusive) or at a
// recorded-at time (events recorded at or before it). A zero Bound replays
// everything; when both are set the earlier one wins.
type Bound struct {
	Position uint64
	Time     time.Time
}

// BuildAsOf replays the log up to bound into fresh Models in a temporary
// database, so an auditor can query any read model as it was then. It
// returns the models (Close them: that deletes the temporary database) and
// the position of the last event replayed.
func BuildAsOf(ctx context.Context, store eventstore.Store, bound Bound) (*Models, uint64, error) {
	return nil, 0, errors.New("stub")
}

// ReplayStats says what a Replay did.
type ReplayStats struct {
	Last    uint64 // position of the last event read
	Events  uint64 // events read
	Skipped uint64 // events no decoder knows
}

// Replay rebuilds m's projections from the log up to bound (m's database
// should be a fresh one, e.g. BuildAsOf's), for `remit replay`.
func Replay(ctx context.Context, store eventstore.Store, m *Models, bound Bound) (ReplayStats, error) {
	return ReplayStats{}, errors.New("stub")
}
