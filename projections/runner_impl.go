package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"remit/domain/catalog"
	"remit/eventstore"
	"remit/projections/follow"
	"remit/projections/rmdb"
)

// generation is one generation of a projection's tables and its writer.
type generation struct {
	spec       Spec
	number     int64
	p          Projection
	checkpoint atomic.Uint64 // committed
}

type runnerState struct {
	specs []Spec
	db    *rmdb.DB
	cat   *catalog.Catalog
	log   *slog.Logger

	// applyMu makes the live loop, CatchUp and the end of a Rebuild take
	// turns: one of them writes the serving generations at a time.
	applyMu sync.Mutex
	serving atomic.Pointer[[]*generation]
	// lease makes this process the one applying (nil: not held).
	lease *rmdb.Lease

	pubMu     sync.Mutex  // guards published and applied
	published [][2]uint64 // each serving generation's number and checkpoint, as last published
	applied   appliedRun  // what the live batches applied since, and whose answers they changed

	mu       sync.Mutex // guards the fields below
	waiters  []waiter
	failure  error
	nSkipped uint64
	nIgnored uint64
	started  bool
	cancel   context.CancelFunc
	done     chan struct{}
}

// appliedRun is the live batches applied since the models' version last
// moved: the checkpoints they moved from and to (one run: each batch from
// where the one before it ended) and the clients whose cached answers they
// changed. It lets moved drop only those clients' answers, when nothing but
// these batches changed the tables since.
type appliedRun struct {
	noted    bool
	from, to uint64
	clients  map[uuid.UUID]struct{}
	all      bool // a batch changed every answer, or the run broke
}

type waiter struct {
	pos uint64
	ch  chan struct{}
}

func newRunner(ctx context.Context, store eventstore.Store, models *Models, opts RunnerOptions) (*Runner, error) {
	switch {
	case opts.QueryCacheBytes == 0:
		models.SetQueryCache(DefaultQueryCacheBytes)
	case opts.QueryCacheBytes > 0:
		models.SetQueryCache(opts.QueryCacheBytes)
	}
	return newRunnerOf(ctx, store, models, models.Specs(), opts)
}

// newRunnerOf is newRunner for the given projections (tests run the runner
// on projections of their own).
func newRunnerOf(ctx context.Context, store eventstore.Store, models *Models, specs []Spec, opts RunnerOptions) (*Runner, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Catalog == nil {
		opts.Catalog = catalog.New()
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 200 * time.Millisecond
	}
	r := &Runner{store: store, models: models, opts: opts}
	r.impl = runnerState{specs: specs, db: models.db, cat: opts.Catalog, log: opts.Logger}
	var gens []*generation
	var changes []string
	err := r.impl.db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		lockRegistry(tx)
		gens, changes = r.open(tx, specs, false)
		return tx.Err()
	})
	if err == nil && len(changes) > 0 {
		// Creating or replacing a generation is writing: only the lease
		// holder may, lest a running process of another version find its
		// tables gone.
		var got bool
		if r.impl.lease, got, err = r.impl.db.TryLease(ctx); err == nil && !got {
			err = fmt.Errorf("%s must be rebuilt for this version of Remit, and another process (another version?) applies the read models: stop it first",
				strings.Join(changes, ", "))
		}
		if err == nil {
			err = r.impl.db.WriteTx(ctx, func(tx *rmdb.Tx) error {
				lockRegistry(tx)
				gens, _ = r.open(tx, specs, true)
				return tx.Err()
			})
		}
		// Whoever first applies takes the lease again (and re-reads what
		// it finds then).
		r.releaseLease()
	}
	if err != nil {
		return nil, fmt.Errorf("projections: open read models: %w", err)
	}
	r.impl.serving.Store(&gens)
	r.publish()
	return r, nil
}

// lockRegistry makes processes starting together on PostgreSQL take turns
// creating tables.
func lockRegistry(tx *rmdb.Tx) {
	if tx.DB().Dialect() == rmdb.Postgres {
		var ok bool
		tx.QueryRow(`SELECT pg_advisory_xact_lock(hashtext('rm_projections')) IS NOT NULL`, nil, &ok)
	}
}

