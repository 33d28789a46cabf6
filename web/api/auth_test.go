package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/crypto/bcrypt"

	"remit/billing"
	"remit/domain/user"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/projections"
	"remit/web/api"
	"remit/web/auth"
	"remit/web/auth/authdb"
)

// clock is a test clock the tests move.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// secured is the real program with authentication on: owner, staff and
// auditor users, and API tokens of each scope.
type secured struct {
	tb     testing.TB
	store  *sqlite.Store
	server *api.Server
	authn  *auth.Authenticator
	clock  *clock
	hc     *http.Client
	users  map[user.Role]string // role -> email
}

const password = "correct horse battery"

func newSecured(tb testing.TB) *secured {
	tb.Helper()
	return newSecuredOn(tb, nil)
}

// newSecuredOn is newSecured with its sign-in state in db (nil: the
// Authenticator's own).
func newSecuredOn(tb testing.TB, db *authdb.DB) *secured {
	tb.Helper()
	st, err := sqlite.Open(tb.TempDir(), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	c := &clock{t: now}
	authn, err := auth.New(auth.Config{Store: st, Now: c.Now, BcryptCost: bcrypt.MinCost, DB: db})
	if err != nil {
		tb.Fatal(err)
	}
	svc := billing.New(billing.Config{Store: st, Now: c.Now})
	models := projections.NewModels(mustReadModels(tb))
	runner, err := projections.NewRunner(context.Background(), st, models, projections.RunnerOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	if err := runner.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	srv := api.NewServer(api.Config{Addr: "127.0.0.1:0", Store: st, Billing: svc, Models: models, Runner: runner, Now: c.Now, Auth: authn})
	if err := srv.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		srv.Close()
		runner.Close()
		st.Close()
	})
	s := &secured{tb: tb, store: st, server: srv, authn: authn, clock: c, hc: &http.Client{Timeout: 30 * time.Second}, users: map[user.Role]string{}}
	for _, r := range user.Roles() {
		email := string(r) + "@firm.example"
		if _, err := authn.AddUser(context.Background(), auth.NewUser{Email: email, Name: string(r), Role: r, Password: password}, "test"); err != nil {
			tb.Fatal(err)
		}
		s.users[r] = email
	}
	return s
}

// creds is how a request proves who sent it.
type creds struct {
	name   string
	cookie *http.Cookie
	csrf   string
	bearer string
}

func (s *secured) login(role user.Role) creds {
	s.tb.Helper()
	r := s.send(creds{}, http.MethodPost, "/api/login", `{"email":"`+s.users[role]+`","password":"`+password+`"}`)
	if r.status != http.StatusOK {
		s.tb.Fatalf("login as %s: %d %s", role, r.status, r.body)
	}
	var v api.SessionView
	if err := json.Unmarshal(r.body, &v); err != nil {
		s.tb.Fatal(err)
	}
	for _, c := range r.cookies {
		if c.Name == auth.SessionCookie {
			return creds{name: string(role) + " session", cookie: c, csrf: v.CSRFToken}
		}
	}
	s.tb.Fatalf("login as %s set no session cookie", role)
	return creds{}
}

func (s *secured) token(role user.Role, scope user.Scope) creds {
	s.tb.Helper()
	u, err := s.authn.User(context.Background(), user.IDForEmail(s.users[role]))
	if err != nil {
		s.tb.Fatal(err)
	}
	nt, err := s.authn.CreateToken(context.Background(), u.ID, "test", scope, nil, "test")
	if err != nil {
		s.tb.Fatal(err)
	}
	return creds{name: string(role) + " " + string(scope) + " token", bearer: nt.Token}
}

type answer struct {
	status  int
	body    []byte
	header  http.Header
	cookies []*http.Cookie
}

func (s *secured) send(c creds, method, path, body string, headers ...string) answer {
	s.tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.server.URL()+path, rd)
	if err != nil {
		s.tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cookie != nil {
		req.AddCookie(c.cookie)
		if c.csrf != "" {
			req.Header.Set(auth.CSRFHeader, c.csrf)
		}
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		s.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: b, header: resp.Header, cookies: resp.Cookies()}
}

