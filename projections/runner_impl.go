package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"remit/domain/catalog"
	"remit/eventstore"
	"remit/internal/atomicfile"
	"remit/projections/follow"
)

// snapshotFormat is the version of the snapshot files; a file of another
// version is ignored and its projection rebuilt from the log.
const snapshotFormat = 3

type runnerState struct {
	ps  []Projection
	cat *catalog.Catalog
	log *slog.Logger

	// applyMu makes the live loop, CatchUp and Rebuild take turns: one of
	// them feeds the projections at a time, in global order. live is the
	// live loop's lanes (nil when it is not running); whoever else takes
	// applyMu flushes them first.
	applyMu sync.Mutex
	live    *lanes
	// snapMu serialises snapshot writing.
	snapMu  sync.Mutex
	written map[string]uint64 // checkpoint of each projection's last snapshot file

	mu       sync.Mutex // guards the fields below
	waiters  []waiter
	failure  error
	nSkipped uint64
	nIgnored uint64
	started  bool
	cancel   context.CancelFunc
	done     chan struct{}
}

type waiter struct {
	pos uint64
	ch  chan struct{}
}

type snapshotFile struct {
	Format     int             `json:"format"`
	Name       string          `json:"name"`
	Checkpoint uint64          `json:"checkpoint"`
	State      json.RawMessage `json:"state"`
}

func newRunner(store eventstore.Store, projections []Projection, opts RunnerOptions) (*Runner, error) {
	if len(projections) == 0 {
		return nil, errors.New("projections: runner needs at least one projection")
	}
	names := map[string]bool{}
	for _, p := range projections {
		if names[p.Name()] {
			return nil, fmt.Errorf("projections: two projections named %q", p.Name())
		}
		names[p.Name()] = true
	}
	if opts.SnapshotInterval <= 0 {
		opts.SnapshotInterval = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Catalog == nil {
		opts.Catalog = catalog.New()
	}
	r := &Runner{store: store, opts: opts}
	r.impl = runnerState{ps: slices.Clone(projections), cat: opts.Catalog, log: opts.Logger, written: map[string]uint64{}}
	if opts.Dir != "" {
		if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("projections: snapshot folder: %w", err)
		}
		head, err := store.Head(context.Background())
		if err != nil {
			return nil, fmt.Errorf("projections: store head: %w", err)
		}
		for _, p := range projections {
			r.restore(p, head)
		}
	}
	return r, nil
}

func (r *Runner) snapshotPath(name string) string {
	return filepath.Join(r.opts.Dir, name+".snapshot.json")
}

// restore loads p's snapshot if it is usable; otherwise p starts empty and
// is rebuilt from the log.
func (r *Runner) restore(p Projection, head uint64) {
	log := r.impl.log.With("projection", p.Name())
	data, err := os.ReadFile(r.snapshotPath(p.Name()))
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	var f snapshotFile
	if err == nil {
		err = json.Unmarshal(data, &f)
	}
	switch {
	case err != nil:
		log.Warn("snapshot unreadable; rebuilding from the log", "err", err)
	case f.Format != snapshotFormat || f.Name != p.Name():
		log.Warn("snapshot of another format; rebuilding from the log", "format", f.Format, "name", f.Name)
	case f.Checkpoint > head:
		log.Warn("snapshot is ahead of the store; rebuilding from the log", "checkpoint", f.Checkpoint, "head", head)
	default:
		if err := p.UnmarshalSnapshot(f.State, f.Checkpoint); err != nil {
			log.Warn("snapshot does not load; rebuilding from the log", "err", err)
			p.Reset()
			return
		}
		r.impl.written[p.Name()] = f.Checkpoint
		return
	}
	p.Reset()
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
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); r.follow(ctx) }()
	go func() { defer wg.Done(); r.snapshotEvery(ctx) }()
	go func() { wg.Wait(); close(s.done) }()
	return nil
}

// follow catches up with the log in batches, then applies the
// subscription's events until ctx is done or the subscription fails. Each
// projection applies in a goroutine of its own (lanes); WaitFor is woken as
// they advance.
func (r *Runner) follow(ctx context.Context) {
	s := &r.impl
	head, err := r.store.Head(ctx)
	if err == nil && head > r.minCheckpoint() {
		s.applyMu.Lock()
		var reset bool
		if reset, err = r.resetIfErased(ctx, head); err == nil {
			_, _, err = replay(ctx, r.store, s.cat, s.ps, Bound{Position: head}, r.hooks())
		}
		if err == nil && reset {
			err = r.rewriteSnapshots()
		}
		s.applyMu.Unlock()
		r.notify()
	}
	if err != nil {
		if ctx.Err() == nil {
			r.fail(fmt.Errorf("projections: catching up: %w", err))
		}
		return
	}
	s.applyMu.Lock()
	s.live = startLanes(s.ps, r.notify)
	s.applyMu.Unlock()
	defer func() {
		s.applyMu.Lock()
		s.live.stop()
		s.live = nil
		s.applyMu.Unlock()
		r.notify()
	}()
	// Live, the one log follower (projections/follow) reads and decodes; each
	// event goes to the lanes. Events it cannot decode are counted and still
	// sent, so every projection's checkpoint moves past them.
	f := follow.New(r.store, func(ctx context.Context, e Event) error {
		if strings.HasPrefix(e.Stream, ignoredStreamPrefix) {
			return r.sendLive(eventstore.RecordedEvent{Position: e.Position, Stream: e.Stream, Type: e.Type}, Event{}, ignored)
		}
		if e.Type == erasureEventType {
			s.applyMu.Lock()
			err := r.rebuildAllLocked(ctx, e.Position)
			s.applyMu.Unlock()
			r.notify()
			return err
		}
		return r.sendLive(eventstore.RecordedEvent{}, e, decodedOK)
	}, follow.Options{From: r.minCheckpoint(), Catalog: s.cat, Undecodable: func(rec eventstore.RecordedEvent, _ error) error {
		o := unknown
		if strings.HasPrefix(rec.Stream, ignoredStreamPrefix) {
			o = ignored
		}
		return r.sendLive(rec, Event{}, o)
	}})
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		r.fail(fmt.Errorf("projections: following the log: %w", err))
	}
}