// open finds each projection's serving generation. With change set, one
// that is missing, or written by another version of the code, is replaced
// by a new empty generation (filled by the next catch-up), and generations
// left by an abandoned rebuild are dropped; without it, open changes
// nothing and returns the names of the projections that need a change (and
// no generations when there are any).
func (r *Runner) open(tx *rmdb.Tx, specs []Spec, change bool) ([]*generation, []string) {
	regs := tx.Registrations()
	if !change {
		var need []string
		for _, spec := range specs {
			ok := false
			for _, reg := range regs {
				if reg.Name == spec.Name && reg.Serving && reg.Version == spec.Version {
					ok = true
				}
			}
			if !ok {
				need = append(need, spec.Name)
			}
		}
		if len(need) > 0 {
			return nil, need
		}
	}
	gens := make([]*generation, 0, len(specs))
	for _, spec := range specs {
		var serving *rmdb.Registration
		var highest int64
		for i, reg := range regs {
			if reg.Name != spec.Name {
				continue
			}
			highest = max(highest, reg.Generation)
			if reg.Serving {
				serving = &regs[i]
			}
		}
		for _, reg := range regs {
			if change && reg.Name == spec.Name && !reg.Serving {
				dropGeneration(tx, spec, reg.Generation)
			}
		}
		if serving != nil && serving.Version == spec.Version {
			g := &generation{spec: spec, number: serving.Generation, p: spec.New(serving.Generation)}
			g.checkpoint.Store(serving.Checkpoint)
			gens = append(gens, g)
			continue
		}
		if serving != nil {
			r.impl.log.Info("read model written by another version; rebuilding it from the log",
				"projection", spec.Name, "stored_version", serving.Version, "version", spec.Version)
		}
		g := newGeneration(tx, spec, highest+1)
		serve(tx, g)
		if serving != nil {
			dropGeneration(tx, spec, serving.Generation)
		}
		gens = append(gens, g)
	}
	return gens, nil
}

// newGeneration creates and registers an empty generation's tables,
// without their secondary indexes: every new generation is filled from the
// log before this process reads it or its live loop applies to it (open's
// by the catch-up that precedes the live loop, Rebuild's and an erasure's
// before they swap it in), and the fill creates them once done.
func newGeneration(tx *rmdb.Tx, spec Spec, number int64) *generation {
	g := &generation{spec: spec, number: number, p: spec.New(number)}
	tx.CreateTablesForFill(number, g.p.Tables())
	tx.Register(spec.Name, number, spec.Version)
	return g
}

// nextGeneration is the number after every generation the registry holds
// of a projection.
func nextGeneration(tx *rmdb.Tx, name string) int64 {
	var highest int64
	for _, reg := range tx.Registrations() {
		if reg.Name == name {
			highest = max(highest, reg.Generation)
		}
	}
	return highest + 1
}

// serve points the projection's views at g.
func serve(tx *rmdb.Tx, g *generation) {
	tx.ServeViews(g.number, g.p.Tables())
	tx.Serve(g.spec.Name, g.number)
}

// dropGeneration drops a generation's tables (as this version of the code
// names them) and forgets it.
func dropGeneration(tx *rmdb.Tx, spec Spec, number int64) {
	tx.DropTables(number, spec.New(number).Tables())
	tx.Unregister(spec.Name, number)
}

func (r *Runner) gens() []*generation { return *r.impl.serving.Load() }

// minCheckpoint is the lowest committed checkpoint of gens.
func minCheckpoint(gens []*generation) uint64 {
	var lo uint64
	for i, g := range gens {
		if c := g.checkpoint.Load(); i == 0 || c < lo {
			lo = c
		}
	}
	return lo
}

// publish tells the models and the waiters how far the serving generations
// are.
//
// The position published is the one the version was moved for, and it is
// what WaitFor answers by, not the checkpoints themselves: a checkpoint
// moves when its batch commits, the version only when the batch (or every
// slice of it) is published, and a request answered in between read cached
// answers of the tables as they were (TestQueryCacheReadsYourWritesAtTheFirstMoment).
func (r *Runner) publish() {
	r.moved(r.gens())
	r.notify()
}