func (s *secured) head() uint64 {
	s.tb.Helper()
	h, err := s.store.Head(context.Background())
	if err != nil {
		s.tb.Fatal(err)
	}
	return h
}

func (s *secured) setUpFirm(c creds) {
	s.tb.Helper()
	r := s.send(c, http.MethodPost, "/api/firm", `{"name":"Ledger & Co","base_currency":"AUD","time_zone":"Australia/Sydney"}`)
	if r.status != http.StatusCreated {
		s.tb.Fatalf("set up firm: %d %s", r.status, r.body)
	}
}

// route is one method of one route of the router.
type route struct{ method, template, path string }

var pathVar = regexp.MustCompile(`\{([a-z_]+)\}`)

func routes(tb testing.TB, r *mux.Router) []route {
	tb.Helper()
	var out []route
	err := r.Walk(func(rt *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := rt.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := rt.GetMethods()
		if err != nil {
			return nil
		}
		path := pathVar.ReplaceAllStringFunc(tpl, func(v string) string {
			if v == "{seq}" {
				return "1"
			}
			return "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
		})
		for _, m := range methods {
			out = append(out, route{method: m, template: tpl, path: path})
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(out) < 50 {
		tb.Fatalf("the router has only %d routes", len(out))
	}
	return out
}

// TestAccessMatrix sends every route of the API with every kind of
// credentials and checks who gets in: anonymous callers get 401 but on
// public routes; auditors and read-only tokens get 403 on every command and
// nothing is appended; staff get every command but the firm's settings;
// tokens cannot make tokens; owners get everything.
func TestAccessMatrix(t *testing.T) {
	s := newSecured(t)
	owner := s.login(user.RoleOwner)
	s.setUpFirm(owner)
	// ownerOnly: the firm's settings, erasing a client, and users (even
	// listing them).
	ownerOnly := func(rt route) bool {
		if strings.HasPrefix(rt.template, "/api/users") {
			return true
		}
		return rt.method != http.MethodGet && (strings.HasPrefix(rt.template, "/api/firm") || rt.template == "/api/clients/{id}/forget")
	}
	// Public routes: the API's description, the payment gateway's signed
	// webhook (its signature, not a session, is what it is checked by), and
	// the orchestrator's health and readiness probes.
	public := func(rt route) bool {
		return rt.template == "/api/openapi.json" || rt.template == api.StripeWebhookPath || rt.template == api.SandboxWebhookPath ||
			rt.template == "/healthz" || rt.template == "/readyz"
	}
	principals := []struct {
		c     creds
		allow func(rt route) bool // may it pass the access check?
	}{
		{creds{name: "anonymous"}, public},
		{owner, func(route) bool { return true }},
		{s.login(user.RoleStaff), func(rt route) bool { return !ownerOnly(rt) }},
		{s.login(user.RoleAuditor), func(rt route) bool { return public(rt) || rt.method == http.MethodGet && !ownerOnly(rt) }},
		{s.token(user.RoleStaff, user.ScopeRead), func(rt route) bool { return public(rt) || rt.method == http.MethodGet && !ownerOnly(rt) }},
		{s.token(user.RoleAuditor, user.ScopeRead), func(rt route) bool { return public(rt) || rt.method == http.MethodGet && !ownerOnly(rt) }},
		{s.token(user.RoleStaff, user.ScopeWrite), func(rt route) bool {
			return !ownerOnly(rt) && (rt.method == http.MethodGet || !strings.HasPrefix(rt.template, "/api/tokens"))
		}},
		{s.token(user.RoleOwner, user.ScopeWrite), func(rt route) bool {
			return rt.method == http.MethodGet || !strings.HasPrefix(rt.template, "/api/tokens")
		}},
	}
	for _, rt := range routes(t, s.server.Router()) {
		if rt.template == "/api/login" || rt.template == "/api/logout" {
			continue // tested on their own: they start and end sessions
		}
		for _, p := range principals {
			body := ""
			if rt.method != http.MethodGet {
				body = "{}"
			}
			before := s.head()
			r := s.send(p.c, rt.method, rt.path, body)
			denied := r.status == http.StatusUnauthorized || r.status == http.StatusForbidden
			switch {
			case p.allow(rt) && denied:
				t.Errorf("%s %s as %s: %d, want it let through: %s", rt.method, rt.template, p.c.name, r.status, r.body)
			case !p.allow(rt) && p.c.name == "anonymous" && r.status != http.StatusUnauthorized:
				t.Errorf("%s %s anonymous: %d, want 401", rt.method, rt.template, r.status)
			case !p.allow(rt) && p.c.name != "anonymous" && r.status != http.StatusForbidden:
				t.Errorf("%s %s as %s: %d, want 403: %s", rt.method, rt.template, p.c.name, r.status, r.body)
			}
			if !p.allow(rt) {
				if after := s.head(); after != before {
					t.Errorf("%s %s as %s was refused but appended (head %d -> %d)", rt.method, rt.template, p.c.name, before, after)
				}
				if r.header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%s %s as %s: refused without a problem body", rt.method, rt.template, p.c.name)
				}
			}
		}
	}
}

func TestCSRF(t *testing.T) {
	s := newSecured(t)
	owner := s.login(user.RoleOwner)
	s.setUpFirm(owner)
	staff := s.login(user.RoleStaff)
	body := `{"name":"Harbour Cafe","kind":"business","contacts":[{"name":"Ana","email":"ana@example.com"}]}`
	cases := []struct {
		name string
		c    creds
		want int
	}{
		{"ErrMissing", creds{name: "no csrf", cookie: staff.cookie}, http.StatusForbidden},
		{"ErrWrong", creds{name: "wrong", cookie: staff.cookie, csrf: "not-the-token"}, http.StatusForbidden},
		{"ErrOtherSessions", creds{name: "owner's", cookie: staff.cookie, csrf: owner.csrf}, http.StatusForbidden},
		{"OK", staff, http.StatusCreated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := s.head()
			r := s.send(tc.c, http.MethodPost, "/api/clients", body)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.body)
			}
			if tc.want == http.StatusForbidden && s.head() != before {
				t.Error("a request refused for CSRF appended events")
			}
		})
	}
	t.Run("FormField", func(t *testing.T) {
		for _, tc := range []struct {
			token string
			ok    bool
		}{{staff.csrf, true}, {"forged", false}} {
			form := url.Values{auth.CSRFField: {tc.token}}.Encode()
			req, _ := http.NewRequest(http.MethodPost, s.server.URL()+"/api/clients", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(staff.cookie)
			resp, err := s.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if (resp.StatusCode != http.StatusForbidden) != tc.ok {
				t.Errorf("form with csrf_token %q: %d", tc.token, resp.StatusCode)
			}
		}
	})
	t.Run("TokensNeedNone", func(t *testing.T) {
		r := s.send(s.token(user.RoleStaff, user.ScopeWrite), http.MethodPost, "/api/clients", `{"name":"Tide Bar","kind":"business","contacts":[{"name":"Ben","email":"ben@example.com"}]}`)
		if r.status != http.StatusCreated {
			t.Errorf("write token without CSRF: %d %s", r.status, r.body)
		}
	})
}

