package auth

import (
	"context"
	"errors"
	"time"

	"remit/domain"
	"remit/domain/user"
	"remit/web/auth/authdb"
)

// SetupTTL is how long a first-run setup link works.
const SetupTTL = time.Hour

// Kinds of the links kept in the sign-in state (authdb.Link.Kind).
const (
	linkSetup    = "setup"    // the first-run setup link: one at a time
	linkPassword = "password" // set-password links: one per user
	linkOAuth    = "oauth"    // pending ledger OAuth flows
)

// ErrSetupClosed is the error of a setup link that is unknown, expired,
// used, or whose store already has an owner: the page answers 404.
var ErrSetupClosed = domain.NotFound("There is no such setup link: it may have expired or been used.")

// StartSetup makes the one-time first-run setup link's token, valid for
// ttl (SetupTTL when 0): whoever opens /setup/<token> chooses the first
// owner's email, name and password. It refuses (ECONFLICT) once the store
// has a user. A new call replaces the previous token.
func (a *Authenticator) StartSetup(ctx context.Context, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		ttl = SetupTTL
	}
	us, err := a.dir.all(ctx)
	if err != nil {
		return "", err
	}
	if len(us) > 0 {
		return "", domain.Conflict("Remit already has users: add more with remit user add or in Settings → Users.")
	}
	tok := randomString(32)
	l := authdb.Link{Kind: linkSetup, Hash: sha256Hex(tok), Expires: a.cfg.Now().Add(ttl)}
	if err := a.db.PutLink(ctx, l, true); err != nil {
		return "", err
	}
	return tok, nil
}

// SetupHeld is a live setup link that another node made: it was printed
// by that node, and no other is made until it expires or is used.
type SetupHeld struct {
	Node  string    // the node that made it ("" when made by StartSetup)
	Until time.Time // when it expires
}

// StartSetupOn is StartSetup for a node of several on one store. When a
// setup link made by another node is live, it makes none and returns
// that link's node and expiry (the link itself is known only to the node
// that printed it). A live link made by this node is replaced: the node
// was restarted and prints the new one. Node "" is the store's only node
// (the embedded store: one process per data folder), which replaces any
// live link: whoever made it has stopped.
func (a *Authenticator) StartSetupOn(ctx context.Context, ttl time.Duration, node string) (string, *SetupHeld, error) {
	if ttl <= 0 {
		ttl = SetupTTL
	}
	us, err := a.dir.all(ctx)
	if err != nil {
		return "", nil, err
	}
	if len(us) > 0 {
		return "", nil, domain.Conflict("Remit already has users: add more with remit user add or in Settings → Users.")
	}
	tok := randomString(32)
	l := authdb.Link{Kind: linkSetup, Hash: sha256Hex(tok), Data: []byte(node), Expires: a.cfg.Now().Add(ttl)}
	live, made, err := a.db.PutOnlyLink(ctx, l, a.cfg.Now(), func(o authdb.Link) bool { return node != "" && string(o.Data) != node })
	if err != nil {
		return "", nil, err
	}
	if !made {
		return "", &SetupHeld{Node: string(live.Data), Until: live.Expires}, nil
	}
	return tok, nil, nil
}

// SetupOpen reports whether token is the live setup link: made by
// StartSetup, not expired, not used, and no owner exists yet.
func (a *Authenticator) SetupOpen(ctx context.Context, token string) bool {
	if !a.setupTokenOK(ctx, token) {
		return false
	}
	return a.noOwner(ctx)
}

func (a *Authenticator) setupTokenOK(ctx context.Context, token string) bool {
	_, ok, err := a.db.Link(ctx, linkSetup, sha256Hex(token), a.cfg.Now())
	return err == nil && ok
}

func (a *Authenticator) noOwner(ctx context.Context) bool {
	us, err := a.dir.all(ctx)
	if err != nil {
		return false
	}
	for _, u := range us {
		if u.Role == user.RoleOwner && !u.Disabled {
			return false
		}
	}
	return true
}

// CompleteSetup makes the first owner through the setup link and signs them
// in. The link then dies, also when the owner is made another way. Bad
// input (a short password, a bad email) leaves the link usable, so the
// person can correct it.
func (a *Authenticator) CompleteSetup(ctx context.Context, token string, u NewUser) (Session, error) {
	// Taken, so of two people (or nodes) completing it at once one does.
	l, ok, err := a.db.TakeLink(ctx, linkSetup, sha256Hex(token), a.cfg.Now())
	if err != nil {
		return Session{}, err
	}
	if !ok || !a.noOwner(ctx) {
		return Session{}, ErrSetupClosed
	}
	u.Role = user.RoleOwner
	id, err := a.AddUser(ctx, u, "setup")
	if err != nil {
		// Bad input: the link stays usable, unless someone else made an
		// owner meanwhile (a new StartSetup replaced it, or an owner exists).
		if a.noOwner(ctx) {
			if perr := a.db.PutLink(ctx, l, false); perr != nil {
				return Session{}, errors.Join(err, perr)
			}
		}
		return Session{}, err
	}
	usr, err := a.User(ctx, id)
	if err != nil {
		return Session{}, err
	}
	return a.startSession(ctx, usr)
}