// sendLive hands one event of the live loop to the lanes: e when o is
// decodedOK, else only rec's position (counted as skipped or ignored).
func (r *Runner) sendLive(rec eventstore.RecordedEvent, e Event, o outcome) error {
	s := &r.impl
	pos := e.Position
	if o != decodedOK {
		r.count(rec, o)
		pos = rec.Position
	}
	b := &batch{positions: []uint64{pos}, events: []Event{e}, outcomes: []outcome{o}}
	s.applyMu.Lock()
	s.live.send(b)
	s.applyMu.Unlock()
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

// hooks are the runner's ears on a replay.
func (r *Runner) hooks() *replayHooks {
	return &replayHooks{
		applied: r.notify,
		skipped: r.count,
	}
}

func (r *Runner) snapshotEvery(ctx context.Context) {
	if r.opts.Dir == "" {
		return
	}
	t := time.NewTicker(r.opts.SnapshotInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.snapshotAll(); err != nil {
				r.impl.log.Error("writing projection snapshots", "err", err)
			}
		}
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

func (r *Runner) minCheckpoint() uint64 {
	var lo uint64
	for i, p := range r.impl.ps {
		if c := p.Checkpoint(); i == 0 || c < lo {
			lo = c
		}
	}
	return lo
}

// notify wakes the waiters whose position every projection has reached.
func (r *Runner) notify() {
	s := &r.impl
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.waiters) == 0 {
		return
	}
	lo := r.minCheckpoint()
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
	if r.minCheckpoint() >= pos {
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
		if r.minCheckpoint() >= pos {
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

func (r *Runner) catchUp(ctx context.Context) error {
	s := &r.impl
	head, err := r.store.Head(ctx)
	if err != nil {
		return fmt.Errorf("projections: store head: %w", err)
	}
	s.applyMu.Lock()
	if s.live != nil {
		s.live.flush()
	}
	reset, err := r.resetIfErased(ctx, head)
	if err == nil {
		_, _, err = replay(ctx, r.store, s.cat, s.ps, Bound{Position: max(head, 1)}, r.hooks())
	}
	if err == nil && reset {
		err = r.rewriteSnapshots()
	}
	s.applyMu.Unlock()
	r.notify()
	return err
}

func (r *Runner) rebuild(ctx context.Context, name string) error {
	s := &r.impl
	i := slices.IndexFunc(s.ps, func(p Projection) bool { return p.Name() == name })
	if i < 0 {
		return fmt.Errorf("projections: no projection named %q", name)
	}
	p := s.ps[i]
	s.applyMu.Lock()
	defer r.notify()
	defer s.applyMu.Unlock()
	if s.live != nil {
		s.live.flush()
	}
	var target uint64
	for _, q := range s.ps {
		target = max(target, q.Checkpoint())
	}
	p.Reset()
	if target == 0 {
		return nil
	}
	if _, _, err := replay(ctx, r.store, s.cat, []Projection{p}, Bound{Position: target}, &replayHooks{applied: r.notify}); err != nil {
		return fmt.Errorf("projections: rebuild %s: %w", name, err)
	}
	return nil
}

func (r *Runner) checkpoints() map[string]uint64 {
	out := make(map[string]uint64, len(r.impl.ps))
	for _, p := range r.impl.ps {
		out[p.Name()] = p.Checkpoint()
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

// snapshotAll writes the snapshot of every projection that moved since its
// last one.
func (r *Runner) snapshotAll() error {
	if r.opts.Dir == "" {
		return nil
	}
	s := &r.impl
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	var errs []error
	for _, p := range s.ps {
		if c, ok := s.written[p.Name()]; ok && c == p.Checkpoint() {
			continue
		}
		state, checkpoint, err := p.MarshalSnapshot()
		if err == nil {
			err = r.writeSnapshot(p.Name(), state, checkpoint)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("snapshot %s: %w", p.Name(), err))
			continue
		}
		s.written[p.Name()] = checkpoint
	}
	return errors.Join(errs...)
}

// writeSnapshot writes a snapshot file atomically: a temporary file in the
// same folder, synced, then renamed over the old one, then the folder synced.
func (r *Runner) writeSnapshot(name string, state []byte, checkpoint uint64) error {
	data, err := json.Marshal(snapshotFile{Format: snapshotFormat, Name: name, Checkpoint: checkpoint, State: state})
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(r.snapshotPath(name), data, 0o600)
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
	err := r.snapshotAll()
	s.applyMu.Unlock()
	return errors.Join(r.err(), err)
}