// moved moves the models' version (which the query cache keys answers by)
// when a serving generation, or its checkpoint, differs from what was last
// published, and then the models' position to the lowest checkpoint it
// moved the version for: so a request that waited for the position reads
// past the cache of the tables as they were. Publishers take turns
// (pubMu), so the position only moves on.
//
// When only the live batches noted by noteApplied changed the serving
// generations since (same generations, each checkpoint moved within their
// run), only the answers of the clients they touched are dropped; when
// anything else did (a fill, a swap, another node's commits) or may have,
// every answer is.
func (r *Runner) moved(gens []*generation) {
	now := make([][2]uint64, len(gens))
	for i, g := range gens {
		now[i] = [2]uint64{uint64(g.number), g.checkpoint.Load()}
	}
	s := &r.impl
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	var lo uint64
	for i, c := range now {
		if i == 0 || c[1] < lo {
			lo = c[1]
		}
	}
	defer r.models.position.Store(lo)
	if slices.Equal(now, s.published) {
		return
	}
	run := s.applied
	explained := run.noted && !run.all && len(now) == len(s.published)
	for i := 0; explained && i < len(now); i++ {
		was, is := s.published[i], now[i]
		explained = was[0] == is[0] && (was[1] == is[1] || was[1] >= run.from && is[1] <= run.to)
	}
	s.published = now
	s.applied = appliedRun{}
	var clients []uuid.UUID
	if explained {
		clients = slices.Collect(maps.Keys(run.clients))
	}
	r.models.changed(clients, !explained)
}

// noteApplied records, before its commit, that a live batch moves the
// serving generations' checkpoints from from (the lowest) to to, changing
// the cached answers of clients (or, all, of everyone). A batch that does
// not follow the run noted so far breaks it: something else moved the
// checkpoints between.
func (r *Runner) noteApplied(from, to uint64, clients []uuid.UUID, all bool) {
	s := &r.impl
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	run := &s.applied
	if !run.noted {
		*run = appliedRun{noted: true, from: from, to: from, clients: map[uuid.UUID]struct{}{}}
	}
	if run.to != from {
		all = true
	}
	run.to = to
	run.all = run.all || all
	if !run.all {
		for _, id := range clients {
			run.clients[id] = struct{}{}
		}
	}
}

func (r *Runner) start(ctx context.Context) error {
	s := &r.impl
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("projections: runner already started")
	}
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		r.run(ctx)
	}()
	return nil
}

// run applies the log live while this process holds the lease; without it
// (another node on PostgreSQL applies), it follows the checkpoints that
// node commits and tries for the lease again now and then.
func (r *Runner) run(ctx context.Context) {
	s := &r.impl
	tries := 0
	for ctx.Err() == nil {
		held, err := r.acquireLease(ctx)
		if err != nil {
			if ctx.Err() == nil {
				r.fail(err)
			}
			return
		}
		if !held {
			if err := r.poll(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("reading read-model checkpoints", "err", err)
			}
			if tries++; tries%10 == 0 {
				s.log.Debug("another process applies the read models; following its checkpoints")
			}
			select {
			case <-ctx.Done():
			case <-time.After(r.opts.PollInterval):
			}
			continue
		}
		if err := r.follow(ctx); err != nil && ctx.Err() == nil {
			r.fail(fmt.Errorf("projections: following the log: %w", err))
			return
		}
	}
}

// acquireLease makes this process the one applying, if no other holds the
// lease (rmdb.TryLease: `remit serve` holds it while it runs, so a CLI
// command on the same read models follows its checkpoints instead of
// writing beside it). When it first gets it, it re-reads the checkpoints
// another process may have advanced.
func (r *Runner) acquireLease(ctx context.Context) (bool, error) {
	s := &r.impl
	if s.lease != nil {
		return true, nil
	}
	lease, got, err := s.db.TryLease(ctx)
	if err != nil || !got {
		return false, err
	}
	s.lease = lease
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if err := r.reload(ctx); err != nil {
		return false, err
	}
	s.log.Debug("this process applies the read models")
	return true, nil
}

// reload re-reads the serving generations from the registry (another node
// may have applied, or rebuilt, since) and forgets every writer's cache.
func (r *Runner) reload(ctx context.Context) error {
	var gens []*generation
	err := r.impl.db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		lockRegistry(tx)
		gens, _ = r.open(tx, r.impl.specs, true)
		return tx.Err()
	})
	if err != nil {
		return fmt.Errorf("projections: reload read models: %w", err)
	}
	r.impl.serving.Store(&gens)
	r.publish()
	return nil
}

// poll reads the checkpoints another process committed.
func (r *Runner) poll(ctx context.Context) error {
	regs, err := r.impl.db.Registrations(ctx)
	if err != nil {
		return err
	}
	for _, g := range r.gens() {
		for _, reg := range regs {
			if reg.Serving && reg.Name == g.spec.Name {
				g.checkpoint.Store(reg.Checkpoint)
			}
		}
	}
	r.publish()
	return nil
}

