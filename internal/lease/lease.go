// Package lease runs a node's background work only while the node holds
// that work's lease, so that of several `remit serve` nodes on one
// database exactly one runs each job (the scheduled billing run with its
// daily jobs, the email outbox, ledger sync) and another takes over when
// the holder dies.
//
// A lease is rmdb's JobLease: a PostgreSQL session advisory lock held on a
// pinned connection (the lock dies with the session: a node killed, or cut
// off from the database, loses it at once or when the server notices the
// connection is gone), or on SQLite, where one data folder is one machine,
// an exclusive flock beside the read-model database. A Keeper tries for its
// lease every Every; once it holds it, it checks every Every that it still
// does, and stops the work when it does not.
package lease

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"remit/projections/rmdb"
)

// Leases the app runs its background work under.
const (
	Scheduler  = "scheduler"   // the daily billing run, collection and the daily jobs
	Outbox     = "outbox"      // the email outbox
	LedgerSync = "ledger_sync" // pushes to connected ledgers and their reconciliation
)

// DefaultEvery is Keeper.Every's default: how long a job may go unrun
// after its holder died, at most, on top of the database noticing.
const DefaultEvery = 2 * time.Second

// Keeper holds one lease for this node and runs the work under it.
type Keeper struct {
	// DB keeps the leases: the read models' database, which every node
	// of a cluster shares.
	DB *rmdb.DB
	// Name is the lease's name (Scheduler, Outbox, LedgerSync).
	Name string
	// Holder names this node to the others (host and process id).
	Holder string
	// Every is how often a node tries for the lease, and the holder checks
	// that it still holds it (DefaultEvery when 0).
	Every time.Duration
	// Logger hears when the node takes or loses the lease; nil discards.
	Logger *slog.Logger
	// OnChange, when set, hears each change (for metrics).
	OnChange func(name string, held bool)

	held atomic.Bool
}

// Held reports whether this node holds the lease now.
func (k *Keeper) Held() bool { return k.held.Load() }

// HolderNow says who holds the lease now: this node's Holder, another's, or
// "" when nobody does.
func (k *Keeper) HolderNow(ctx context.Context) (string, error) {
	if k.Held() {
		return k.Holder, nil
	}
	return k.DB.JobLeaseHolder(ctx, k.Name)
}

// Run runs work while this node holds the lease, until ctx is done: work
// gets a context cancelled when the lease is lost (or ctx is done) and
// must return then; the lease is given up once it has. After a loss the
// node tries for the lease again, and runs work again once it holds it.
// lostBackoff is how many intervals a node that lost the lease waits before
// it tries for it again.
const lostBackoff = 5

func (k *Keeper) Run(ctx context.Context, work func(ctx context.Context)) {
	every := k.Every
	if every <= 0 {
		every = DefaultEvery
	}
	log := k.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for ctx.Err() == nil {
		l := k.take(ctx, every, log)
		if l == nil {
			return
		}
		k.set(true)
		log.Info("lease taken: this node runs the job", "lease", k.Name, "holder", k.Holder)
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			work(wctx)
		}()
		err := k.keep(wctx, l, every, done)
		cancel()
		<-done
		l.Release()
		k.set(false)
		if ctx.Err() != nil {
			return
		}
		// A node that lost the lease (its session cut off, its database
		// unreachable for a while) waits longer than the others try, so a
		// healthy node takes the job over first; a job that stopped on its
		// own is tried again at the usual pace.
		backoff := lostBackoff * every
		if err == nil {
			err = errors.New("the job stopped on its own")
			backoff = every
		}
		log.Warn("lease lost: the job stops on this node until it takes the lease again", "lease", k.Name, "err", err)
		wait(ctx, backoff)
	}
}

// take tries for the lease every every until it holds it (nil when ctx
// is done first).
func (k *Keeper) take(ctx context.Context, every time.Duration, log *slog.Logger) *rmdb.JobLease {
	for {
		l, got, err := k.DB.TryJobLease(ctx, k.Name, k.Holder)
		if err != nil && ctx.Err() == nil {
			log.Warn("lease: cannot try for it", "lease", k.Name, "err", err)
		}
		if got {
			return l
		}
		if !wait(ctx, every) {
			return nil
		}
	}
}

// keep checks the lease every every while work runs; it returns why it
// stopped (nil when ctx is done or work returned).
func (k *Keeper) keep(ctx context.Context, l *rmdb.JobLease, every time.Duration, done <-chan struct{}) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			return nil
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, 10*every)
		err := l.Check(cctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			return err
		}
	}
}

func (k *Keeper) set(held bool) {
	k.held.Store(held)
	if k.OnChange != nil {
		k.OnChange(k.Name, held)
	}
}

// wait waits d, reporting false when ctx is done first.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
