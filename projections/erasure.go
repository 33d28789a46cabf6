package projections

import (
	"context"
	"fmt"

	"remit/eventstore"
)

// erasureEventType is the event appended after a client's key was destroyed
// (client.ClientErased). Read models built before it hold the client's
// personal data in clear, in memory and in their snapshots; when the runner
// meets it, it truncates every projection and replays the log, which now
// reads erased, then rewrites the snapshots. That is a full rebuild per
// erasure: erasures are rare, and a generic rebuild cannot miss a read model.
const erasureEventType = "ClientErased"

var erasureFilter = eventstore.Filter{EventTypes: []string{erasureEventType}}

// rebuildAllLocked truncates every projection and replays the log into them
// up to target, then rewrites every snapshot. The caller holds applyMu.
func (r *Runner) rebuildAllLocked(ctx context.Context, target uint64) error {
	s := &r.impl
	if s.live != nil {
		s.live.flush()
	}
	// WaitFor takes s.mu to compare checkpoints: holding it makes a
	// WaitFor(target) return only once the read models are whole again and
	// their snapshots rewritten, never half-way through the rebuild.
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.ps {
		p.Reset()
	}
	// No waiter is woken during the replay (no hooks).
	if _, _, err := replay(ctx, r.store, s.cat, s.ps, Bound{Position: target}, &replayHooks{}); err != nil {
		return fmt.Errorf("projections: rebuild after an erasure: %w", err)
	}
	return r.rewriteSnapshots()
}

// resetIfErased truncates every projection when the log holds an erasure
// after the lowest checkpoint and up to head (a snapshot taken before it
// holds the erased data), so the replay that follows starts from the
// beginning. The caller holds applyMu and replays next; reset says whether
// the snapshots must then be rewritten.
func (r *Runner) resetIfErased(ctx context.Context, head uint64) (reset bool, err error) {
	from := r.minCheckpoint()
	if from == 0 {
		return false, nil // a replay from the start reads the log as it is now
	}
	recs, err := r.store.ReadAll(ctx, from+1, eventstore.Forward, 1, erasureFilter)
	if err != nil {
		return false, fmt.Errorf("projections: look for erasures: %w", err)
	}
	if len(recs) == 0 || recs[0].Position > head {
		return false, nil
	}
	for _, p := range r.impl.ps {
		p.Reset()
	}
	return true, nil
}

// rewriteSnapshots writes every projection's snapshot, also those whose
// checkpoint did not move (a rebuild replaced their content).
func (r *Runner) rewriteSnapshots() error {
	s := &r.impl
	s.snapMu.Lock()
	clear(s.written)
	s.snapMu.Unlock()
	return r.snapshotAll()
}
