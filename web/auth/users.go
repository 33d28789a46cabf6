package auth

import (
	"context"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/user"
	"remit/web/auth/authdb"
)

// PasswordLinkTTL is how long a set-password link (from an invitation)
// works.
const PasswordLinkTTL = 72 * time.Hour

// Invite is what InviteUser needs: the new user's email, name and role.
type Invite struct {
	Email string
	Name  string
	Role  user.Role
}

// PasswordLink is a one-time link's token and when it stops working. The
// page is at /set-password/<Token>.
type PasswordLink struct {
	Token   string
	Expires time.Time
}

// PasswordLinkPath is the path of a set-password link's page.
func PasswordLinkPath(token string) string { return "/set-password/" + token }

// InviteUser adds a user with no usable password (a random one nobody is
// told) and returns a one-time set-password link for them.
func (a *Authenticator) InviteUser(ctx context.Context, in Invite, actor string) (uuid.UUID, PasswordLink, error) {
	id, err := a.AddUser(ctx, NewUser{Email: in.Email, Name: in.Name, Role: in.Role, Password: randomString(32), Invited: true}, actor)
	if err != nil {
		return uuid.Nil, PasswordLink{}, err
	}
	l, err := a.newPasswordLink(ctx, id)
	return id, l, err
}

// NewPasswordLink makes a new set-password link for an active user (an
// invitation whose link expired, or a forgotten password).
func (a *Authenticator) NewPasswordLink(ctx context.Context, userID uuid.UUID) (PasswordLink, error) {
	u, err := a.User(ctx, userID)
	if err != nil {
		return PasswordLink{}, err
	}
	if u.Disabled {
		return PasswordLink{}, domain.Conflict("%s is deactivated.", u.Email)
	}
	return a.newPasswordLink(ctx, userID)
}

// newPasswordLink makes the user's one live set-password link, in the
// shared sign-in state by the SHA-256 of its token: any node opens it, and
// an earlier link of the user stops working.
func (a *Authenticator) newPasswordLink(ctx context.Context, userID uuid.UUID) (PasswordLink, error) {
	tok := randomString(32)
	l := PasswordLink{Token: tok, Expires: a.cfg.Now().Add(PasswordLinkTTL)}
	err := a.db.PutLink(ctx, authdb.Link{Kind: linkPassword, Hash: sha256Hex(tok), Subject: userID.String(), Expires: l.Expires}, true)
	if err != nil {
		return PasswordLink{}, err
	}
	return l, nil
}

// PasswordLinkUser returns the user a live set-password link is for.
func (a *Authenticator) PasswordLinkUser(ctx context.Context, token string) (user.State, bool) {
	l, ok, err := a.db.Link(ctx, linkPassword, sha256Hex(token), a.cfg.Now())
	if err != nil || !ok {
		return user.State{}, false
	}
	return a.linkUser(ctx, l)
}

// linkUser returns the active user a set-password link is for.
func (a *Authenticator) linkUser(ctx context.Context, l authdb.Link) (user.State, bool) {
	id, err := uuid.Parse(l.Subject)
	if err != nil {
		return user.State{}, false
	}
	u, found, err := a.dir.user(ctx, id)
	if err != nil || !found || u.Disabled {
		return user.State{}, false
	}
	return u, true
}

