package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"remit/domain"
	"remit/domain/user"
	"remit/web/auth"
)

// Sign-in, sessions and API tokens (package auth does the work). With
// Config.Auth nil the server runs as before: no authentication, the actor
// from X-Remit-Actor, and these routes answer 404.

// LoginRequest is the body of POST /api/login (also accepted as a form).
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// UserView is a user as the API shows them (never their password hash).
type UserView struct {
	ID    ID     `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
}

// SessionView answers login and GET /api/session: who is signed in and the
// CSRF token to send with every unsafe request of the session.
type SessionView struct {
	User      UserView `json:"user"`
	CSRFToken string   `json:"csrf_token,omitempty"`
	TokenID   ID       `json:"token_id,omitzero"`
	Scope     string   `json:"scope,omitempty"`
	Actor     string   `json:"actor"`
}

// SignedOut answers POST /api/logout.
type SignedOut struct {
	SignedOut bool `json:"signed_out"`
}

// TokenRequest is the body of POST /api/tokens.
type TokenRequest struct {
	Name      string     `json:"name"`
	Scope     user.Scope `json:"scope"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// TokenView is an API token as listed (never its secret or hash).
type TokenView struct {
	ID        ID     `json:"id"`
	Name      string `json:"name"`
	Scope     string `json:"scope"`
	CreatedAt Time   `json:"created_at"`
	ExpiresAt *Time  `json:"expires_at,omitempty"`
	Revoked   bool   `json:"revoked"`
}

// NewTokenView answers POST /api/tokens: the token, shown this once.
type NewTokenView struct {
	TokenView
	Token string `json:"token"`
}

func (s *Server) registerAuthRoutes(r *mux.Router) {
	r.HandleFunc("/api/login", s.handleLogin).Methods(http.MethodPost)
	r.HandleFunc("/api/logout", s.handleLogout).Methods(http.MethodPost)
	r.HandleFunc("/api/session", s.handleSessionView).Methods(http.MethodGet)
	r.HandleFunc("/api/tokens", s.handleTokenList).Methods(http.MethodGet)
	r.HandleFunc("/api/tokens", s.handleTokenCreate).Methods(http.MethodPost)
	r.HandleFunc("/api/tokens/{id}", s.handleTokenRevoke).Methods(http.MethodDelete)
}

// routeAccess is the access policy of every route: public, read (GETs),
// owner-only (the firm's settings), session-only writes (tokens), and
// write (every other command).
func routeAccess(r *http.Request) auth.Access {
	tpl := ""
	if route := mux.CurrentRoute(r); route != nil {
		tpl, _ = route.GetPathTemplate()
	}
	switch {
	case !strings.HasPrefix(r.URL.Path, "/api/"):
		return auth.Public // the UI (Config.UI) signs people in itself, route by route
	case tpl == "/api/openapi.json" || tpl == "/api/login" || tpl == StripeWebhookPath || tpl == SandboxWebhookPath:
		return auth.Public // a webhook is signed by the gateway, not by a user
	case strings.HasPrefix(tpl, "/api/users"):
		return auth.OwnerOnly // reads too: the list of who works at the firm
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		return auth.Read
	case tpl == "/api/logout":
		return auth.Read
	case strings.HasPrefix(tpl, "/api/tokens"):
		return auth.SessionWrite
	case tpl == "/api/firm" || strings.HasPrefix(tpl, "/api/firm/"):
		return auth.OwnerOnly
	case tpl == "/api/clients/{id}/forget":
		return auth.OwnerOnly
	}
	return auth.Write
}

// guard runs before every routed handler: with Config.Auth set, it
// authenticates and authorises the request. (Card numbers are refused where
// every command passes, decoded, field by field: domain.CheckText in
// billing.Handle.)
func (s *Server) guard(next http.Handler) http.Handler {
	if s.cfg.Auth == nil {
		return next
	}
	return s.cfg.Auth.Middleware(routeAccess, s.deny)(next)
}

// deny answers a request the middleware refused: 401 without valid
// credentials, 429 for too many logins, else the error's own status (403),
// each with the header that tells the client what to do.
func (s *Server) deny(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		w.Header().Set("WWW-Authenticate", `Bearer realm="remit"`)
	case errors.Is(err, auth.ErrRateLimited):
		w.Header().Set("Retry-After", "60")
	}
	s.Error(w, r, err)
}

func (s *Server) authOff(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Auth == nil {
		s.Error(w, r, domain.NotFound("Authentication is not configured on this server."))
		return true
	}
	return false
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.authOff(w, r) {
		return
	}
	// Login CSRF: a browser sends Origin on a cross-site POST; refuse one
	// from another site, so nobody can sign a victim in as themselves.
	if !auth.SameOrigin(r) {
		s.Error(w, r, domain.Forbidden("Sign in from Remit's own pages."))
		return
	}
	req, err := readLogin(w, r)
	if err != nil {
		// A body that is not a sign-in counts as an attempt all the same.
		if rerr := s.cfg.Auth.RefuseLogin(r.Context(), r.RemoteAddr); rerr != nil {
			s.deny(w, r, rerr)
			return
		}
		s.Error(w, r, err)
		return
	}
	// Rotation: whatever session the browser had ends here; the new one has
	// a fresh id.
	s.cfg.Auth.Logout(r)
	sess, err := s.cfg.Auth.Login(r.Context(), req.Email, req.Password, r.RemoteAddr)
	if err != nil {
		s.deny(w, r, err)
		return
	}
	s.cfg.Auth.SetSessionCookie(w, r, sess)
	w.Header().Set("Cache-Control", "no-store")
	u := sess.User
	s.writeJSON(w, r, http.StatusOK, SessionView{
		User: userView(u), CSRFToken: sess.CSRFToken, Actor: "user:" + u.ID.String(),
	})
}

