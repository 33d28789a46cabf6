package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/user"
	"remit/eventstore"
	"remit/web/auth/authdb"
)

// Defaults of Config.
const (
	DefaultSessionTTL   = 12 * time.Hour
	DefaultIdleTimeout  = 2 * time.Hour
	DefaultMaxFailures  = 5
	DefaultLockout      = 15 * time.Minute
	DefaultLoginsPerMin = 20
)

// Config is what an Authenticator is built from.
type Config struct {
	// Store holds the users (streams "user-<uuid>").
	Store eventstore.Store
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// BcryptCost is the cost of new password hashes (bcrypt.DefaultCost
	// when 0; tests use bcrypt.MinCost).
	BcryptCost int
	// SessionTTL bounds a session's life from login; IdleTimeout ends a
	// session unused for that long.
	SessionTTL, IdleTimeout time.Duration
	// MaxFailures failed logins for one email within Lockout lock it for
	// Lockout, even for the right password.
	MaxFailures int
	Lockout     time.Duration
	// LoginsPerMinute bounds login attempts from one client address.
	LoginsPerMinute int
	// SecureCookies marks the session cookie Secure even when the request
	// did not come over TLS (behind a TLS-terminating proxy). A request over
	// TLS always gets a Secure cookie.
	SecureCookies bool
	// DB keeps the sign-in state every node shares: sessions, the login
	// limiter, setup and set-password links, pending ledger OAuth flows.
	// The caller opens and closes it (storeurl.OpenSignIn picks it for a
	// store). Nil gives the Authenticator a private in-memory one, closed
	// with it: state of this process only (the CLI, tests).
	DB *authdb.DB
}

// Authenticator knows the users, their sessions and tokens, and decides who
// is asking. It is safe for concurrent use.
type Authenticator struct {
	cfg      Config
	env      billing.Env
	dir      *directory
	db       *authdb.DB // sessions, limiter, links: shared by every node
	ownDB    bool       // db was opened by New, and is closed by Close
	ownersMu sync.Mutex // one change of an owner at a time: never none left
	dummy    []byte     // a hash compared against for unknown emails, so timing does not tell
}

// New returns an Authenticator over the users in cfg.Store.
func New(cfg Config) (*Authenticator, error) {
	if cfg.Store == nil {
		return nil, errors.New("auth: no store")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = bcrypt.DefaultCost
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = DefaultMaxFailures
	}
	if cfg.Lockout <= 0 {
		cfg.Lockout = DefaultLockout
	}
	if cfg.LoginsPerMinute <= 0 {
		cfg.LoginsPerMinute = DefaultLoginsPerMin
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("no such user, no such password"), cfg.BcryptCost)
	if err != nil {
		return nil, err
	}
	db, own := cfg.DB, false
	if db == nil {
		if db, err = authdb.OpenMemory(authdb.Options{Now: cfg.Now}); err != nil {
			return nil, fmt.Errorf("auth: sign-in state: %w", err)
		}
		own = true
	}
	return &Authenticator{
		cfg:   cfg,
		env:   billing.Env{Store: cfg.Store, Catalog: catalog.New()},
		dir:   newDirectory(cfg.Store),
		db:    db,
		ownDB: own,
		dummy: dummy,
	}, nil
}

// Principal is who is asking: a signed-in user (a session) or an API token.
type Principal struct {
	UserID uuid.UUID
	Email  string
	Role   user.Role
	// TokenID and Scope are set when the request carried an API token.
	TokenID uuid.UUID
	Scope   user.Scope
	// CSRFToken is the session's CSRF token (sessions only).
	CSRFToken string
	sessionID string
}

// Actor is the name recorded in the metadata of every event the principal
// causes: "token:<id>" for a token, "user:<id>" for a user.
func (p Principal) Actor() string {
	if p.TokenID != uuid.Nil {
		return "token:" + p.TokenID.String()
	}
	return "user:" + p.UserID.String()
}

// ViaSession reports whether the principal is a signed-in user (and so
// needs a CSRF token on unsafe requests).
func (p Principal) ViaSession() bool { return p.sessionID != "" }

// CanWrite reports whether the principal may run commands at all: not an
// auditor, not a read-only token.
func (p Principal) CanWrite() bool {
	if p.TokenID != uuid.Nil && p.Scope != user.ScopeWrite {
		return false
	}
	return p.Role == user.RoleOwner || p.Role == user.RoleStaff
}

// meta is the billing metadata of a command run by actor.
func meta(actor string) billing.Meta {
	return billing.Meta{Actor: actor, CommandID: uuid.NewString()}
}

