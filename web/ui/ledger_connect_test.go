package ui_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"golang.org/x/crypto/bcrypt"

	"remit/billing"
	"remit/domain/user"
	"remit/eventstore"
	"remit/integrations/accounting"
	"remit/integrations/accounting/qbo/qbotest"
	"remit/integrations/accounting/xero"
	"remit/integrations/accounting/xero/xerotest"
	"remit/processes/ledgersync"
	"remit/web/auth"
	"remit/web/ui"
)

// connectApp is the UI behind the real sign-in (Config.Auth), with connecting a
// ledger from the UI pointed at the Xero and QBO test servers.
type connectApp struct {
	*app
	url     string // also the public URL
	dataDir string
	authn   *auth.Authenticator
	later   atomic.Int64 // how far the UI's clock is moved on (nanoseconds)
}

func newConnectApp(t *testing.T, xs *xerotest.Server, qs *qbotest.Server) *connectApp {
	t.Helper()
	a := newApp(t)
	authn, err := auth.New(auth.Config{Store: a.store, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, u := range []auth.NewUser{
		{Email: "owner@firm.example", Role: user.RoleOwner, Password: "owner-password-1"},
		{Email: "partner@firm.example", Role: user.RoleOwner, Password: "partner-password-1"},
		{Email: "staff@firm.example", Role: user.RoleStaff, Password: "staff-password-1"},
		{Email: "audit@firm.example", Role: user.RoleAuditor, Password: "audit-password-1"},
	} {
		if _, err := authn.AddUser(ctx, u, "test"); err != nil {
			t.Fatal(err)
		}
	}
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	c := &connectApp{app: a, url: srv.URL, dataDir: t.TempDir(), authn: authn}
	o := &ui.LedgerOAuth{DataDir: c.dataDir, PublicURL: srv.URL + "/"}
	if xs != nil {
		o.Xero = ui.OAuthEndpoints{AuthURL: xs.AuthURL, TokenURL: xs.TokenURL, ConnectionsURL: xs.ConnectionsURL, APIBaseURL: xs.URL}
	}
	if qs != nil {
		o.QBO = ui.OAuthEndpoints{AuthURL: qs.AuthURL, TokenURL: qs.TokenURL}
	}
	clock := func() time.Time { return now.Add(time.Duration(c.later.Load())) }
	h = ui.New(ui.Config{Billing: a.svc, Models: a.models, Runner: a.runner, Store: a.store, Now: clock, LedgerOAuth: o, Logger: slog.New(slog.NewTextHandler(logWriter{t}, nil)), Auth: authn,
		CSRFToken: func(r *http.Request) string { p, _ := auth.PrincipalFrom(r.Context()); return p.CSRFToken },
		Actor:     func(r *http.Request) string { p, _ := auth.PrincipalFrom(r.Context()); return p.Actor() },
	})
	return c
}

// browser signs in and returns the browser (a cookie jar, redirects not
// followed) with its session's CSRF token.
func (c *connectApp) browser(t *testing.T, email, password string) (*http.Client, string) {
	t.Helper()
	b := setupBrowser()
	if code, _ := status(t, b, http.MethodPost, c.url+"/login", url.Values{"email": {email}, "password": {password}}); code != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", email, code)
	}
	_, page := status(t, b, http.MethodGet, c.url+"/clients", nil)
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token for %s", email)
	}
	return b, m[1]
}

// do sends a request and returns the status, the Location and the body.
func do(t *testing.T, b *http.Client, method, u string, form url.Values) page {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = b.PostForm(u, form)
	} else {
		resp, err = b.Get(u)
	}
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func connectForm(csrf, clientID, secret string) url.Values {
	return url.Values{"csrf_token": {csrf}, "_token": {uuid.NewString()}, "client_id": {clientID}, "client_secret": {secret},
		"revenue_account": {"200"}, "clearing_account": {"091"}, "write_off_account": {"684"}, "tax_types": {"15=OUTPUT2\r\n0 = EXEMPTOUTPUT\r\n"}}
}

// start posts the connect form and follows the redirect to the provider's
// authorisation endpoint, which answers as a consenting user: the callback
// URL it sends the browser back to.
func (c *connectApp) start(t *testing.T, b *http.Client, provider string, form url.Values, authURL string) string {
	t.Helper()
	p := do(t, b, http.MethodPost, c.url+"/ledger/connect/"+provider, form)
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, authURL+"?") {
		t.Fatalf("POST connect = %d to %q, want 303 to %s\n%s", p.Status, p.Location, authURL, errorsOf(p.Body))
	}
	consent := do(t, b, http.MethodGet, p.Location, nil)
	if consent.Status != http.StatusFound || !strings.HasPrefix(consent.Location, c.url+"/ledger/callback/"+provider+"?") {
		t.Fatalf("authorize = %d to %q: %s", consent.Status, consent.Location, consent.Body)
	}
	return consent.Location
}