// MaxLoginBodyBytes bounds the body of POST /api/login: an email and a
// password fit in far less. A bigger body is refused (413) before it is
// read further.
const MaxLoginBodyBytes = 4 << 10

// readLogin reads the credentials of a sign-in, as JSON or as a form, from
// a body of at most MaxLoginBodyBytes.
func readLogin(w http.ResponseWriter, r *http.Request) (LoginRequest, error) {
	var req LoginRequest
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, MaxLoginBodyBytes)
	}
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return req, &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("The request body is larger than %d bytes.", mbe.Limit)}
			}
			return req, malformed(domain.Invalid("", "the form could not be read"))
		}
		req.Email, req.Password = r.PostFormValue("email"), r.PostFormValue("password")
		return req, nil
	}
	raw, err := readBody(r)
	if err != nil {
		return req, err
	}
	return req, decodeJSON(raw, &req, "email", "password")
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if s.authOff(w, r) {
		return
	}
	// Not answered as signed out unless the session ended: its cookie
	// would still get in.
	if err := s.cfg.Auth.Logout(r); err != nil {
		s.Error(w, r, err)
		return
	}
	s.cfg.Auth.ClearSessionCookie(w, r)
	s.writeJSON(w, r, http.StatusOK, SignedOut{SignedOut: true})
}

func (s *Server) principal(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	if s.authOff(w, r) {
		return auth.Principal{}, false
	}
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		s.deny(w, r, auth.ErrUnauthenticated)
	}
	return p, ok
}

func (s *Server) handleSessionView(w http.ResponseWriter, r *http.Request) {
	p, ok := s.principal(w, r)
	if !ok {
		return
	}
	u, err := s.cfg.Auth.User(r.Context(), p.UserID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, http.StatusOK, SessionView{
		User: userView(u), CSRFToken: p.CSRFToken, TokenID: ID(p.TokenID), Scope: string(p.Scope), Actor: p.Actor(),
	})
}

func (s *Server) handleTokenList(w http.ResponseWriter, r *http.Request) {
	p, ok := s.principal(w, r)
	if !ok {
		return
	}
	u, err := s.cfg.Auth.User(r.Context(), p.UserID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	items := []TokenView{}
	for _, t := range u.Tokens {
		items = append(items, tokenView(t))
	}
	sortTokens(items)
	writeTable(s, w, r, "tokens", items, List[TokenView]{Items: items, Total: len(items), Limit: len(items)})
}

func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) {
	p, ok := s.principal(w, r)
	if !ok {
		return
	}
	raw, err := readBody(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var req TokenRequest
	if err := decodeJSON(raw, &req, "name", "scope"); err != nil {
		s.Error(w, r, err)
		return
	}
	nt, err := s.cfg.Auth.CreateToken(r.Context(), p.UserID, req.Name, req.Scope, req.ExpiresAt, p.Actor())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	u, err := s.cfg.Auth.User(r.Context(), p.UserID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", "/api/tokens/"+nt.ID.String())
	s.writeJSON(w, r, http.StatusCreated, NewTokenView{TokenView: tokenView(u.Tokens[nt.ID]), Token: nt.Token})
}

func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request) {
	p, ok := s.principal(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "API token")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.cfg.Auth.RevokeToken(r.Context(), p, id); err != nil {
		s.Error(w, r, err)
		return
	}
	u, err := s.cfg.Auth.User(r.Context(), p.UserID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	t, ok := u.Tokens[id]
	if !ok { // an owner revoked another user's token
		t = user.Token{ID: id, Revoked: true}
	}
	s.writeJSON(w, r, http.StatusOK, tokenView(t))
}

func tokenView(t user.Token) TokenView {
	return TokenView{ID: ID(t.ID), Name: t.Name, Scope: string(t.Scope), CreatedAt: Time(t.CreatedAt),
		ExpiresAt: wirePtr(t.ExpiresAt, func(t time.Time) Time { return Time(t) }), Revoked: t.Revoked}
}

// userView converts a user to who is signed in.
func userView(u user.State) UserView {
	return UserView{ID: ID(u.ID), Email: u.Email, Name: u.Name, Role: string(u.Role)}
}

func sortTokens(ts []TokenView) {
	slices.SortFunc(ts, func(a, b TokenView) int {
		if c := time.Time(a.CreatedAt).Compare(time.Time(b.CreatedAt)); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
}