func (a *Authenticator) handle(ctx context.Context, id uuid.UUID, cmd user.Command, actor string) error {
	d := billing.Decider[user.State, user.Command]{Evolve: user.Evolve, Decide: user.Decide}
	out, err := billing.Handle(ctx, a.env, d, user.StreamName(id), cmd, meta(actor))
	if err != nil {
		return err
	}
	return a.dir.written(ctx, out.Position)
}

// Close stops following the users' streams (lookups afterwards answer
// from what was read) and closes the sign-in state New opened itself.
func (a *Authenticator) Close() error {
	a.dir.close()
	if a.ownDB {
		return a.db.Close()
	}
	return nil
}

// NewUser is what AddUser needs.
type NewUser struct {
	Email    string
	Name     string
	Role     user.Role
	Password string
	Invited  bool // Password is a random one: they choose theirs with a link
}

// AddUser adds a user with a password; actor is who adds them ("cli" for
// remit user add). It returns the user's id.
func (a *Authenticator) AddUser(ctx context.Context, u NewUser, actor string) (uuid.UUID, error) {
	hash, err := hashPassword(u.Password, a.cfg.BcryptCost)
	if err != nil {
		return uuid.Nil, err
	}
	id := user.IDForEmail(u.Email)
	cmd := user.AddUser{Email: u.Email, Name: u.Name, Role: u.Role, PasswordHash: hash, Invited: u.Invited, Now: a.cfg.Now()}
	if err := a.handle(ctx, id, cmd, actor); err != nil {
		return uuid.Nil, err
	}
	return id, nil
}

// ChangePassword sets a user's password and ends their sessions.
func (a *Authenticator) ChangePassword(ctx context.Context, userID uuid.UUID, password, actor string) error {
	hash, err := hashPassword(password, a.cfg.BcryptCost)
	if err != nil {
		return err
	}
	if err := a.handle(ctx, userID, user.ChangePassword{PasswordHash: hash, Now: a.cfg.Now()}, actor); err != nil {
		return err
	}
	return a.endUserSessions(ctx, userID)
}

// DisableUser stops a user signing in, ends their sessions and stops
// their tokens.
func (a *Authenticator) DisableUser(ctx context.Context, userID uuid.UUID, reason, actor string) error {
	if err := a.handle(ctx, userID, user.Disable{Reason: reason, Now: a.cfg.Now()}, actor); err != nil {
		return err
	}
	return a.endUserSessions(ctx, userID)
}

// Users lists every user, by email.
func (a *Authenticator) Users(ctx context.Context) ([]user.State, error) {
	us, err := a.dir.all(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(us, func(x, y user.State) int { return strings.Compare(x.Email, y.Email) })
	return us, nil
}

// User returns one user.
func (a *Authenticator) User(ctx context.Context, id uuid.UUID) (user.State, error) {
	u, ok, err := a.dir.user(ctx, id)
	if err != nil {
		return user.State{}, err
	}
	if !ok {
		return user.State{}, domain.NotFound("There is no such user.")
	}
	return u, nil
}

// tokenPrefix starts every API token, so a leaked one is easy to spot and
// to scan for.
const tokenPrefix = "remit_"

// NewToken is an API token just made: its secret is in Token, shown once.
type NewToken struct {
	ID    uuid.UUID
	Token string // "remit_<id hex>_<secret>": give it as "Authorization: Bearer …"
}

// CreateToken makes an API token for the user; the token is returned once
// and only the SHA-256 of its secret is recorded.
func (a *Authenticator) CreateToken(ctx context.Context, userID uuid.UUID, name string, scope user.Scope, expiresAt *time.Time, actor string) (NewToken, error) {
	return a.CreateTokenOnce(ctx, uuid.New(), userID, name, scope, expiresAt, actor)
}

// CreateTokenOnce is CreateToken for one request of the user's, named by
// request (a form's one-time id): the token's id is derived from the user
// and request, so the same request sent again is refused (ECONFLICT: the
// token was made, and its secret was shown once) instead of making a
// second token, and no one can choose another user's token id.
func (a *Authenticator) CreateTokenOnce(ctx context.Context, request, userID uuid.UUID, name string, scope user.Scope, expiresAt *time.Time, actor string) (NewToken, error) {
	id := uuid.NewSHA1(request, userID[:])
	secret := randomString(32)
	cmd := user.CreateToken{TokenID: id, Name: name, Scope: scope, SecretHash: sha256Hex(secret), ExpiresAt: expiresAt, Now: a.cfg.Now()}
	if err := a.handle(ctx, userID, cmd, actor); err != nil {
		return NewToken{}, err
	}
	return NewToken{ID: id, Token: tokenPrefix + hex.EncodeToString(id[:]) + "_" + secret}, nil
}

// RevokeToken stops a token working. Only the token's user or an owner may
// revoke it: others get ENOTFOUND, as if it did not exist.
func (a *Authenticator) RevokeToken(ctx context.Context, by Principal, tokenID uuid.UUID) error {
	u, ok, err := a.dir.tokenUser(ctx, tokenID)
	if err != nil {
		return err
	}
	if !ok || (by.UserID != u.ID && by.Role != user.RoleOwner) {
		return domain.NotFound("There is no such API token.")
	}
	return a.handle(ctx, u.ID, user.RevokeToken{TokenID: tokenID, Now: a.cfg.Now()}, by.Actor())
}

// RevokeTokenAsOperator revokes a token from the command line (actor
// "cli"), whoever made it.
func (a *Authenticator) RevokeTokenAsOperator(ctx context.Context, tokenID uuid.UUID) error {
	u, ok, err := a.dir.tokenUser(ctx, tokenID)
	if err != nil {
		return err
	}
	if !ok {
		return domain.NotFound("There is no API token %s.", tokenID)
	}
	return a.handle(ctx, u.ID, user.RevokeToken{TokenID: tokenID, Now: a.cfg.Now()}, "cli")
}

// ErrUnauthenticated is matched (errors.Is) by every error that means "no
// valid credentials": HTTP 401.
var ErrUnauthenticated = errors.New("not signed in")

// ErrRateLimited is matched by a login refused for too many attempts (from
// the address, or for the email while locked out): HTTP 429.
var ErrRateLimited = errors.New("too many login attempts")

// authError is an ErrUnauthenticated with the message a person sees.
type authError struct{ msg string }

func (e *authError) Error() string        { return e.msg }
func (e *authError) Is(target error) bool { return target == ErrUnauthenticated }

// Authenticate says who sent r: the bearer token in Authorization, else the
// session cookie. A request with neither, or with one that does not check
// out, gets an error matching ErrUnauthenticated.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return Principal{}, &authError{"Send the API token as Authorization: Bearer <token>."}
		}
		return a.authenticateToken(r.Context(), strings.TrimSpace(tok))
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return Principal{}, &authError{"Sign in, or send an API token."}
	}
	return a.authenticateSession(r.Context(), c.Value)
}

