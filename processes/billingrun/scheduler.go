package billingrun

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"remit/billing"
	"remit/domain"
	"remit/eventstore"
	"remit/integrations/payments"
)

// Scheduler runs the billing run, then collection, once on Start and then
// every day shortly after midnight in the firm's time zone. Wire it into
// `remit serve` with Start(ctx) after the store, the read models' Runner
// and the billing service are open, and Close() before closing them.
type Scheduler struct {
	// Store and Billing are what the runs work on.
	Store   eventstore.Store
	Billing *billing.Service
	// Index is what the runs read: in `remit serve`, the app's read models
	// and its started Runner (NewIndex with WaitFor). Nil: read models
	// built from Store in a temporary database (OpenIndex), for tests.
	Index *Index
	// Gateway collects payments; nil skips collection.
	Gateway payments.Gateway
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// After is how long after midnight the daily run fires (default 5 minutes).
	After time.Duration
	// CollectEvery is how often, between daily runs, collection runs again
	// for the day (default 10 minutes; negative: never): an invoice whose
	// collection someone scheduled for today after the day's run (an
	// instant bill collected "immediately", a client paying today on their
	// link without coming back, staff's "Schedule collection" for today) is
	// charged within that, not after the next midnight. It only collects:
	// billing and the daily jobs stay daily.
	CollectEvery time.Duration
	// OnCollect, when set, hears how each of those collections went.
	OnCollect func(asOf domain.Date, rep CollectReport, err error)
	// Workers as in Options.
	Workers int
	// OnRun, when set, hears how each run went (for logging).
	OnRun func(RunResult)
	// Logger is passed to collection (CollectOptions.Logger); nil discards.
	Logger *slog.Logger
	// Daily, when set, runs after collection in every run (the payout sync,
	// package processes/payouts); what it did joins RunResult.Jobs, its
	// error the run's. It must be idempotent, as the runs are: a run may be
	// cut short by a crash or a lost lease and done again by the next holder.
	Daily func(ctx context.Context, now time.Time) ([]Done, error)
	// Jobs run after billing (and collection, when there is a gateway) in
	// every run, for the run's date, each whatever the others did; what they
	// did joins RunResult.Jobs, their errors the run's (the daily proposals
	// job, processes/reminders; dunning, processes/dunning). Each must be
	// idempotent, as the runs are.
	Jobs []Job
	// Lease, when set, runs the scheduler only while this process holds
	// the scheduler's lease (internal/lease.Keeper.Run), so that of several
	// nodes on one database one runs the day's work: on taking the lease it
	// runs at once (the day's run the last holder may have missed), then
	// daily, until it loses it. Nil: it runs in this process regardless.
	Lease interface {
		Run(ctx context.Context, work func(ctx context.Context))
	}

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Job is one of the scheduler's daily jobs: it acts for the run's date and
// says what it did now (what an earlier run did is not counted again).
type Job func(ctx context.Context, asOf domain.Date) ([]Done, error)

// Done is how many of one kind of thing a daily job did, with what to call
// one and several of them in the run's summary: {2, "payment reminder
// sent", "payment reminders sent"}. The job's failures are a Done too,
// with Failed set, so a summary can say the run went wrong.
type Done struct {
	N         int
	One, Many string
	Failed    bool
}

// Count is Done{n, one, many} when n > 0: a job's report lists only what
// happened.
func Count(dst []Done, n int, one, many string) []Done {
	if n <= 0 {
		return dst
	}
	return append(dst, Done{N: n, One: one, Many: many})
}

// Failures is Count of a job's failures (logged by the job), marked Failed.
func Failures(dst []Done, n int) []Done {
	if n <= 0 {
		return dst
	}
	return append(dst, Done{N: n, One: "failure (see the log)", Many: "failures (see the log)", Failed: true})
}

// RunResult is one scheduled run: the billing run's report, collection's,
// what the daily jobs did, and the error that stopped any of them.
type RunResult struct {
	AsOf    domain.Date
	Billing Report
	Collect CollectReport
	// Jobs is what Daily and the Jobs did now, in the order they ran.
	Jobs []Done
	Err  error
	// Took is how long the run took, its collection and jobs included.
	Took time.Duration
}

// Start begins running in the background: at once, then daily.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done != nil {
		return
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.loop(ctx, s.done)
}