// releaseLease gives the lease up.
func (r *Runner) releaseLease() {
	r.impl.lease.Release()
	r.impl.lease = nil
}

// liveBatch is the most events the live loop applies in one transaction.
const liveBatch = 512

// follow catches up, then applies the log live through the one log
// follower: its handler queues each event, and one goroutine applies what
// is queued in one transaction, so a burst of appends costs one commit.
func (r *Runner) follow(ctx context.Context) error {
	s := &r.impl
	if err := r.catchUp(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan item, 4*liveBatch)
	applied := make(chan error, 1)
	go func() { applied <- r.applyQueue(ctx, queue) }()
	f := follow.New(r.store, func(ctx context.Context, e Event) error {
		if strings.HasPrefix(e.Stream, ignoredStreamPrefix) {
			r.count(eventstore.RecordedEvent{Position: e.Position, Stream: e.Stream, Type: e.Type}, ignored)
			return enqueue(ctx, queue, item{pos: e.Position, o: ignored})
		}
		return enqueue(ctx, queue, item{pos: e.Position, e: e, o: decodedOK})
	}, follow.Options{From: minCheckpoint(r.gens()), Catalog: s.cat, Undecodable: func(rec eventstore.RecordedEvent, _ error) error {
		o := unknown
		if strings.HasPrefix(rec.Stream, ignoredStreamPrefix) {
			o = ignored
		}
		r.count(rec, o)
		return enqueue(ctx, queue, item{pos: rec.Position, o: o})
	}})
	err := f.Run(ctx)
	cancel()
	if aerr := <-applied; aerr != nil && !errors.Is(aerr, context.Canceled) {
		return aerr
	}
	return err
}

// item is one event of the live loop.
type item struct {
	pos uint64
	e   Event
	o   outcome
}

