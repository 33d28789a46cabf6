package auth

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"remit/domain/user"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "remit_session"

// CSRFHeader is the header an API client sends the session's CSRF token in;
// CSRFField is the form field a server-rendered form sends it in.
const (
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf_token"
)

// session is one signed-in user's session, kept server-side by the hash of
// its id: a copy of the session table does not let anyone sign in.
type session struct {
	userID   uuid.UUID
	csrf     string
	expires  time.Time
	lastSeen time.Time
}

type sessionStore struct {
	mu   sync.Mutex
	byID map[string]*session // sha256 hex of the session id -> session
}

func newSessionStore() *sessionStore { return &sessionStore{byID: map[string]*session{}} }

func (s *sessionStore) start(userID uuid.UUID, now time.Time, ttl time.Duration) (id string, sess session) {
	id = randomString(32)
	sess = session{userID: userID, csrf: randomString(32), expires: now.Add(ttl), lastSeen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Sweep the expired ones here, so the table never grows without bound.
	for k, v := range s.byID {
		if !now.Before(v.expires) {
			delete(s.byID, k)
		}
	}
	s.byID[sha256Hex(id)] = &sess
	return id, sess
}

func (s *sessionStore) get(id string, now time.Time, idle time.Duration) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := sha256Hex(id)
	v, ok := s.byID[k]
	if !ok {
		return session{}, false
	}
	if !now.Before(v.expires) || !now.Before(v.lastSeen.Add(idle)) {
		delete(s.byID, k)
		return session{}, false
	}
	v.lastSeen = now
	return *v, true
}

func (s *sessionStore) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, sha256Hex(id))
}

func (s *sessionStore) endUser(userID uuid.UUID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.byID {
		if v.userID == userID {
			delete(s.byID, k)
		}
	}
}

// loginLimiter counts login attempts per client address (a fixed one-minute
// window) and failures per email (locked for a while after too many).
type loginLimiter struct {
	mu       sync.Mutex
	perAddr  map[string]*window
	failures map[string]*lockout
}

type window struct {
	start time.Time
	n     int
}

type lockout struct {
	first  time.Time // the first failure of the current run
	n      int
	locked time.Time // locked until then
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{perAddr: map[string]*window{}, failures: map[string]*lockout{}}
}

// allow counts an attempt from addr for email and reports whether it may go
// ahead.
func (l *loginLimiter) allow(addr, email string, now time.Time, perMinute int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.perAddr[addr]
	if w == nil || now.Sub(w.start) >= time.Minute {
		w = &window{start: now}
		l.perAddr[addr] = w
	}
	w.n++
	if w.n > perMinute {
		return false
	}
	if f := l.failures[email]; f != nil && now.Before(f.locked) {
		return false
	}
	return true
}

func (l *loginLimiter) failed(email string, now time.Time, max int, lock time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.failures[email]
	if f == nil || now.Sub(f.first) >= lock {
		f = &lockout{first: now}
		l.failures[email] = f
	}
	f.n++
	if f.n >= max {
		f.locked = now.Add(lock)
		f.n, f.first = 0, now
	}
}

func (l *loginLimiter) succeeded(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, email)
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
	if !a.limiter.allow(hostOf(remoteAddr), email, now, a.cfg.LoginsPerMinute) {
		return Session{}, ErrRateLimited
	}
	bad := &authError{"The email or password is wrong."}
	u, ok, err := a.dir.user(ctx, user.IDForEmail(email))
	if err != nil {
		return Session{}, err
	}
	if !ok {
		passwordMatches(string(a.dummy), password) // same time as a real check
		a.limiter.failed(email, now, a.cfg.MaxFailures, a.cfg.Lockout)
		return Session{}, bad
	}
	if !passwordMatches(u.PasswordHash, password) || u.Disabled {
		a.limiter.failed(email, now, a.cfg.MaxFailures, a.cfg.Lockout)
		return Session{}, bad
	}
	a.limiter.succeeded(email)
	id, s := a.sessions.start(u.ID, now, a.cfg.SessionTTL)
	return Session{ID: id, CSRFToken: s.csrf, Expires: s.expires, User: u}, nil
}

// RefuseLogin counts a sign-in attempt that was refused before its
// credentials could be read (a malformed or oversized body) against the
// address's limit, like any other attempt, so malformed requests cannot be
// sent without limit. It returns ErrRateLimited once the address is over
// its limit, else nil.
func (a *Authenticator) RefuseLogin(remoteAddr string) error {
	if !a.limiter.allow(hostOf(remoteAddr), "", a.cfg.Now(), a.cfg.LoginsPerMinute) {
		return ErrRateLimited
	}
	return nil
}

// Logout ends the session r carries, if any.
func (a *Authenticator) Logout(r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		a.sessions.end(c.Value)
	}
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

func hostOf(remoteAddr string) string {
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return h
	}
	return remoteAddr
}
