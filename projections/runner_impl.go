package projections

import (
	"context"
	"errors"

	"remit/eventstore"
)

// STUB: the runner's implementation (lead).

type runnerState struct{}

func newRunner(ctx context.Context, store eventstore.Store, models *Models, opts RunnerOptions) (*Runner, error) {
	return nil, errors.New("stub")
}
func (r *Runner) start(ctx context.Context) error                { return errors.New("stub") }
func (r *Runner) catchUp(ctx context.Context) error              { return errors.New("stub") }
func (r *Runner) waitFor(ctx context.Context, pos uint64) error  { return errors.New("stub") }
func (r *Runner) rebuild(ctx context.Context, name string) error { return errors.New("stub") }
func (r *Runner) checkpoints() map[string]uint64                 { return nil }
func (r *Runner) skipped() uint64                                { return 0 }
func (r *Runner) ignored() uint64                                { return 0 }
func (r *Runner) err() error                                     { return nil }
func (r *Runner) close() error                                   { return nil }
