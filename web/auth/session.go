package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain/user"
	"remit/web/auth/authdb"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "remit_session"

// CSRFHeader is the header an API client sends the session's CSRF token in;
// CSRFField is the form field a server-rendered form sends it in.
const (
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf_token"
)

// csrfOf derives a session's CSRF token from its id: each session has its
// own, nothing has to be stored for it, and the token (which pages show)
// does not give the id back.
func csrfOf(sessionID string) string {
	h := sha256.Sum256([]byte("remit-csrf-v1\x00" + sessionID))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// startSession stores a new session of userID in the shared sign-in state
// and returns it.
func (a *Authenticator) startSession(ctx context.Context, u user.State) (Session, error) {
	now := a.cfg.Now()
	id := randomString(32)
	s := authdb.Session{IDHash: sha256Hex(id), UserID: u.ID, Created: now, Expires: now.Add(a.cfg.SessionTTL), LastSeen: now, Idle: a.cfg.IdleTimeout}
	if err := a.db.StartSession(ctx, s); err != nil {
		return Session{}, err
	}
	return Session{ID: id, CSRFToken: csrfOf(id), Expires: s.Expires, User: u}, nil
}

// endUserSessions ends every session of the user, on every node.
func (a *Authenticator) endUserSessions(ctx context.Context, userID uuid.UUID) error {
	_, err := a.db.EndUserSessions(ctx, userID)
	return err
}

// loginWindow is the fixed window login attempts per address are counted in.
const loginWindow = time.Minute

// Keys of the limiter's rows: hashes, so a copy of the table shows no
// address or email as such (unsalted: an address, or an email someone
// guesses, is found again by hashing candidates).
func addrKey(addr string) string   { return sha256Hex("addr\x00" + addr) }
func emailKey(email string) string { return sha256Hex("email\x00" + email) }

// allowLogin counts an attempt from addr for email (on every node) and
// reports whether it may go ahead: the address is within its limit and the
// email is not locked.
func (a *Authenticator) allowLogin(ctx context.Context, addr, email string, now time.Time) (bool, error) {
	n, err := a.db.CountAttempt(ctx, addrKey(addr), now, loginWindow)
	if err != nil || n > a.cfg.LoginsPerMinute {
		return false, err
	}
	if email == "" {
		return true, nil
	}
	until, err := a.db.LockedUntil(ctx, emailKey(email))
	if err != nil {
		return false, err
	}
	return !now.Before(until), nil
}

// loginFailed counts a failed login for email; the MaxFailures-th within
// Lockout locks it for Lockout.
func (a *Authenticator) loginFailed(ctx context.Context, email string, now time.Time) error {
	_, _, err := a.db.CountFailure(ctx, emailKey(email), now, a.cfg.MaxFailures, a.cfg.Lockout)
	return err
}

// Session is a session just started by Login.
type Session struct {
	ID        string // the cookie's value; never logged
	CSRFToken string
	Expires   time.Time
	User      user.State
}

// Login checks an email and password and starts a new session: always a
// new id, so a session id planted before login is worthless after it
// (rotation). remoteAddr is the client's address (http.Request.RemoteAddr).
// Wrong credentials get ErrUnauthenticated; too many attempts from the
// address, or MaxFailures wrong passwords for the email within Lockout, get
// ErrRateLimited — for the right password too, until the lock ends.
func (a *Authenticator) Login(ctx context.Context, email, password, remoteAddr string) (Session, error) {
	now := a.cfg.Now()
	email = user.NormalizeEmail(email)
	if ok, err := a.allowLogin(ctx, hostOf(remoteAddr), email, now); err != nil || !ok {
		return Session{}, cmpErr(err, ErrRateLimited)
	}
	bad := &authError{"The email or password is wrong."}
	u, ok, err := a.dir.user(ctx, user.IDForEmail(email))
	if err != nil {
		return Session{}, err
	}
	if !ok {
		passwordMatches(string(a.dummy), password) // same time as a real check
		return Session{}, cmpErr(a.loginFailed(ctx, email, now), bad)
	}
	if !passwordMatches(u.PasswordHash, password) || u.Disabled {
		return Session{}, cmpErr(a.loginFailed(ctx, email, now), bad)
	}
	if err := a.db.ClearFailures(ctx, emailKey(email)); err != nil {
		return Session{}, err
	}
	return a.startSession(ctx, u)
}

// RefuseLogin counts a sign-in attempt that was refused before its
// credentials could be read (a malformed or oversized body) against the
// address's limit, like any other attempt, so malformed requests cannot be
// sent without limit. It returns ErrRateLimited once the address is over
// its limit, else nil.
func (a *Authenticator) RefuseLogin(ctx context.Context, remoteAddr string) error {
	if ok, err := a.allowLogin(ctx, hostOf(remoteAddr), "", a.cfg.Now()); err != nil || !ok {
		return cmpErr(err, ErrRateLimited)
	}
	return nil
}

// Logout ends the session r carries, if any, on every node.
func (a *Authenticator) Logout(r *http.Request) error {
	if c, err := r.Cookie(SessionCookie); err == nil {
		return a.db.EndSession(r.Context(), sha256Hex(c.Value))
	}
	return nil
}

// SetSessionCookie puts the session in the response: HttpOnly, SameSite
// Lax (links from emails still open the UI signed in; cross-site forms do
// not carry it), Path /, Secure when r came over TLS or Config says so.
func (a *Authenticator) SetSessionCookie(w http.ResponseWriter, r *http.Request, s Session) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: s.ID, Path: "/", Expires: s.Expires,
		HttpOnly: true, Secure: a.cfg.SecureCookies || r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}

// ClearSessionCookie removes the session cookie from the browser.
func (a *Authenticator) ClearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: a.cfg.SecureCookies || r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}

// CheckCSRF checks the CSRF token of an unsafe request sent with a session
// cookie: the X-CSRF-Token header, or the csrf_token field of a form. The
// token is the session's own, so one stolen from another session is
// refused. Requests with an API token need none (a browser never adds an
// Authorization header by itself). Safe methods need none.
func CheckCSRF(r *http.Request, p Principal) bool {
	if !p.ViaSession() || isSafe(r.Method) {
		return true
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" && isForm(r) {
		got = r.PostFormValue(CSRFField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(p.CSRFToken)) == 1
}

func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data")
}

// cmpErr is err when there is one, else otherwise.
func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

func hostOf(remoteAddr string) string {
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return h
	}
	return remoteAddr
}
