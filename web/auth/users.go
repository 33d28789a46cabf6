package auth

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/user"
)

// PasswordLinkTTL is how long a set-password link (from an invitation)
// works.
const PasswordLinkTTL = 72 * time.Hour

// passwordLinks are the live set-password links, in memory by the SHA-256
// of their token: single use, and a restart ends them (the owner makes a
// new one).
type passwordLinks struct {
	mu    sync.Mutex
	byTok map[string]passwordLink
}

type passwordLink struct {
	userID  uuid.UUID
	expires time.Time
}

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
	id, err := a.AddUser(ctx, NewUser{Email: in.Email, Name: in.Name, Role: in.Role, Password: randomString(32)}, actor)
	if err != nil {
		return uuid.Nil, PasswordLink{}, err
	}
	return id, a.newPasswordLink(id), nil
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
	return a.newPasswordLink(userID), nil
}

func (a *Authenticator) newPasswordLink(userID uuid.UUID) PasswordLink {
	tok := randomString(32)
	l := PasswordLink{Token: tok, Expires: a.cfg.Now().Add(PasswordLinkTTL)}
	a.pwLinks.mu.Lock()
	defer a.pwLinks.mu.Unlock()
	if a.pwLinks.byTok == nil {
		a.pwLinks.byTok = map[string]passwordLink{}
	}
	now := a.cfg.Now()
	for k, v := range a.pwLinks.byTok {
		if v.userID == userID || !now.Before(v.expires) {
			delete(a.pwLinks.byTok, k) // one live link per user
		}
	}
	a.pwLinks.byTok[sha256Hex(tok)] = passwordLink{userID: userID, expires: l.Expires}
	return l
}

// PasswordLinkUser returns the user a live set-password link is for.
func (a *Authenticator) PasswordLinkUser(ctx context.Context, token string) (user.State, bool) {
	a.pwLinks.mu.Lock()
	l, ok := a.pwLinks.byTok[sha256Hex(token)]
	a.pwLinks.mu.Unlock()
	if !ok || !a.cfg.Now().Before(l.expires) {
		return user.State{}, false
	}
	u, found, err := a.dir.user(ctx, l.userID)
	if err != nil || !found || u.Disabled {
		return user.State{}, false
	}
	return u, true
}

// SetPasswordWithLink sets the password of the link's user, ends the link
// and their other sessions, and signs them in. A dead link is ENOTFOUND;
// a bad password is EINVALID and leaves the link usable.
func (a *Authenticator) SetPasswordWithLink(ctx context.Context, token, password string) (Session, error) {
	u, ok := a.PasswordLinkUser(ctx, token)
	if !ok {
		return Session{}, domain.NotFound("This link is not valid: it may have expired or been used. Ask an owner for a new one.")
	}
	if err := a.ChangePassword(ctx, u.ID, password, "user:"+u.ID.String()); err != nil {
		return Session{}, err
	}
	a.pwLinks.mu.Lock()
	delete(a.pwLinks.byTok, sha256Hex(token))
	a.pwLinks.mu.Unlock()
	a.limiter.succeeded(u.Email)
	id, s := a.sessions.start(u.ID, a.cfg.Now(), a.cfg.SessionTTL)
	return Session{ID: id, CSRFToken: s.csrf, Expires: s.expires, User: u}, nil
}

// errLastOwner refuses leaving the firm without an active owner.
var errLastOwner = domain.Invalid("role", "this is the last active owner: make another user an owner first")

// otherActiveOwners counts the active owners other than id. The caller
// holds a.ownersMu.
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

// ChangeRole gives a user another role. The last active owner keeps theirs
// (EINVALID). A signed-in user's new role applies from their next request.
func (a *Authenticator) ChangeRole(ctx context.Context, userID uuid.UUID, role user.Role, actor string) error {
	a.ownersMu.Lock()
	defer a.ownersMu.Unlock()
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
}

// DeactivateUser stops a user at once: they cannot sign in, their sessions
// end and their API tokens stop working. The last active owner cannot be
// deactivated (EINVALID).
func (a *Authenticator) DeactivateUser(ctx context.Context, userID uuid.UUID, reason, actor string) error {
	a.ownersMu.Lock()
	defer a.ownersMu.Unlock()
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
	a.pwLinks.mu.Lock()
	for k, v := range a.pwLinks.byTok {
		if v.userID == userID {
			delete(a.pwLinks.byTok, k)
		}
	}
	a.pwLinks.mu.Unlock()
	return a.DisableUser(ctx, userID, reason, actor)
}