func TestActorIsTheUserOrToken(t *testing.T) {
	s := newSecured(t)
	owner := s.login(user.RoleOwner)
	s.setUpFirm(owner)
	tok := s.token(user.RoleStaff, user.ScopeWrite)
	r := s.send(tok, http.MethodPost, "/api/clients", `{"name":"Tide Bar","kind":"business","contacts":[{"name":"Ben","email":"ben@example.com"}]}`, "X-Remit-Actor", "someone-else")
	if r.status != http.StatusCreated {
		t.Fatalf("create client: %d %s", r.status, r.body)
	}
	var session api.SessionView
	if err := json.Unmarshal(s.send(tok, http.MethodGet, "/api/session", "").body, &session); err != nil {
		t.Fatal(err)
	}
	recs, err := s.store.ReadAll(context.Background(), 0, eventstore.Forward, 0, eventstore.Filter{StreamPrefixes: []string{"firm", "client-"}})
	if err != nil {
		t.Fatal(err)
	}
	ownerActor := "user:" + user.IDForEmail(s.users[user.RoleOwner]).String()
	if !strings.HasPrefix(session.Actor, "token:") {
		t.Fatalf("GET /api/session with a token names actor %q", session.Actor)
	}
	for _, rec := range recs {
		want := ownerActor
		if strings.HasPrefix(rec.Stream, "client-") {
			want = session.Actor
		}
		if rec.Metadata.Actor != want {
			t.Errorf("%s %s: actor %q, want %q", rec.Stream, rec.Type, rec.Metadata.Actor, want)
		}
	}
}