func enqueue(ctx context.Context, q chan<- item, it item) error {
	select {
	case q <- it:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// applyQueue applies queued events, as many as are waiting (up to
// liveBatch) per transaction.
func (r *Runner) applyQueue(ctx context.Context, q <-chan item) error {
	s := &r.impl
	b := &batch{}
	for {
		b.positions, b.events, b.outcomes = b.positions[:0], b.events[:0], b.outcomes[:0]
		select {
		case it := <-q:
			b.add(it)
		case <-ctx.Done():
			return ctx.Err()
		}
	more:
		for len(b.positions) < liveBatch {
			select {
			case it := <-q:
				b.add(it)
			default:
				break more
			}
		}
		s.applyMu.Lock()
		err := r.applyWithErasures(ctx, r.gens(), b)
		s.applyMu.Unlock()
		r.publish()
		if err != nil {
			return err
		}
	}
}

func (b *batch) add(it item) {
	b.positions = append(b.positions, it.pos)
	b.events = append(b.events, it.e)
	b.outcomes = append(b.outcomes, it.o)
}

// applyWithErasures applies b to the serving generations; at an erasure
// (ClientErased) it applies what came before, then rebuilds every
// projection up to the erasure, so no table keeps the erased client's
// personal data in clear. The caller holds applyMu.
func (r *Runner) applyWithErasures(ctx context.Context, gens []*generation, b *batch) error {
	start := 0
	for i := range b.positions {
		if b.outcomes[i] != decodedOK || b.events[i].Type != erasureEventType {
			continue
		}
		if err := r.apply(ctx, gens, b.slice(start, i)); err != nil {
			return err
		}
		if err := r.rebuildAllLocked(ctx, b.positions[i]); err != nil {
			return err
		}
		gens, start = r.gens(), i+1
	}
	return r.apply(ctx, gens, b.slice(start, len(b.positions)))
}

func (b *batch) slice(lo, hi int) *batch {
	return &batch{positions: b.positions[lo:hi], events: b.events[lo:hi], outcomes: b.outcomes[lo:hi]}
}

// apply applies a batch to gens in one transaction: each generation's
// events after its checkpoint, its writes, and its checkpoint moved to the
// batch's last position. On failure nothing of it is kept, writers forget
// their caches and the error is returned.
func (r *Runner) apply(ctx context.Context, gens []*generation, b *batch) error {
	if len(b.positions) == 0 {
		return nil
	}
	tx, err := r.impl.db.Begin(ctx)
	if err != nil {
		return err
	}
	applyEvents(tx, gens, b)
	// Noted before the commit: once the checkpoints move, whoever
	// publishes finds what moved them.
	last := b.positions[len(b.positions)-1]
	clients, all := touchedBy(gens, b)
	r.noteApplied(minCheckpoint(gens), last, clients, all)
	if err := commitBatch(tx, gens, last); err != nil {
		r.noteApplied(last, last, nil, true) // whatever was noted is void
		return err
	}
	return nil
}

// applyEvents hands each event of b after a generation's checkpoint to its
// Apply, in tx.
func applyEvents(tx *rmdb.Tx, gens []*generation, b *batch) {
	for i, pos := range b.positions {
		if b.outcomes[i] != decodedOK {
			continue
		}
		for _, g := range gens {
			if pos > g.checkpoint.Load() {
				g.p.Apply(tx, b.events[i])
			}
		}
	}
}

// fillGroup is the group of projections a fill applies side by side with
// the other (fillGroups): services, invoices and unissued (whose Flush
// reads the invoices' table) in one, every other projection in the other;
// each costs about half of the applying.
func fillGroup(name string) int {
	switch name {
	case "services", "invoices", "unissued":
		return 1
	}
	return 0
}

// applyEventsSideBySide is applyEvents with the two groups of gens
// (fillGroup) applied by two goroutines at once, when there is more than
// one CPU: each projection has its own documents, caches and rows, and
// sees the events in order, as in applyEvents; tx is safe for both (a
// pipelined fill's, see rmdb.Tx.Pipeline).
func applyEventsSideBySide(tx *rmdb.Tx, gens []*generation, b *batch) {
	var groups [2][]*generation
	for _, g := range gens {
		i := fillGroup(g.spec.Name)
		groups[i] = append(groups[i], g)
	}
	if runtime.GOMAXPROCS(0) < 2 || len(groups[0]) == 0 || len(groups[1]) == 0 {
		applyEvents(tx, gens, b)
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { applyEvents(tx, groups[1], b) })
	applyEvents(tx, groups[0], b)
	wg.Wait()
}

// commitBatch ends a batch's transaction: each generation's writes, its
// checkpoint moved to last, and the commit. On failure nothing of it is
// kept and writers forget their caches.
func commitBatch(tx *rmdb.Tx, gens []*generation, last uint64) error {
	for _, g := range gens {
		g.p.Flush(tx)
		tx.Advance(g.spec.Name, g.number, g.checkpoint.Load(), last)
	}
	if err := tx.Commit(); err != nil {
		for _, g := range gens {
			g.p.Discard()
		}
		return fmt.Errorf("projections: apply up to %d: %w", last, err)
	}
	for _, g := range gens {
		if last > g.checkpoint.Load() {
			g.checkpoint.Store(last)
		}
	}
	return nil
}

// count counts (and for an unknown one, warns of) an event that is not
// applied.
func (r *Runner) count(rec eventstore.RecordedEvent, o outcome) {
	s := &r.impl
	switch o {
	case unknown:
		s.mu.Lock()
		s.nSkipped++
		s.mu.Unlock()
		s.log.Warn("skipping an event no decoder knows", "position", rec.Position, "type", rec.Type, "stream", rec.Stream)
	case ignored:
		s.mu.Lock()
		s.nIgnored++
		s.mu.Unlock()
	}
}

func (r *Runner) fail(err error) {
	s := &r.impl
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failure = err
	for _, w := range s.waiters {
		close(w.ch)
	}
	s.waiters = nil
}

// notify wakes the waiters whose position every projection has reached.
func (r *Runner) notify() {
	s := &r.impl
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.waiters) == 0 {
		return
	}
	lo := r.models.position.Load()
	kept := s.waiters[:0]
	for _, w := range s.waiters {
		if w.pos <= lo {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	s.waiters = kept
}

func (r *Runner) waitFor(ctx context.Context, pos uint64) error {
	s := &r.impl
	s.mu.Lock()
	if s.failure != nil {
		s.mu.Unlock()
		return s.failure
	}
	if r.models.position.Load() >= pos {
		s.mu.Unlock()
		return nil
	}
	w := waiter{pos: pos, ch: make(chan struct{})}
	s.waiters = append(s.waiters, w)
	s.mu.Unlock()
	select {
	case <-w.ch:
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.models.position.Load() >= pos {
			return nil
		}
		return s.failure
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		s.waiters = slices.DeleteFunc(s.waiters, func(x waiter) bool { return x.ch == w.ch })
		return fmt.Errorf("projections: waiting for position %d: %w", pos, ctx.Err())
	}
}

// catchUp applies every event up to the store's head. A process without
// the lease (PostgreSQL, another node applies) waits until that node's
// checkpoints reach the head instead.
func (r *Runner) catchUp(ctx context.Context) error {
	s := &r.impl
	head, err := r.store.Head(ctx)
	if err != nil {
		return fmt.Errorf("projections: store head: %w", err)
	}
	held, err := r.acquireLease(ctx)
	if err != nil {
		return err
	}
	// Another process holds the lease: wait for it to reach head, and take
	// the lease over if that process goes away (killed mid-run, say) before.
	for !held {
		if err := r.poll(ctx); err != nil {
			return fmt.Errorf("projections: read checkpoints: %w", err)
		}
		if minCheckpoint(r.gens()) >= head {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.opts.PollInterval):
		}
		if held, err = r.acquireLease(ctx); err != nil {
			return err
		}
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	defer r.publish()
	erased, err := r.erasedSince(ctx, minCheckpoint(r.gens()), head)
	if err != nil {
		return err
	}
	if erased {
		return r.rebuildAllLocked(ctx, head)
	}
	_, err = r.fill(ctx, "read models", r.gens(), Bound{Position: max(head, 1)})
	return err
}

// erasedSince reports whether the log holds an erasure after from and up
// to head: tables written before it hold the erased client's data.
func (r *Runner) erasedSince(ctx context.Context, from, head uint64) (bool, error) {
	if from == 0 {
		return false, nil // filled from the start, the log reads erased
	}
	recs, err := r.store.ReadAll(ctx, from+1, eventstore.Forward, 1, erasureFilter)
	if err != nil {
		return false, fmt.Errorf("projections: look for erasures: %w", err)
	}
	return len(recs) > 0 && recs[0].Position <= head, nil
}

// fillTx is about how many events a fill applies per transaction: a
// document several events of a stretch touch is written once per
// transaction (a service billed monthly, an invoice issued, then collected
// days later), and each commit costs a WAL write of every page it touched.
// A month of a 1,000-client firm is some 8,000 events: at 8 batches a
// transaction, most services and invoices are encoded and written once per
// several months instead of once or more a month. At 2 batches, encoding
// and writing the services' and invoices' documents and committing were
// over half of a rebuild's CPU time (BenchmarkRebuild at 95,000 events);
// at 8, three runs interleaved with three at 2 took 13.0, 14.8 and 15.0 s
// of CPU against 16.8, 20.4 and 16.0 s (on a machine at load 30 to 45,
// where bare decoding's CPU time moved about as much), with the heap's
// peak at 230-240 MB against 185-190 MB. What a transaction holds is the
// documents it touched, bounded by fillTx, not by the log.
const fillTx = 8 * replayBatch

// fill replays the log into gens up to bound, about fillTx events per
// transaction, reporting progress. Each batch read is applied as soon as it
// is decoded, in the open transaction, so a fill holds one batch of events
// at a time, not a transaction's worth; it is applied by two goroutines
// side by side (applyEventsSideBySide) and its inserts run on a third
// (rmdb.Tx.Pipeline). Once done, it creates the indexes a new
// generation's tables were created without (newGeneration).
func (r *Runner) fill(ctx context.Context, what string, gens []*generation, bound Bound) (ReplayStats, error) {
	progress := r.progress(what, bound.Position)
	// Its commits change every cached answer (moved: nothing noted), so
	// nothing records whose rows they change.
	recordTouched(gens, false)
	defer recordTouched(gens, true)
	r.impl.db.SetFilling(true)
	defer r.impl.db.SetFilling(false)
	defer r.impl.db.FillFromEmpty(emptyTables(gens))()
	for _, g := range gens {
		if f, ok := g.p.(filler); ok {
			f.SetFilling(true)
			defer f.SetFilling(false)
		}
	}
	var tx *rmdb.Tx
	var inTx int    // events applied in tx
	var last uint64 // the last position applied in tx
	commit := func() error {
		if tx == nil {
			return nil
		}
		// No erasure needs handling here: a fill from the start reads the
		// log erased, and catchUp rebuilds everything when one came since.
		err := commitBatch(tx, gens, last)
		tx, inTx = nil, 0
		if err == nil {
			progress(last)
		}
		return err
	}
	st, err := replayInto(ctx, r.store, r.impl.cat, minCheckpoint(gens), bound, func(b *batch, recs []eventstore.RecordedEvent) error {
		for i, o := range b.outcomes {
			if o != decodedOK {
				r.count(recs[i], o)
			}
		}
		if tx == nil {
			var err error
			if tx, err = r.impl.db.Begin(ctx); err != nil {
				return err
			}
			// A fill writes far more than it reads: its inserts run on a
			// goroutine of their own while the next events are applied.
			tx.Pipeline()
		}
		applyEventsSideBySide(tx, gens, b)
		inTx += len(b.positions)
		last = b.positions[len(b.positions)-1]
		if inTx < fillTx {
			return nil
		}
		return commit()
	})
	if err == nil {
		err = commit()
	}
	if tx != nil { // the replay failed with a transaction open
		tx.Rollback()
		for _, g := range gens {
			g.p.Discard()
		}
	}
	for _, g := range gens {
		if f, ok := g.p.(filler); ok && err == nil {
			err = f.CompleteFill(ctx, r.impl.db)
		}
	}
	if err == nil {
		err = createIndexes(ctx, r.impl.db, gens)
	}
	return st, err
}

// emptyTables are the tables (stored names) of the generations of gens
// that no batch has been committed to (checkpoint 0): a new generation's,
// which only the fill about to start writes until it ends.
func emptyTables(gens []*generation) []string {
	var out []string
	for _, g := range gens {
		if g.checkpoint.Load() != 0 {
			continue
		}
		for _, t := range g.p.Tables() {
			out = append(out, rmdb.Stored(t.Name, g.number))
		}
	}
	return out
}

// createIndexes creates the indexes of gens' tables that are missing: a
// new generation's, once it is filled (or after a crash during its fill).
func createIndexes(ctx context.Context, db *rmdb.DB, gens []*generation) error {
	err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		for _, g := range gens {
			tx.CreateIndexes(g.number, g.p.Tables())
		}
		return tx.Err()
	})
	if err != nil {
		return fmt.Errorf("projections: create indexes: %w", err)
	}
	return nil
}

// progress returns a reporter that logs (and tells opts.Progress) how far
// a long fill has read, about once a second.
func (r *Runner) progress(what string, head uint64) func(uint64) {
	startedAt := time.Now()
	last := startedAt
	return func(pos uint64) {
		now := time.Now()
		if now.Sub(last) < time.Second {
			return
		}
		last = now
		if r.opts.Progress != nil {
			r.opts.Progress(what, pos, head)
		}
		r.impl.log.Info("filling read models from the log", "what", what, "position", pos, "head", head,
			"elapsed", now.Sub(startedAt).Round(time.Second).String())
	}
}

// rebuild fills a new generation of one projection while the serving one
// keeps answering queries, then swaps them: first up to the head without
// stopping the live loop, then, taking turns with it, up to exactly where
// the serving generation is, and swaps the views in the same transaction
// as the registry.
func (r *Runner) rebuild(ctx context.Context, name string) error {
	s := &r.impl
	i := slices.IndexFunc(r.gens(), func(g *generation) bool { return g.spec.Name == name })
	if i < 0 {
		names := make([]string, 0, len(r.gens()))
		for _, g := range r.gens() {
			names = append(names, g.spec.Name)
		}
		return fmt.Errorf("projections: no projection named %q (projections: %s)", name, strings.Join(names, ", "))
	}
	if held, err := r.acquireLease(ctx); err != nil || !held {
		return errors.Join(errors.New("projections: another process (a running remit serve?) applies the read models: stop it to rebuild"), err)
	}
	old := r.gens()[i]
	var fresh *generation
	err := s.db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		lockRegistry(tx)
		fresh = newGeneration(tx, old.spec, nextGeneration(tx, name))
		return tx.Err()
	})
	if err != nil {
		return fmt.Errorf("projections: rebuild %s: %w", name, err)
	}
	head, err := r.store.Head(ctx)
	if err == nil && head > 0 {
		_, err = r.fill(ctx, name, []*generation{fresh}, Bound{Position: head})
	}
	if err != nil {
		return r.abandon(fresh, fmt.Errorf("projections: rebuild %s: %w", name, err))
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	defer r.publish()
	if target := old.checkpoint.Load(); target > fresh.checkpoint.Load() {
		if _, err := r.fill(ctx, name, []*generation{fresh}, Bound{Position: target}); err != nil {
			return r.abandon(fresh, fmt.Errorf("projections: rebuild %s: %w", name, err))
		}
	}
	// Events past the fill that no projection handles leave the fresh
	// checkpoint short of the serving one: move it there.
	err = s.db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		tx.Advance(name, fresh.number, fresh.checkpoint.Load(), old.checkpoint.Load())
		tx.CreateIndexes(fresh.number, fresh.p.Tables()) // none missing after a fill; an empty log had none
		serve(tx, fresh)
		dropGeneration(tx, old.spec, old.number)
		return tx.Err()
	})
	if err != nil {
		return r.abandon(fresh, fmt.Errorf("projections: rebuild %s: swap: %w", name, err))
	}
	fresh.checkpoint.Store(max(fresh.checkpoint.Load(), old.checkpoint.Load()))
	gens := slices.Clone(r.gens())
	gens[i] = fresh
	s.serving.Store(&gens)
	return nil
}

