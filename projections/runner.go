package projections

import (
	"context"
	"log/slog"
	"time"

	"remit/domain/catalog"
	"remit/eventstore"
)

// RunnerOptions configure a Runner.
type RunnerOptions struct {
	// Logger receives a warning for each event no decoder knows (events of
	// "request-" streams are passed over silently), rebuild progress and
	// lease changes; nil discards.
	Logger *slog.Logger
	// Catalog decodes events; nil means catalog.New().
	Catalog *catalog.Catalog
	// Progress, when not nil, hears how far a catch-up or rebuild has read
	// (position, head), about once a second.
	Progress func(name string, position, head uint64)
	// PollInterval is how often a process that does not hold the lease (on
	// PostgreSQL, another node applies) reads the checkpoints; 0 means
	// 200 ms.
	PollInterval time.Duration
	// QueryCacheBytes bounds the models' query cache (querycache.go): the
	// estimated size of the answers kept; 0 means DefaultQueryCacheBytes,
	// less than 0 keeps none.
	QueryCacheBytes int
}

// Runner keeps Models' tables up to date with the log: it applies each
// batch of events and advances every projection's checkpoint in one
// transaction. Build it with NewRunner, Start it, Close it.
type Runner struct {
	store  eventstore.Store
	models *Models
	opts   RunnerOptions
	impl   runnerState
}

// NewRunner returns a runner for the models: it reads the registry of the
// models' database and creates (and will fill) the tables of a projection
// that has none, or whose stored version is not the code's.
func NewRunner(ctx context.Context, store eventstore.Store, models *Models, opts RunnerOptions) (*Runner, error) {
	return newRunner(ctx, store, models, opts)
}

// Start begins applying events in a goroutine, from each projection's
// checkpoint, until Close or ctx is done.
func (r *Runner) Start(ctx context.Context) error { return r.start(ctx) }

// CatchUp applies, synchronously, every event up to the store's head at the
// time of the call.
func (r *Runner) CatchUp(ctx context.Context) error { return r.catchUp(ctx) }

// WaitFor returns nil once every projection has applied the event at global
// position pos (an AppendResult.Position), or ctx's error (use a timeout),
// or the error that stopped the runner.
func (r *Runner) WaitFor(ctx context.Context, pos uint64) error { return r.waitFor(ctx, pos) }

// Rebuild fills a new generation of the named projection's tables from the
// log while the current one keeps serving, then swaps them.
func (r *Runner) Rebuild(ctx context.Context, name string) error { return r.rebuild(ctx, name) }

// Checkpoints returns each projection's checkpoint by name.
func (r *Runner) Checkpoints() map[string]uint64 { return r.checkpoints() }

// Skipped returns how many events were skipped because no decoder knows
// their type (or their data did not decode).
func (r *Runner) Skipped() uint64 { return r.skipped() }

// Ignored returns how many events were passed over because their stream
// holds no domain events (the "request-" idempotency records of old logs).
func (r *Runner) Ignored() uint64 { return r.ignored() }

// Err returns the error that stopped the runner, if any.
func (r *Runner) Err() error { return r.err() }

// Close stops the runner and waits for it.
func (r *Runner) Close() error { return r.close() }