func (a *Authenticator) authenticateToken(ctx context.Context, tok string) (Principal, error) {
	bad := &authError{"The API token is not valid (unknown, revoked or expired)."}
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	if !ok {
		return Principal{}, bad
	}
	idHex, secret, ok := strings.Cut(rest, "_")
	raw, err := hex.DecodeString(idHex)
	if !ok || err != nil || len(raw) != 16 {
		return Principal{}, bad
	}
	id := uuid.UUID(raw)
	u, found, err := a.dir.tokenUser(ctx, id)
	if err != nil {
		return Principal{}, err
	}
	if !found || u.Disabled {
		return Principal{}, bad
	}
	t := u.Tokens[id]
	want := []byte(t.SecretHash)
	if subtle.ConstantTimeCompare([]byte(sha256Hex(secret)), want) != 1 || !t.Usable(a.cfg.Now()) {
		return Principal{}, bad
	}
	return Principal{UserID: u.ID, Email: u.Email, Role: u.Role, TokenID: id, Scope: t.Scope}, nil
}

func (a *Authenticator) authenticateSession(ctx context.Context, sid string) (Principal, error) {
	hash := sha256Hex(sid)
	s, ok, err := a.db.Session(ctx, hash, a.cfg.Now())
	if err != nil {
		return Principal{}, err
	}
	if !ok {
		return Principal{}, &authError{"Your session has ended; sign in again."}
	}
	u, found, err := a.dir.user(ctx, s.UserID)
	if err != nil {
		return Principal{}, err
	}
	if !found {
		// Made on another node a moment ago, and not yet seen here: refused
		// for now, not ended.
		return Principal{}, &authError{"Your session has ended; sign in again."}
	}
	if u.Disabled {
		if err := a.db.EndSession(ctx, hash); err != nil {
			return Principal{}, err
		}
		return Principal{}, &authError{"Your session has ended; sign in again."}
	}
	return Principal{UserID: u.ID, Email: u.Email, Role: u.Role, CSRFToken: csrfOf(sid), sessionID: sid}, nil
}

// randomString returns n random bytes, base64url without padding.
func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("auth: crypto/rand failed: %v", err)) // never happens on a supported OS
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// SignInState is the sign-in state the Authenticator keeps its sessions in
// (Config.DB, or its own in-memory one), for other short-lived state every
// node must share: the UI's pending ledger OAuth flows.
func (a *Authenticator) SignInState() *authdb.DB { return a.db }