// abandon drops a generation a rebuild could not finish.
func (r *Runner) abandon(g *generation, cause error) error {
	err := r.impl.db.WriteTx(context.WithoutCancel(context.Background()), func(tx *rmdb.Tx) error {
		dropGeneration(tx, g.spec, g.number)
		return tx.Err()
	})
	return errors.Join(cause, err)
}

// rebuildAllLocked fills a new generation of every projection up to target
// and swaps them all in one transaction. WaitFor(target) returns only once
// they serve. The caller holds applyMu.
func (r *Runner) rebuildAllLocked(ctx context.Context, target uint64) error {
	s := &r.impl
	old := r.gens()
	fresh := make([]*generation, len(old))
	err := s.db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		lockRegistry(tx)
		for i, g := range old {
			fresh[i] = newGeneration(tx, g.spec, nextGeneration(tx, g.spec.Name))
		}
		return tx.Err()
	})
	if err != nil {
		return fmt.Errorf("projections: rebuild after an erasure: %w", err)
	}
	if _, err := r.fill(ctx, "every read model", fresh, Bound{Position: target}); err != nil {
		return errors.Join(fmt.Errorf("projections: rebuild after an erasure: %w", err), r.abandonAll(fresh))
	}
	err = s.db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		for i, g := range fresh {
			tx.Advance(g.spec.Name, g.number, g.checkpoint.Load(), target)
			serve(tx, g)
			dropGeneration(tx, old[i].spec, old[i].number)
		}
		return tx.Err()
	})
	if err != nil {
		return errors.Join(fmt.Errorf("projections: rebuild after an erasure: swap: %w", err), r.abandonAll(fresh))
	}
	for _, g := range fresh {
		g.checkpoint.Store(max(g.checkpoint.Load(), target))
	}
	s.serving.Store(&fresh)
	return nil
}

func (r *Runner) abandonAll(gens []*generation) error {
	var errs []error
	for _, g := range gens {
		errs = append(errs, r.abandon(g, nil))
	}
	return errors.Join(errs...)
}

func (r *Runner) checkpoints() map[string]uint64 {
	gens := r.gens()
	out := make(map[string]uint64, len(gens))
	for _, g := range gens {
		out[g.spec.Name] = g.checkpoint.Load()
	}
	return out
}

func (r *Runner) skipped() uint64 {
	r.impl.mu.Lock()
	defer r.impl.mu.Unlock()
	return r.impl.nSkipped
}

func (r *Runner) ignored() uint64 {
	r.impl.mu.Lock()
	defer r.impl.mu.Unlock()
	return r.impl.nIgnored
}

func (r *Runner) err() error {
	r.impl.mu.Lock()
	defer r.impl.mu.Unlock()
	return r.impl.failure
}

func (r *Runner) close() error {
	s := &r.impl
	s.mu.Lock()
	started, cancel, done := s.started, s.cancel, s.done
	s.mu.Unlock()
	if started {
		cancel()
		<-done
	}
	s.applyMu.Lock()
	r.releaseLease()
	s.applyMu.Unlock()
	return r.err()
}