// SetPasswordWithLink sets the password of the link's user, ends the link
// and their other sessions, and signs them in. A dead link is ENOTFOUND
// (also one just used on another node: the link is taken, once); a bad
// password is EINVALID and leaves the link usable.
func (a *Authenticator) SetPasswordWithLink(ctx context.Context, token, password string) (Session, error) {
	dead := domain.NotFound("This link is not valid: it may have expired or been used. Ask an owner for a new one.")
	// The user is looked up before the link is taken: a link this node
	// cannot use yet (its directory has not seen the user) stays usable.
	u, ok := a.PasswordLinkUser(ctx, token)
	if !ok {
		return Session{}, dead
	}
	// The password is checked before the link is taken, so a refused
	// password never takes it and nothing is put back: a taken link put
	// back could outlive a newer link an owner made in between.
	if err := checkPassword(password); err != nil {
		return Session{}, err
	}
	_, ok, err := a.db.TakeLink(ctx, linkPassword, sha256Hex(token), a.cfg.Now())
	if err != nil {
		return Session{}, err
	}
	if !ok {
		return Session{}, dead
	}
	if err := a.ChangePassword(ctx, u.ID, password, "user:"+u.ID.String()); err != nil {
		return Session{}, err
	}
	if err := a.db.ClearFailures(ctx, emailKey(u.Email)); err != nil {
		return Session{}, err
	}
	return a.startSession(ctx, u)
}

// errLastOwner refuses leaving the firm without an active owner.
var errLastOwner = domain.Invalid("role", "this is the last active owner: make another user an owner first")

// otherActiveOwners counts the active owners other than id. The caller
// holds the owners' lock (withOwners).
func (a *Authenticator) otherActiveOwners(ctx context.Context, id uuid.UUID) (int, error) {
	us, err := a.dir.all(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range us {
		if u.ID != id && u.Role == user.RoleOwner && !u.Disabled {
			n++
		}
	}
	return n, nil
}

// withOwners runs fn, a change that may leave one owner fewer, one at a
// time across every node sharing the sign-in state (a lock in it), on a
// directory read to the log's head once the lock is held: two nodes
// removing each other's owner at once cannot both count the other. fn must
// not use the sign-in state (see authdb.DB.WithLock).
func (a *Authenticator) withOwners(ctx context.Context, fn func() error) error {
	a.ownersMu.Lock()
	defer a.ownersMu.Unlock()
	return a.db.WithLock(ctx, "owners", func() error {
		if err := a.dir.current(ctx); err != nil {
			return err
		}
		return fn()
	})
}

// ChangeRole gives a user another role. The last active owner keeps theirs
// (EINVALID), also when owners are changed on several nodes at once. A
// signed-in user's new role applies from their next request.
func (a *Authenticator) ChangeRole(ctx context.Context, userID uuid.UUID, role user.Role, actor string) error {
	return a.withOwners(ctx, func() error {
		u, err := a.User(ctx, userID)
		if err != nil {
			return err
		}
		if u.Role == user.RoleOwner && role != user.RoleOwner && !u.Disabled {
			n, err := a.otherActiveOwners(ctx, userID)
			if err != nil {
				return err
			}
			if n == 0 {
				return errLastOwner
			}
		}
		return a.handle(ctx, userID, user.ChangeRole{Role: role, Now: a.cfg.Now()}, actor)
	})
}

// DeactivateUser stops a user at once: they cannot sign in, their sessions
// end, their set-password links and API tokens stop working. The last
// active owner cannot be deactivated (EINVALID), also when owners are
// changed on several nodes at once.
func (a *Authenticator) DeactivateUser(ctx context.Context, userID uuid.UUID, reason, actor string) error {
	err := a.withOwners(ctx, func() error {
		u, err := a.User(ctx, userID)
		if err != nil {
			return err
		}
		if u.Role == user.RoleOwner && !u.Disabled {
			n, err := a.otherActiveOwners(ctx, userID)
			if err != nil {
				return err
			}
			if n == 0 {
				return domain.Invalid("", "this is the last active owner: make another user an owner first")
			}
		}
		return a.handle(ctx, userID, user.Disable{Reason: reason, Now: a.cfg.Now()}, actor)
	})
	if err != nil {
		return err
	}
	// After the lock (these use the sign-in state): a disabled user's link
	// and sessions are refused already, and are deleted here.
	if err := a.db.DeleteLinks(ctx, linkPassword, userID.String()); err != nil {
		return err
	}
	return a.endUserSessions(ctx, userID)
}
