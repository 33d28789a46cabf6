package auth

import (
	"context"
	"crypto/subtle"
	"sync"
	"time"

	"remit/domain"
	"remit/domain/user"
)

// SetupTTL is how long a first-run setup link works.
const SetupTTL = time.Hour

// setup is the one-time first-run link: held in memory only (a restart
// makes a new one), by the SHA-256 of its token.
type setup struct {
	mu      sync.Mutex
	hash    string
	expires time.Time
	busy    bool // a setup is being completed
	used    bool
}

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
	a.setup.mu.Lock()
	defer a.setup.mu.Unlock()
	a.setup.hash, a.setup.expires, a.setup.used, a.setup.busy = sha256Hex(tok), a.cfg.Now().Add(ttl), false, false
	return tok, nil
}

// SetupOpen reports whether token is the live setup link: made by
// StartSetup, not expired, not used, and no owner exists yet.
func (a *Authenticator) SetupOpen(ctx context.Context, token string) bool {
	if !a.setupTokenOK(token) {
		return false
	}
	return a.noOwner(ctx)
}

func (a *Authenticator) setupTokenOK(token string) bool {
	a.setup.mu.Lock()
	defer a.setup.mu.Unlock()
	s := &a.setup
	return s.hash != "" && !s.used && a.cfg.Now().Before(s.expires) &&
		subtle.ConstantTimeCompare([]byte(sha256Hex(token)), []byte(s.hash)) == 1
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
	a.setup.mu.Lock()
	s := &a.setup
	ok := s.hash != "" && !s.used && !s.busy && a.cfg.Now().Before(s.expires) &&
		subtle.ConstantTimeCompare([]byte(sha256Hex(token)), []byte(s.hash)) == 1
	if ok {
		s.busy = true
	}
	a.setup.mu.Unlock()
	if !ok || !a.noOwner(ctx) {
		if ok {
			a.endSetup(false)
		}
		return Session{}, ErrSetupClosed
	}
	u.Role = user.RoleOwner
	id, err := a.AddUser(ctx, u, "setup")
	if err != nil {
		a.endSetup(false)
		return Session{}, err
	}
	a.endSetup(true)
	usr, err := a.User(ctx, id)
	if err != nil {
		return Session{}, err
	}
	sid, sess := a.sessions.start(id, a.cfg.Now(), a.cfg.SessionTTL)
	return Session{ID: sid, CSRFToken: sess.csrf, Expires: sess.expires, User: usr}, nil
}

func (a *Authenticator) endSetup(used bool) {
	a.setup.mu.Lock()
	defer a.setup.mu.Unlock()
	a.setup.busy = false
	if used {
		a.setup.used, a.setup.hash = true, ""
	}
}
