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
	// Dir is the folder of the snapshot files; "" keeps no snapshots (every
	// start replays the whole log).
	Dir string
	// SnapshotInterval is how often snapshots are written while running;
	// 0 means every minute. Close always writes them.
	SnapshotInterval time.Duration
	// Logger receives a warning for each event no decoder knows (events of
	// "request-" streams are passed over silently) and snapshot failures;
	// nil discards.
	Logger *slog.Logger
	// Catalog decodes events; nil means catalog.New().
	Catalog *catalog.Catalog
}

// Runner feeds projections from the store's subscription. Build it with
// NewRunner, Start it, Close it.
type Runner struct {
	store eventstore.Store
	opts  RunnerOptions
	impl  runnerState
}

// NewRunner returns a runner for the projections, restoring each one from
// its snapshot in opts.Dir when there is a usable one.
func NewRunner(store eventstore.Store, projections []Projection, opts RunnerOptions) (*Runner, error) {
	return newRunner(store, projections, opts)
}

// Start begins applying events in a goroutine, from each projection's
// checkpoint, until Close or ctx is done.
func (r *Runner) Start(ctx context.Context) error { return r.start(ctx) }

// CatchUp applies, synchronously, every event up to the store's head at the
// time of the call. It is for tests and tools that run projections without
// Start; do not call it while the runner is started.
func (r *Runner) CatchUp(ctx context.Context) error { return r.catchUp(ctx) }

// WaitFor returns nil once every projection has applied the event at global
// position pos (an AppendResult.Position), or ctx's error (use a timeout),
// or the error that stopped the runner.
func (r *Runner) WaitFor(ctx context.Context, pos uint64) error { return r.waitFor(ctx, pos) }

// Rebuild truncates the named projection and replays the log into it up to
// where the others are; queries of it see it fill up again. WaitFor waits
// for it too meanwhile.
func (r *Runner) Rebuild(ctx context.Context, name string) error { return r.rebuild(ctx, name) }

// Checkpoints returns each projection's checkpoint by name.
func (r *Runner) Checkpoints() map[string]uint64 { return r.checkpoints() }

// Skipped returns how many events were skipped because no decoder knows
// their type (or their data did not decode).
func (r *Runner) Skipped() uint64 { return r.skipped() }

// Ignored returns how many events were passed over because their stream
// holds no domain events (the "request-" idempotency records of old logs);
// they are neither decoded nor warned about.
func (r *Runner) Ignored() uint64 { return r.ignored() }

// Snapshot writes every projection's snapshot now.
func (r *Runner) Snapshot() error { return r.snapshotAll() }

// Err returns the error that stopped the runner, if any.
func (r *Runner) Err() error { return r.err() }

// Close stops the runner, waits for it and writes the snapshots.
func (r *Runner) Close() error { return r.close() }