// events returns every event's data and metadata as one string per event.
func (c *connectApp) events(t *testing.T) []string {
	t.Helper()
	recs, err := c.store.ReadAll(context.Background(), 0, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		meta, _ := json.Marshal(r.Metadata)
		out = append(out, r.Type+" "+string(r.Data)+" "+string(meta))
	}
	return out
}

func (c *connectApp) mustNoSecretInLog(t *testing.T, secrets ...string) {
	t.Helper()
	for _, e := range c.events(t) {
		for _, s := range secrets {
			if s != "" && strings.Contains(e, s) {
				t.Errorf("the event log holds a secret %q: %s", s, e)
			}
		}
	}
}

func (c *connectApp) secretsFile(t *testing.T, provider string) map[string]any {
	t.Helper()
	p := filepath.Join(c.dataDir, "ledger", provider+".json")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatalf("secrets file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %o, want 600", p, fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(p)
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestOwnerConnectsXeroFromTheUI: the owner fills the form, consents at
// Xero (the test server, which checks the client, redirect URI, scopes and
// PKCE verifier), and lands on the Ledger page with Xero connected; the
// secrets file holds the refresh token (0600), the log holds no secret, and
// an invoice issued then reaches Xero through the adapter built from the
// saved file.
func TestOwnerConnectsXeroFromTheUI(t *testing.T) {
	xs := xerotest.New(t)
	c := newConnectApp(t, xs, nil)
	owner, csrf := c.browser(t, "owner@firm.example", "owner-password-1")
	p := do(t, owner, http.MethodGet, c.url+"/ledger", nil)
	mustContain(t, p, "Connect Xero", "Connect QuickBooks Online", `href="/ledger/connect/xero"`)
	p = do(t, owner, http.MethodGet, c.url+"/ledger/connect/xero", nil)
	mustContain(t, p, "Connect Xero", c.url+"/ledger/callback/xero", `name="client_secret"`)

	before := c.head()
	post := do(t, owner, http.MethodPost, c.url+"/ledger/connect/xero", connectForm(csrf, xs.ClientID, xs.ClientSecret))
	if post.Status != http.StatusSeeOther {
		t.Fatalf("POST connect = %d: %s", post.Status, errorsOf(post.Body))
	}
	auth, _ := url.Parse(post.Location)
	q := auth.Query()
	for k, want := range map[string]string{"response_type": "code", "client_id": xs.ClientID, "redirect_uri": c.url + "/ledger/callback/xero",
		"scope": "openid profile email accounting.transactions accounting.contacts accounting.settings offline_access", "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			t.Errorf("authorize %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if q.Get("state") == "" || q.Get("code_challenge") == "" {
		t.Errorf("authorize URL lacks state or PKCE challenge: %s", post.Location)
	}
	if c.head() != before {
		t.Error("starting the flow appended events")
	}
	consent := do(t, owner, http.MethodGet, post.Location, nil)
	cb := do(t, owner, http.MethodGet, consent.Location, nil)
	if cb.Status != http.StatusSeeOther || cb.Location != "/ledger" {
		t.Fatalf("callback = %d to %q: %s", cb.Status, cb.Location, cb.Body)
	}
	p = do(t, owner, http.MethodGet, c.url+"/ledger", nil)
	mustContain(t, p, "Xero connected", "Connected", xs.TenantID, "091")

	doc := c.secretsFile(t, "xero")
	rt, _ := doc["refresh_token"].(string)
	if !xs.ValidRefreshToken(rt) {
		t.Errorf("the secrets file's refresh token %q is not one Xero issued", rt)
	}
	if doc["client_secret"] != xs.ClientSecret || doc["tenant_id"] != xs.TenantID {
		t.Errorf("secrets file: %v", doc)
	}
	at, _ := doc["access_token"].(string)
	c.mustNoSecretInLog(t, xs.ClientSecret, rt, at)

	// Replaying the callback: the state was used.
	if r := do(t, owner, http.MethodGet, consent.Location, nil); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "already used") {
		t.Errorf("a replayed callback = %d: %s", r.Status, r.Body)
	}

	// The saved connection works: an invoice issued now reaches Xero.
	cl := c.mustClient("Kiwi Exports Ltd")
	res, err := c.svc.IssueInvoice(context.Background(), billing.IssueInvoiceRequest{ClientID: cl, Lines: []billing.InstantLine{
		{Description: "Annual accounts", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(1000), TaxRate: decimal.NewFromInt(15)},
	}}, c.meta())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ledgersync.Open(ledgersync.Config{Store: c.store, DataDir: c.dataDir, Now: func() time.Time { return now }, ReconcileInterval: -1,
		Factory: func(provider string, _ ledgersync.Settings, _ ledgersync.Secrets) (accounting.Ledger, error) {
			l, err := xero.Open(c.dataDir, nil) // the adapter from the saved file alone
			if err != nil {
				return nil, err
			}
			return l, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	invs := xs.Invoices()
	if len(invs) != 1 || invs[0]["Reference"] != res.ID.String() {
		t.Fatalf("Xero holds %v, want the invoice %s", invs, res.ID)
	}
	c.mustNoSecretInLog(t, xs.ClientSecret, rt, at)
}

// TestOwnerConnectsQBOFromTheUI: the same flow with Intuit's endpoints; the
// company is the realmId the callback carries.
func TestOwnerConnectsQBOFromTheUI(t *testing.T) {
	qs := qbotest.New(t, qbotest.Options{})
	c := newConnectApp(t, nil, qs)
	owner, csrf := c.browser(t, "owner@firm.example", "owner-password-1")
	form := connectForm(csrf, qs.ClientID(), qs.ClientSecret())
	form.Set("tax_types", "10=TAX\n0=NON")
	form.Set("clearing_account", "35")
	back := c.start(t, owner, "qbo", form, qs.AuthURL)
	if u, _ := url.Parse(back); u.Query().Get("realmId") != qs.RealmID {
		t.Fatalf("callback %s lacks the realm id", back)
	}
	cb := do(t, owner, http.MethodGet, back, nil)
	if cb.Status != http.StatusSeeOther || cb.Location != "/ledger" {
		t.Fatalf("callback = %d to %q: %s", cb.Status, cb.Location, cb.Body)
	}
	p := do(t, owner, http.MethodGet, c.url+"/ledger", nil)
	mustContain(t, p, "QuickBooks Online connected", qs.RealmID, "Connected")
	doc := c.secretsFile(t, "qbo")
	if doc["refresh_token"] != qs.RefreshToken() || doc["tenant_id"] != qs.RealmID {
		t.Errorf("secrets file %v: want the refresh token %s", doc, qs.RefreshToken())
	}
	at, _ := doc["access_token"].(string)
	c.mustNoSecretInLog(t, qs.ClientSecret(), qs.RefreshToken(), at)
}

// TestLedgerCallbackRefusals: an unknown, tampered, expired, replayed or
// other session's state, and a provider's refusal, connect nothing, append
// nothing and say why.
func TestLedgerCallbackRefusals(t *testing.T) {
	xs := xerotest.New(t)
	c := newConnectApp(t, xs, nil)
	owner, csrf := c.browser(t, "owner@firm.example", "owner-password-1")
	partner, _ := c.browser(t, "partner@firm.example", "partner-password-1")
	before := c.head()
	noWrite := func(what string) {
		t.Helper()
		if c.head() != before {
			t.Errorf("%s appended events", what)
		}
		if _, err := os.Stat(filepath.Join(c.dataDir, "ledger", "xero.json")); err == nil {
			t.Errorf("%s wrote the secrets file", what)
		}
	}
	bad := func(what string, b *http.Client, u, want string) {
		t.Helper()
		p := do(t, b, http.MethodGet, u, nil)
		if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, want) {
			t.Errorf("%s: %d, want 400 saying %q\n%s", what, p.Status, want, p.Body)
		}
		noWrite(what)
	}
	bad("no state", owner, c.url+"/ledger/callback/xero?code=x", "unknown")
	bad("a made-up state", owner, c.url+"/ledger/callback/xero?code=x&state=abc", "unknown")

	back := c.start(t, owner, "xero", connectForm(csrf, xs.ClientID, xs.ClientSecret), xs.AuthURL)
	bad("another owner's session", partner, back, "another session")
	bad("the QBO callback with Xero's state", owner, strings.Replace(back, "/callback/xero", "/callback/qbo", 1), "for another ledger")
	c.later.Store(int64(11 * time.Minute))
	bad("an expired state", owner, back, "expired")
	bad("the expired state again", owner, back, "unknown")
	c.later.Store(0)

	xs.DenyConsent()
	back = c.start(t, owner, "xero", connectForm(csrf, xs.ClientID, xs.ClientSecret), xs.AuthURL)
	p := do(t, owner, http.MethodGet, back, nil)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("a declined consent = %d", p.Status)
	}
	p = do(t, owner, http.MethodGet, c.url+p.Location, nil)
	mustContain(t, p, "Xero did not authorise Remit", "access_denied", "Nothing was connected")
	noWrite("a declined consent")

	// A wrong client secret: Xero refuses the code exchange.
	back = c.start(t, owner, "xero", connectForm(csrf, xs.ClientID, "not-the-secret"), xs.AuthURL)
	if p := do(t, owner, http.MethodGet, back, nil); p.Status != http.StatusBadGateway || !strings.Contains(p.Body, "invalid_client") {
		t.Errorf("a wrong secret: %d %s", p.Status, p.Body)
	}
	noWrite("a wrong secret")
	c.mustNoSecretInLog(t, xs.ClientSecret)
}

// TestLedgerConnectOwnersOnly: staff and auditors see no Connect button and
// get 403 on every connect route; an owner's incomplete form comes back
// with an error against each field.
func TestLedgerConnectOwnersOnly(t *testing.T) {
	xs := xerotest.New(t)
	c := newConnectApp(t, xs, nil)
	for _, who := range []struct{ email, pw string }{{"staff@firm.example", "staff-password-1"}, {"audit@firm.example", "audit-password-1"}} {
		b, csrf := c.browser(t, who.email, who.pw)
		p := do(t, b, http.MethodGet, c.url+"/ledger", nil)
		if p.Status != http.StatusOK || strings.Contains(p.Body, "Connect Xero") {
			t.Errorf("%s sees the Connect button (%d)", who.email, p.Status)
		}
		for _, r := range []struct{ method, path string }{{"GET", "/ledger/connect/xero"}, {"POST", "/ledger/connect/xero"}, {"GET", "/ledger/callback/xero?state=x&code=y"}, {"POST", "/ledger/callback/xero/tenant"}} {
			if p := do(t, b, r.method, c.url+r.path, connectForm(csrf, xs.ClientID, xs.ClientSecret)); p.Status != http.StatusForbidden {
				t.Errorf("%s %s %s = %d, want 403", who.email, r.method, r.path, p.Status)
			}
		}
	}
	owner, csrf := c.browser(t, "owner@firm.example", "owner-password-1")
	before := c.head()
	p := do(t, owner, http.MethodPost, c.url+"/ledger/connect/xero", url.Values{"csrf_token": {csrf}, "client_secret": {"kept-out"}, "tax_types": {"ten percent"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("an empty form = %d, want 422", p.Status)
	}
	for _, f := range []string{"client_id", "revenue_account", "clearing_account", "tax_types"} {
		if fieldError(p.Body, f) == "" {
			t.Errorf("no error against %s: %s", f, errorsOf(p.Body))
		}
	}
	if strings.Contains(p.Body, "kept-out") {
		t.Error("the client secret is sent back to the page")
	}
	if c.head() != before {
		t.Error("an invalid form appended events")
	}
}

// TestOwnerPicksTheXeroOrganisation: a consent covering several
// organisations asks which one; the chosen one is connected.
func TestOwnerPicksTheXeroOrganisation(t *testing.T) {
	xs := xerotest.New(t)
	other := xs.AddTenant("Other Org Ltd")
	c := newConnectApp(t, xs, nil)
	owner, csrf := c.browser(t, "owner@firm.example", "owner-password-1")
	back := c.start(t, owner, "xero", connectForm(csrf, xs.ClientID, xs.ClientSecret), xs.AuthURL)
	p := do(t, owner, http.MethodGet, back, nil)
	mustContain(t, p, "Choose the Xero organisation", "Other Org Ltd", other, xs.TenantID)
	state := regexp.MustCompile(`name="state" value="([^"]+)"`).FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || state == nil {
		t.Fatalf("pick page = %d", p.Status)
	}
	p = do(t, owner, http.MethodPost, c.url+"/ledger/callback/xero/tenant", url.Values{"csrf_token": {csrf}, "state": {state[1]}, "tenant_id": {"not-offered"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Errorf("an organisation not offered = %d, want 422", p.Status)
	}
	p = do(t, owner, http.MethodPost, c.url+"/ledger/callback/xero/tenant", url.Values{"csrf_token": {csrf}, "state": {state[1]}, "tenant_id": {xs.TenantID}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("pick = %d: %s", p.Status, p.Body)
	}
	mustContain(t, do(t, owner, http.MethodGet, c.url+"/ledger", nil), "Xero connected", xs.TenantID)
}