func TestLoginSessionsAndLockout(t *testing.T) {
	s := newSecured(t)
	staff := s.login(user.RoleStaff)
	if c := staff.cookie; !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/" {
		t.Errorf("session cookie over plain HTTP: %+v (want HttpOnly, SameSite=Lax, not Secure)", c)
	}
	if r := s.send(staff, http.MethodGet, "/api/session", ""); r.status != http.StatusOK || !bytes.Contains(r.body, []byte(staff.csrf)) {
		t.Errorf("GET /api/session: %d %s", r.status, r.body)
	}

	t.Run("Rotation", func(t *testing.T) {
		old := s.login(user.RoleStaff)
		r := s.send(creds{cookie: old.cookie}, http.MethodPost, "/api/login", `{"email":"`+s.users[user.RoleStaff]+`","password":"`+password+`"}`)
		if r.status != http.StatusOK {
			t.Fatalf("login again: %d", r.status)
		}
		for _, c := range r.cookies {
			if c.Name == auth.SessionCookie && c.Value == old.cookie.Value {
				t.Error("login kept the session id")
			}
		}
		if r := s.send(old, http.MethodGet, "/api/session", ""); r.status != http.StatusUnauthorized {
			t.Errorf("the session before login still works: %d", r.status)
		}
	})
	t.Run("Logout", func(t *testing.T) {
		c := s.login(user.RoleStaff)
		if r := s.send(c, http.MethodPost, "/api/logout", ""); r.status != http.StatusOK {
			t.Fatalf("logout: %d %s", r.status, r.body)
		}
		if r := s.send(c, http.MethodGet, "/api/clients", ""); r.status != http.StatusUnauthorized {
			t.Errorf("after logout: %d, want 401", r.status)
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		c := s.login(user.RoleStaff)
		s.clock.Add(auth.DefaultIdleTimeout + time.Second)
		if r := s.send(c, http.MethodGet, "/api/clients", ""); r.status != http.StatusUnauthorized {
			t.Errorf("an idle session: %d, want 401", r.status)
		}
	})
	t.Run("Lockout", func(t *testing.T) {
		email := s.users[user.RoleAuditor]
		login := func(pw string) int {
			return s.send(creds{}, http.MethodPost, "/api/login", `{"email":"`+email+`","password":"`+pw+`"}`).status
		}
		for i := range auth.DefaultMaxFailures {
			if st := login("wrong password!"); st != http.StatusUnauthorized {
				t.Fatalf("wrong password #%d: %d, want 401", i+1, st)
			}
		}
		if st := login(password); st != http.StatusTooManyRequests {
			t.Errorf("the right password while locked out: %d, want 429", st)
		}
		s.clock.Add(auth.DefaultLockout + time.Second)
		if st := login(password); st != http.StatusOK {
			t.Errorf("the right password after the lockout: %d, want 200", st)
		}
	})
	t.Run("ErrCrossSiteLogin", func(t *testing.T) {
		r := s.send(creds{}, http.MethodPost, "/api/login", `{"email":"`+s.users[user.RoleStaff]+`","password":"`+password+`"}`, "Origin", "https://evil.example")
		if r.status != http.StatusForbidden {
			t.Errorf("login from another origin: %d, want 403", r.status)
		}
	})
}

