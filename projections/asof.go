package projections

import (
	"context"
	"errors"
	"time"

	"remit/eventstore"
	"remit/projections/rmdb"
)

// Bound is where a replay stops: at a global position (inclusive) or at a
// recorded-at time (events recorded at or before it). A zero Bound replays
// everything; when both are set the earlier one wins.
type Bound struct {
	Position uint64
	Time     time.Time
}

// BuildAsOf replays the log up to bound into fresh Models in a temporary
// database (a SQLite file, so history of any length fits), for an auditor to
// query any read model as it was then. It returns the models (Close them:
// that deletes the database) and the position of the last event replayed.
func BuildAsOf(ctx context.Context, store eventstore.Store, bound Bound) (*Models, uint64, error) {
	db, err := rmdb.OpenTemp()
	if err != nil {
		return nil, 0, err
	}
	m := NewModels(db)
	m.closer = db.Close
	st, err := Replay(ctx, store, m, bound)
	if err != nil {
		return nil, 0, errors.Join(err, m.Close())
	}
	return m, st.Last, nil
}

// ReplayStats says what a Replay did.
type ReplayStats struct {
	Last    uint64 // position of the last event read
	Events  uint64 // events read
	Skipped uint64 // events no decoder knows
}

// Replay fills m's projections from their checkpoints (a fresh database:
// from the start) up to bound, a transaction per batch read, and returns
// what it read. It is BuildAsOf's and `remit replay`'s engine.
func Replay(ctx context.Context, store eventstore.Store, m *Models, bound Bound) (ReplayStats, error) {
	r, err := newRunner(ctx, store, m, RunnerOptions{})
	if err != nil {
		return ReplayStats{}, err
	}
	st, err := r.fill(ctx, "replay", r.gens(), bound)
	r.publish()
	return st, err
}
