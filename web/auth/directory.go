package auth

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"remit/domain/user"
	"remit/eventstore"
)

// directory is every user as folded from the "user-" streams, caught up
// with the log on each lookup (reading only the events after the last one
// it saw), so a user added or a token revoked by another process — remit
// token revoke while serve runs — takes effect at the next request.
type directory struct {
	store eventstore.Store

	mu     sync.Mutex
	next   uint64 // the first global position not yet applied
	users  map[uuid.UUID]user.State
	tokens map[uuid.UUID]uuid.UUID // token id -> user id
}

var userFilter = eventstore.Filter{StreamPrefixes: []string{"user-"}}

func newDirectory(store eventstore.Store) *directory {
	return &directory{store: store, users: map[uuid.UUID]user.State{}, tokens: map[uuid.UUID]uuid.UUID{}}
}

// refresh applies the user events appended since the last call. The caller
// holds d.mu.
func (d *directory) refresh(ctx context.Context) error {
	recs, err := d.store.ReadAll(ctx, d.next, eventstore.Forward, 0, userFilter)
	if err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	for _, r := range recs {
		e, err := user.DecodeEvent(r.Type, r.Data)
		if err != nil {
			return fmt.Errorf("decode %s@%d: %w", r.Stream, r.Revision, err)
		}
		var id uuid.UUID
		switch e := e.(type) {
		case user.UserAdded:
			id = e.UserID
		case user.UserPasswordChanged:
			id = e.UserID
		case user.UserRoleChanged:
			id = e.UserID
		case user.UserDisabled:
			id = e.UserID
		case user.APITokenCreated:
			id = e.UserID
			d.tokens[e.TokenID] = e.UserID
		case user.APITokenRevoked:
			id = e.UserID
		}
		d.users[id] = user.Evolve(d.users[id], e)
		d.next = r.Position + 1
	}
	return nil
}

// user returns the user with id, as of now.
func (d *directory) user(ctx context.Context, id uuid.UUID) (user.State, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.refresh(ctx); err != nil {
		return user.State{}, false, err
	}
	u, ok := d.users[id]
	return u, ok && u.Exists(), nil
}

// tokenUser returns the user who made the token with id.
func (d *directory) tokenUser(ctx context.Context, tokenID uuid.UUID) (user.State, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.refresh(ctx); err != nil {
		return user.State{}, false, err
	}
	id, ok := d.tokens[tokenID]
	if !ok {
		return user.State{}, false, nil
	}
	return d.users[id], true, nil
}

// all returns every user.
func (d *directory) all(ctx context.Context) ([]user.State, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.refresh(ctx); err != nil {
		return nil, err
	}
	out := make([]user.State, 0, len(d.users))
	for _, u := range d.users {
		if u.Exists() {
			out = append(out, u)
		}
	}
	return out, nil
}