func TestAPITokens(t *testing.T) {
	s := newSecured(t)
	staff := s.login(user.RoleStaff)
	r := s.send(staff, http.MethodPost, "/api/tokens", `{"name":"reconcile","scope":"read"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create token: %d %s", r.status, r.body)
	}
	var nt api.NewTokenView
	if err := json.Unmarshal(r.body, &nt); err != nil {
		t.Fatal(err)
	}
	tok := creds{name: "new token", bearer: nt.Token}
	if r := s.send(tok, http.MethodGet, "/api/clients", ""); r.status != http.StatusOK {
		t.Fatalf("GET with the token: %d %s", r.status, r.body)
	}
	list := s.send(staff, http.MethodGet, "/api/tokens", "")
	if bytes.Contains(list.body, []byte(nt.Token[len(nt.Token)-20:])) {
		t.Error("the token list shows the secret")
	}
	raw, _ := s.store.ReadAll(context.Background(), 0, eventstore.Forward, 0, eventstore.Filter{})
	for _, rec := range raw {
		if bytes.Contains(rec.Data, []byte(nt.Token[len(nt.Token)-20:])) || bytes.Contains(rec.Data, []byte(password)) {
			t.Errorf("%s holds a secret in clear", rec.Type)
		}
	}
	tampered := nt.Token[:len(nt.Token)-1] + "A"
	if nt.Token[len(nt.Token)-1] == 'A' {
		tampered = nt.Token[:len(nt.Token)-1] + "B"
	}
	if r := s.send(creds{bearer: tampered}, http.MethodGet, "/api/clients", ""); r.status != http.StatusUnauthorized {
		t.Errorf("tampered token: %d, want 401", r.status)
	}
	if r := s.send(staff, http.MethodDelete, "/api/tokens/"+nt.ID.String(), ""); r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := s.send(tok, http.MethodGet, "/api/clients", ""); r.status != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", r.status)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	s := newSecured(t)
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/api/openapi.json"}, {http.MethodGet, "/api/clients"}, {http.MethodGet, "/nowhere"}, {http.MethodPut, "/api/login"},
	} {
		r := s.send(creds{}, tc.method, tc.path, "")
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s %s (%d): CSP %q", tc.method, tc.path, r.status, csp)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") == "" {
			t.Errorf("%s %s: headers %v", tc.method, tc.path, r.header)
		}
	}
}

// TestNoCardNumberReachesTheStore sends card numbers in every place a
// person could type one; each is refused, and at the end no card number is
// anywhere in the log.
func TestNoCardNumberReachesTheStore(t *testing.T) {
	s := newSecured(t)
	owner := s.login(user.RoleOwner)
	s.setUpFirm(owner)
	for _, body := range []string{
		`{"name":"4111 1111 1111 1111","kind":"business","contacts":[{"name":"Ana"}]}`,
		`{"name":"Cafe","kind":"business","contacts":[{"name":"Ana","phone":"4242-4242-4242-4242"}]}`,
		`{"name":"Cafe","kind":"business","tax_number":"5555555555554444","contacts":[{"name":"Ana"}]}`,
		`{"name":"Cafe","kind":"business","contacts":[{"name":"Ana","role":"card 378282246310005 exp 12/30"}]}`,
	} {
		before := s.head()
		if r := s.send(owner, http.MethodPost, "/api/clients", body); r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", body, r.status)
		}
		if s.head() != before {
			t.Errorf("%s was appended", body)
		}
	}
	// The ordinary flow still works (a phone number, a tax number, ids).
	if r := s.send(owner, http.MethodPost, "/api/clients", `{"name":"Cafe","kind":"business","tax_number":"51 824 753 556","contacts":[{"name":"Ana","email":"ana@example.com","phone":"+61 2 9000 0000"}]}`); r.status != http.StatusCreated {
		t.Fatalf("a client without card numbers: %d %s", r.status, r.body)
	}
	recs, err := s.store.ReadAll(context.Background(), 0, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		for _, pan := range []string{"4111 1111 1111 1111", "4242-4242-4242-4242", "5555555555554444", "378282246310005"} {
			if bytes.Contains(rec.Data, []byte(pan)) {
				t.Errorf("%s@%d holds a card number: %s", rec.Stream, rec.Revision, rec.Data)
			}
		}
	}
}