// Close stops the scheduler, waiting for a run in progress to stop (its
// commands are idempotent, so an interrupted run is completed by the next).
func (s *Scheduler) Close() error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	<-done
	return nil
}

func (s *Scheduler) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	now := s.Now
	if now == nil {
		now = time.Now
	}
	after := s.After
	if after <= 0 {
		after = 5 * time.Minute
	}
	idx := s.Index
	if idx == nil {
		var err error
		if idx, err = OpenIndex(ctx, s.Store); err != nil {
			if s.OnRun != nil {
				s.OnRun(RunResult{Err: err})
			}
			return
		}
		defer idx.Close()
	}
	if s.Lease != nil {
		s.Lease.Run(ctx, func(ctx context.Context) { s.daily(ctx, idx, now, after) })
		return
	}
	s.daily(ctx, idx, now, after)
}

// daily runs at once, then every day After midnight, until ctx is done;
// between runs it collects every CollectEvery.
func (s *Scheduler) daily(ctx context.Context, idx *Index, now func() time.Time, after time.Duration) {
	every := s.CollectEvery
	if every == 0 {
		every = 10 * time.Minute
	}
	var tick <-chan time.Time
	if every > 0 && s.Gateway != nil {
		ticker := time.NewTicker(every)
		defer ticker.Stop()
		tick = ticker.C
	}
	for {
		res := s.RunOnce(ctx, idx, now())
		if s.OnRun != nil && !errors.Is(res.Err, context.Canceled) {
			s.OnRun(res)
		}
		loc := idx.Location()
		t := now().In(loc)
		next := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc).Add(after)
		timer := time.NewTimer(next.Sub(now()))
	wait:
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
				break wait
			case <-tick:
				s.collectToday(ctx, idx, now())
			}
		}
	}
}

// collectToday runs collection alone for the firm's date at now.
func (s *Scheduler) collectToday(ctx context.Context, idx *Index, now time.Time) {
	if err := idx.Update(ctx); err != nil || !idx.Firm().SetUp {
		return // the next tick tries again; the daily run reports errors
	}
	asOf := domain.DateOf(now, idx.Location())
	rep, err := Collect(ctx, s.Store, s.Billing, s.Gateway, asOf, CollectOptions{Workers: s.Workers, Index: idx, Logger: s.Logger})
	if s.OnCollect != nil && !errors.Is(err, context.Canceled) {
		s.OnCollect(asOf, rep, err)
	}
}

// RunOnce runs billing, then collection, for the firm's date at now.
func (s *Scheduler) RunOnce(ctx context.Context, idx *Index, now time.Time) (res RunResult) {
	start := time.Now()
	defer func() { res.Took = time.Since(start) }()
	if err := idx.Update(ctx); err != nil {
		return RunResult{Err: err}
	}
	if !idx.Firm().SetUp {
		return RunResult{} // nothing to bill before set-up
	}
	res = RunResult{AsOf: domain.DateOf(now, idx.Location())}
	res.Billing, res.Err = Run(ctx, s.Store, s.Billing, res.AsOf, Options{Workers: s.Workers, Index: idx})
	if res.Err == nil && s.Gateway != nil {
		res.Collect, res.Err = Collect(ctx, s.Store, s.Billing, s.Gateway, res.AsOf, CollectOptions{Workers: s.Workers, Index: idx, Logger: s.Logger})
		if res.Err == nil && s.Daily != nil {
			var did []Done
			did, res.Err = s.Daily(ctx, now)
			res.Jobs = append(res.Jobs, did...)
		}
	}
	for _, job := range s.Jobs {
		did, err := job(ctx, res.AsOf)
		res.Jobs = append(res.Jobs, did...)
		res.Err = errors.Join(res.Err, err)
	}
	return res
}
