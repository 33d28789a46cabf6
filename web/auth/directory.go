package auth

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"remit/domain/user"
	"remit/eventstore"
	"remit/projections/follow"
)

// directory is the users' read model: every user folded from the "user-"
// streams, kept current by the one log follower (projections/follow)
// running in the background, so that checking a token or a session is a map
// lookup under a read lock and no request reads the log.
//
// The first lookup catches the follower up with the log (reading only the
// user streams) and then starts it following live. A user added or a token
// revoked through this Authenticator is in the directory before the call
// returns (handle waits for the follower to pass its append); one changed by
// another process (remit token revoke against a shared store) takes effect
// as soon as the follower sees it, normally within milliseconds. When the
// follower stops (its store failed or closed), the next lookup starts it
// again from where it was.
type directory struct {
	f *follow.Follower

	mu     sync.RWMutex
	users  map[uuid.UUID]user.State
	tokens map[uuid.UUID]uuid.UUID // token id -> user id

	live    atomic.Bool // the follower is running
	startMu sync.Mutex  // one start at a time
	ctx     context.Context
	cancel  context.CancelFunc
}

var userFilter = eventstore.Filter{StreamPrefixes: []string{"user-"}}

func newDirectory(store eventstore.Store) *directory {
	d := &directory{users: map[uuid.UUID]user.State{}, tokens: map[uuid.UUID]uuid.UUID{}}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.f = follow.New(store, d.apply, follow.Options{Filter: userFilter})
	return d
}

// apply folds one user event in; the follower calls it, one event at a time.
func (d *directory) apply(_ context.Context, e follow.Event) error {
	var id uuid.UUID
	switch ev := e.Data.(type) {
	case user.UserAdded:
		id = ev.UserID
	case user.UserPasswordChanged:
		id = ev.UserID
	case user.UserRoleChanged:
		id = ev.UserID
	case user.UserDisabled:
		id = ev.UserID
	case user.APITokenCreated:
		id = ev.UserID
	case user.APITokenRevoked:
		id = ev.UserID
	default:
		return nil // a user event that changes no one the directory knows
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if tc, ok := e.Data.(user.APITokenCreated); ok {
		d.tokens[tc.TokenID] = tc.UserID
	}
	d.users[id] = user.Evolve(d.users[id], e.Data)
	return nil
}

// ready makes sure the follower is running: the first call (or the first
// after it stopped) catches up synchronously and starts it.
func (d *directory) ready(ctx context.Context) error {
	if d.live.Load() {
		return nil
	}
	d.startMu.Lock()
	defer d.startMu.Unlock()
	if d.live.Load() || (d.ctx.Err() != nil && d.f.Checkpoint() > 0) {
		return nil // following; or closed: serve what was read, read no more
	}
	if err := d.f.CatchUp(ctx); err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	if d.ctx.Err() != nil {
		return nil // closed: serve what was read, follow no more
	}
	d.live.Store(true)
	go func() {
		defer d.live.Store(false)
		_ = d.f.Run(d.ctx) // on failure the next lookup starts it again
	}()
	return nil
}

// written waits until the follower has applied the append at pos, so the
// caller's own change is visible to the next lookup.
func (d *directory) written(ctx context.Context, pos uint64) error {
	if !d.live.Load() {
		return nil // not following yet: the next lookup catches up past pos
	}
	if err := d.f.WaitFor(ctx, pos); err != nil && d.f.Checkpoint() < pos {
		// The follower stopped: catch up here instead.
		return d.f.CatchUp(ctx)
	}
	return nil
}

// current brings the directory up to the log's head as of the call: a
// change another node appended before is in it.
func (d *directory) current(ctx context.Context) error {
	if err := d.ready(ctx); err != nil {
		return err
	}
	if err := d.f.CatchUp(ctx); err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	return nil
}

// close stops the follower.
func (d *directory) close() { d.cancel() }

// user returns the user with id, as of now.
func (d *directory) user(ctx context.Context, id uuid.UUID) (user.State, bool, error) {
	if err := d.ready(ctx); err != nil {
		return user.State{}, false, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	u, ok := d.users[id]
	return u, ok && u.Exists(), nil
}

// tokenUser returns the user who made the token with id.
func (d *directory) tokenUser(ctx context.Context, tokenID uuid.UUID) (user.State, bool, error) {
	if err := d.ready(ctx); err != nil {
		return user.State{}, false, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	id, ok := d.tokens[tokenID]
	if !ok {
		return user.State{}, false, nil
	}
	return d.users[id], true, nil
}

// all returns every user.
func (d *directory) all(ctx context.Context) ([]user.State, error) {
	if err := d.ready(ctx); err != nil {
		return nil, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]user.State, 0, len(d.users))
	for _, u := range d.users {
		if u.Exists() {
			out = append(out, u)
		}
	}
	return out, nil
}
