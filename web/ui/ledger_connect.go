package ui

// Connecting Xero or QuickBooks Online from the Ledger page, with the OAuth
// 2.0 authorization-code flow (RFC 6749 §4.1) and PKCE (RFC 7636):
//
//  1. GET /ledger/connect/{provider}: the form (the app's client id and
//     secret, the account mapping). Owners only.
//  2. POST /ledger/connect/{provider}: checks the form, keeps a pending
//     connection in the sign-in state every node shares (authdb: sealed
//     with a key only the state gives) under a random state (10 minutes,
//     single use, bound to the owner's session and to a cookie of this
//     browser), and answers 303 to the provider's authorisation page. The
//     callback may land on any node.
//  3. GET /ledger/callback/{provider}?code&state[&realmId]: the provider
//     sends the owner back. The state is taken (once); the code is
//     exchanged for tokens with the PKCE verifier; the organisation is the
//     realmId (QBO) or the one Xero's /connections lists (the owner picks
//     when there are several: POST /ledger/callback/xero/tenant); then
//     ledgersync.Connect writes the secrets file (0600) and records
//     LedgerConnected. The event holds the mapping and the tenant only: no
//     secret, token or code reaches the log.
//
// Nothing is written before the last step, so a refused, expired or
// replayed callback leaves the books and the secrets file as they were.

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"remit/billing"
	"remit/domain"
	"remit/domain/ledger"
	"remit/domain/user"
	"remit/integrations/accounting/secretfile"
	"remit/integrations/accounting/xero"
	"remit/processes/ledgersync"
	"remit/web/auth"
	"remit/web/auth/authdb"
)

// LedgerOAuth lets an owner connect Xero or QuickBooks Online from the
// Ledger page (Config.LedgerOAuth); without it the page only shows the
// connections made with `remit ledger connect`.
type LedgerOAuth struct {
	// DataDir is the data folder: the secrets go to <DataDir>/ledger/<provider>.json.
	DataDir string
	// PublicURL is where the owner's browser reaches Remit; the redirect
	// URI registered with the provider is PublicURL + "/ledger/callback/xero"
	// (or "/qbo"). Empty takes the request's own scheme and host.
	PublicURL string
	// Xero and QBO override the providers' endpoints (tests, sandboxes);
	// empty fields take the providers' own.
	Xero, QBO OAuthEndpoints
	// HTTPClient makes the token and connections requests; nil means a
	// client with a 30-second timeout.
	HTTPClient *http.Client
	// Flows keeps the pending flows, shared by every node; nil takes the
	// Authenticator's sign-in state (Config.Auth), or without one a
	// private in-memory one.
	Flows *authdb.DB
}

// OAuthEndpoints are one provider's OAuth 2.0 endpoints.
type OAuthEndpoints struct {
	// AuthURL is the authorisation page the owner is sent to.
	AuthURL string
	// TokenURL exchanges the code (and later refreshes the token). A
	// non-default Xero TokenURL is saved in the secrets file for the
	// adapter, which refreshes there.
	TokenURL string
	// ConnectionsURL lists the Xero organisations a token may use (Xero only).
	ConnectionsURL string
	// APIBaseURL is the Xero Accounting API's base, saved in the secrets
	// file for the adapter when set (Xero only; QBO's is the adapter's
	// option).
	APIBaseURL string
}

// The providers' own endpoints.
const (
	XeroAuthURL        = "https://login.xero.com/identity/connect/authorize"
	XeroConnectionsURL = "https://api.xero.com/connections"
	QBOAuthURL         = "https://appcenter.intuit.com/connect/oauth2"
	QBOTokenURL        = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
)

// Scopes asked for: Xero's accounting scopes with offline_access (a refresh
// token) and the OpenID ones Xero's own examples use; QBO's accounting scope.
var (
	xeroScopes = []string{"openid", "profile", "email", "accounting.transactions", "accounting.contacts", "accounting.settings", "offline_access"}
	qboScopes  = []string{"com.intuit.quickbooks.accounting"}
)

// pendingTTL is how long an owner has to consent at the provider.
const pendingTTL = 10 * time.Minute

// maxPending bounds the flows kept at once.
const maxPending = 200

// oauthCookie carries the browser's half of a flow's binding.
const oauthCookie = "remit_ledger_oauth"

// pendingConnect is a flow started by an owner and not yet finished, as
// kept (JSON, sealed) in the sign-in state.
type pendingConnect struct {
	Provider string                    `json:"provider"`
	Req      ledgersync.ConnectRequest `json:"req"`      // mapping, history, client id and secret
	Verifier string                    `json:"verifier"` // PKCE
	Session  string                    `json:"session"`  // hash of the owner's session (CSRF token and actor)
	Browser  string                    `json:"browser"`  // hash of the cookie value
	Expires  time.Time                 `json:"expires"`
	Meta     billing.Meta              `json:"meta"`
	// Tenants are Xero's organisations, once the code was exchanged and
	// more than one came back: the owner picks one.
	Tenants []xeroTenant  `json:"tenants,omitempty"`
	Token   *oauth2.Token `json:"token,omitempty"`
}

type xeroTenant struct {
	TenantID   string `json:"tenantId"`
	TenantName string `json:"tenantName"`
	TenantType string `json:"tenantType"`
}

// pendingFlows keeps the pending connections by state, in the sign-in
// state every node shares.
type pendingFlows struct {
	once sync.Once
	db   *authdb.DB
	err  error
}

// flowKind is the kind of the flows' links in the sign-in state.
const flowKind = "oauth"

// flows returns where the pending flows are kept.
func (h *handler) flows() (*authdb.DB, error) {
	f := &h.oauthFlows
	f.once.Do(func() {
		switch {
		case h.cfg.LedgerOAuth != nil && h.cfg.LedgerOAuth.Flows != nil:
			f.db = h.cfg.LedgerOAuth.Flows
		case h.cfg.Auth != nil:
			f.db = h.cfg.Auth.SignInState()
		default:
			f.db, f.err = authdb.OpenMemory(authdb.Options{Now: h.cfg.Now})
		}
	})
	return f.db, f.err
}

func (h *handler) putFlow(ctx context.Context, state string, p *pendingConnect) error {
	db, err := h.flows()
	if err != nil {
		return err
	}
	n, err := db.CountLinks(ctx, flowKind, h.cfg.Now())
	if err != nil {
		return err
	}
	if n >= maxPending {
		return domain.Conflict("Too many connections are being set up at once: try again in a few minutes.")
	}
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	// Kept a while past its end, so a late callback is told it expired.
	return db.PutSealed(ctx, flowKind, state, data, p.Expires.Add(pendingTTL))
}

const flowUnknown = "This connection request is unknown or was already used: start again from the Ledger page. Nothing was connected."

// takeFlow removes and returns the flow of state when it exists, has not
// expired, is for provider and belongs to this session and browser; a flow
// of another session is left for its owner. Of two callbacks with one
// state, on any nodes, one gets the flow.
func (h *handler) takeFlow(ctx context.Context, state, provider, session, browser string) (*pendingConnect, string, error) {
	db, err := h.flows()
	if err != nil {
		return nil, "", err
	}
	if state == "" {
		return nil, flowUnknown, nil
	}
	data, ok, err := db.Sealed(ctx, flowKind, state, h.cfg.Now())
	if err != nil || !ok {
		return nil, flowUnknown, err
	}
	var p pendingConnect
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, "", fmt.Errorf("pending ledger connection: %w", err)
	}
	if !h.cfg.Now().Before(p.Expires) {
		_, _, err := db.TakeSealed(ctx, flowKind, state, h.cfg.Now())
		return nil, "This connection request has expired (you have 10 minutes to consent): start again from the Ledger page. Nothing was connected.", err
	}
	if subtle.ConstantTimeCompare([]byte(p.Session), []byte(session)) != 1 || subtle.ConstantTimeCompare([]byte(p.Browser), []byte(browser)) != 1 {
		return nil, "This connection request was started in another session: start again from the Ledger page, signed in as yourself. Nothing was connected.", nil
	}
	if p.Provider != provider {
		return nil, "This connection request was for another ledger: start again from the Ledger page. Nothing was connected.", nil
	}
	if _, ok, err := db.TakeSealed(ctx, flowKind, state, h.cfg.Now()); err != nil || !ok {
		return nil, flowUnknown, err
	}
	return &p, "", nil
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

func hashOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// providerName is how the page names a provider.
func providerName(p string) string {
	switch p {
	case "xero":
		return "Xero"
	case "qbo":
		return "QuickBooks Online"
	}
	return p
}

// registerLedgerConnectRoutes adds the connect form, its submission and the
// providers' callbacks.
func (h *handler) registerLedgerConnectRoutes(rt routes) {
	rt.get("/ledger/connect/{provider}", h.handleLedgerConnectForm)
	rt.post("/ledger/connect/{provider}", h.handleLedgerConnectStart)
	rt.get("/ledger/callback/{provider}", h.handleLedgerCallback)
	rt.post("/ledger/callback/xero/tenant", h.handleLedgerPickTenant)
}

// canConnectLedger reports whether the request's principal may connect a
// ledger: an owner. With sign-in off (no principal) the UI is open to
// whoever reaches it, as every other page is.
func (h *handler) canConnectLedger(r *http.Request) error {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		return nil
	}
	return auth.Allow(p, auth.OwnerOnly)
}

// oauthOn reports whether connecting from the UI is configured.
func (h *handler) oauthOn() bool {
	return h.cfg.LedgerOAuth != nil && h.cfg.LedgerOAuth.DataDir != ""
}

// connectGuard answers 404 for an unknown provider or when connecting from
// the UI is off, 403 for anyone but an owner.
func (h *handler) connectGuard(w http.ResponseWriter, r *http.Request, provider string) bool {
	if !h.oauthOn() || !slices.Contains(ledger.Providers(), provider) {
		h.notFound(w, r, "There is no ledger to connect here.")
		return false
	}
	if err := h.canConnectLedger(r); err != nil {
		h.fail(w, r, err)
		return false
	}
	return true
}

// oauthConfig is the provider's OAuth 2.0 client for this request.
func (h *handler) oauthConfig(r *http.Request, provider, clientID, clientSecret string) (*oauth2.Config, OAuthEndpoints) {
	o := h.cfg.LedgerOAuth
	var ep OAuthEndpoints
	var scopes []string
	switch provider {
	case "xero":
		ep = o.Xero
		ep.AuthURL = cmp.Or(ep.AuthURL, XeroAuthURL)
		ep.TokenURL = cmp.Or(ep.TokenURL, xero.DefaultTokenURL)
		ep.ConnectionsURL = cmp.Or(ep.ConnectionsURL, XeroConnectionsURL)
		scopes = xeroScopes
	case "qbo":
		ep = o.QBO
		ep.AuthURL = cmp.Or(ep.AuthURL, QBOAuthURL)
		ep.TokenURL = cmp.Or(ep.TokenURL, QBOTokenURL)
		scopes = qboScopes
	}
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: ep.AuthURL, TokenURL: ep.TokenURL, AuthStyle: oauth2.AuthStyleInHeader},
		RedirectURL:  h.publicURL(r) + "/ledger/callback/" + provider,
		Scopes:       scopes,
	}, ep
}

func (h *handler) publicURL(r *http.Request) string {
	if u := strings.TrimRight(h.cfg.LedgerOAuth.PublicURL, "/"); u != "" {
		return u
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (h *handler) oauthClient() *http.Client {
	if c := h.cfg.LedgerOAuth.HTTPClient; c != nil {
		return c
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// connectPage is the connect form's data.
type connectPage struct {
	Provider, Name, RedirectURI string
	Connected                   *ledgersync.ConnectionStatus
	// DefaultBank and DefaultFees are the provider's payout accounts when
	// the firm names none.
	DefaultBank, DefaultFees string
}

func (h *handler) renderConnectForm(w http.ResponseWriter, r *http.Request, status int, provider string, f *form) {
	d := connectPage{Provider: provider, Name: providerName(provider), RedirectURI: h.publicURL(r) + "/ledger/callback/" + provider,
		DefaultBank: ledger.Mapping{}.BankAccountFor(provider), DefaultFees: ledger.Mapping{}.FeesAccountFor(provider)}
	if conns, err := ledgersync.Status(r.Context(), h.cfg.Store); err == nil {
		for i := range conns {
			if conns[i].Provider == provider && conns[i].Connected {
				d.Connected = &conns[i]
			}
		}
	}
	h.render(w, r, status, "ledger_connect", &view{Title: "Connect " + d.Name, Section: "ledger", Form: f, D: d})
}

// handleLedgerConnectForm shows the form, prefilled with the current
// mapping when the ledger is connected (connecting again changes it).
func (h *handler) handleLedgerConnectForm(w http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	if !h.connectGuard(w, r, provider) {
		return
	}
	f := newForm()
	if conns, err := ledgersync.Status(r.Context(), h.cfg.Store); err == nil {
		for _, c := range conns {
			if c.Provider == provider && c.Connected {
				f.set("revenue_account", c.Mapping.RevenueAccount)
				f.set("clearing_account", c.Mapping.ClearingAccount)
				f.set("write_off_account", c.Mapping.WriteOffAccount)
				f.set("bank_account", c.Mapping.BankAccount)
				f.set("fees_account", c.Mapping.FeesAccount)
				f.set("disputes_account", c.Mapping.DisputesAccount)
				f.set("receivable_account", c.Mapping.ReceivableAccount)
				var lines []string
				for _, k := range slices.Sorted(maps.Keys(c.Mapping.TaxTypes)) {
					lines = append(lines, k+"="+c.Mapping.TaxTypes[k])
				}
				f.set("tax_types", strings.Join(lines, "\n"))
			}
		}
	}
	h.renderConnectForm(w, r, http.StatusOK, provider, f)
}

// parseConnectForm reads the form into a connect request, with an error
// against each field that is wrong.
func parseConnectForm(r *http.Request, provider string) (ledgersync.ConnectRequest, *form) {
	f := formFrom(r)
	val := func(n string) string { return strings.TrimSpace(r.PostFormValue(n)) }
	req := ledgersync.ConnectRequest{Provider: provider, History: r.PostFormValue("history") == "on",
		Secrets: ledgersync.Secrets{ClientID: val("client_id"), ClientSecret: val("client_secret")},
		Mapping: ledger.Mapping{RevenueAccount: val("revenue_account"), ClearingAccount: val("clearing_account"), WriteOffAccount: val("write_off_account"),
			BankAccount: val("bank_account"), FeesAccount: val("fees_account"), DisputesAccount: val("disputes_account"),
			ReceivableAccount: val("receivable_account")}}
	if req.Secrets.ClientID == "" {
		f.Errors["client_id"] = "Give the client id of your " + providerName(provider) + " app."
	}
	if req.Secrets.ClientSecret == "" {
		f.Errors["client_secret"] = "Give the client secret of your " + providerName(provider) + " app."
	}
	for i, line := range strings.Split(r.PostFormValue("tax_types"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(k), "%")), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			f.Errors["tax_types"] = fmt.Sprintf("Line %d, %q: write RATE=CODE, e.g. 10=OUTPUT.", i+1, line)
			break
		}
		if req.Mapping.TaxTypes == nil {
			req.Mapping.TaxTypes = map[string]string{}
		}
		req.Mapping.TaxTypes[k] = v
	}
	m := req.Mapping
	if _, bad := f.Errors["tax_types"]; bad {
		m.TaxTypes = nil // already reported
	}
	if err := m.Validate(); err != nil {
		f.fail(err, func(err error) string { return err.Error() }, func(field string) string {
			return strings.TrimPrefix(field, "mapping.")
		})
	}
	// The secret is never sent back to the page.
	f.Values.Del("client_secret")
	return req, f
}

// handleLedgerConnectStart checks the form and sends the owner to the
// provider's authorisation page.
func (h *handler) handleLedgerConnectStart(w http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	if !h.connectGuard(w, r, provider) {
		return
	}
	req, f := parseConnectForm(r, provider)
	if f.HasErrors() {
		h.renderConnectForm(w, r, http.StatusUnprocessableEntity, provider, f)
		return
	}
	state, browser, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	p := &pendingConnect{Provider: provider, Req: req, Verifier: verifier, Session: hashOf(h.csrf(r), h.actor(r)),
		Browser: hashOf(browser), Expires: h.cfg.Now().Add(pendingTTL), Meta: h.meta(r)}
	if err := h.putFlow(r.Context(), state, p); err != nil {
		f.fail(err, func(err error) string { return h.userMessage(r, err) }, nil)
		h.renderConnectForm(w, r, statusOf(err), provider, f)
		return
	}
	cfg, _ := h.oauthConfig(r, provider, req.Secrets.ClientID, req.Secrets.ClientSecret)
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: browser, Path: "/ledger/callback/", MaxAge: int(pendingTTL / time.Second),
		HttpOnly: true, Secure: strings.HasPrefix(h.publicURL(r), "https://"), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), http.StatusSeeOther)
}

// callbackFail answers a callback that connects nothing.
func (h *handler) callbackFail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, r, status, "error", &view{Title: "Ledger not connected", Section: "ledger", D: msg})
}

func (h *handler) browserBinding(r *http.Request) string {
	c, err := r.Cookie(oauthCookie)
	if err != nil {
		return hashOf("")
	}
	return hashOf(c.Value)
}

// handleLedgerCallback finishes the flow the provider sent the owner back
// from.
func (h *handler) handleLedgerCallback(w http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	if !h.connectGuard(w, r, provider) {
		return
	}
	q := r.URL.Query()
	p, why, err := h.takeFlow(r.Context(), q.Get("state"), provider, hashOf(h.csrf(r), h.actor(r)), h.browserBinding(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if p == nil {
		h.callbackFail(w, r, http.StatusBadRequest, why)
		return
	}
	name := providerName(provider)
	if e := q.Get("error"); e != "" {
		msg := name + " did not authorise Remit (" + e + ")"
		if e == "access_denied" {
			msg = name + " did not authorise Remit (access_denied): access was declined at " + name
		}
		if d := q.Get("error_description"); d != "" {
			msg += ": " + d
		}
		redirectError(w, r, "/ledger", msg+". Nothing was connected.")
		return
	}
	code := q.Get("code")
	if code == "" {
		h.callbackFail(w, r, http.StatusBadRequest, name+" sent no authorisation code back: start again from the Ledger page. Nothing was connected.")
		return
	}
	cfg, ep := h.oauthConfig(r, provider, p.Req.Secrets.ClientID, p.Req.Secrets.ClientSecret)
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, h.oauthClient())
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(p.Verifier))
	if err != nil {
		h.log.Warn("ledger connect: code exchange failed", "provider", provider, "err", err)
		msg := name + " did not accept the authorisation"
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode != "" {
			msg += " (" + re.ErrorCode + ")"
			if re.ErrorCode == "invalid_client" {
				msg += ": check the app's client id and secret"
			}
		} else {
			msg += ": " + name + " could not be reached"
		}
		h.callbackFail(w, r, http.StatusBadGateway, msg+". Start again from the Ledger page. Nothing was connected.")
		return
	}
	if tok.RefreshToken == "" {
		h.callbackFail(w, r, http.StatusBadGateway, name+" gave no refresh token (the app needs offline access). Nothing was connected.")
		return
	}
	p.Token = tok
	switch provider {
	case "qbo":
		realm := strings.TrimSpace(q.Get("realmId"))
		if realm == "" {
			h.callbackFail(w, r, http.StatusBadRequest, "QuickBooks Online named no company (realmId). Start again from the Ledger page. Nothing was connected.")
			return
		}
		h.finishConnect(w, r, p, realm)
	case "xero":
		tenants, err := h.xeroTenants(ctx, ep.ConnectionsURL, tok.AccessToken)
		if err != nil {
			h.log.Warn("ledger connect: Xero connections", "err", err)
			h.callbackFail(w, r, http.StatusBadGateway, "Xero did not say which organisation was authorised. Start again from the Ledger page. Nothing was connected.")
			return
		}
		switch len(tenants) {
		case 0:
			h.callbackFail(w, r, http.StatusBadRequest, "No Xero organisation was authorised: choose one at Xero. Nothing was connected.")
		case 1:
			h.finishConnect(w, r, p, tenants[0].TenantID)
		default:
			p.Tenants = tenants
			p.Expires = h.cfg.Now().Add(pendingTTL)
			pick := randomToken()
			if err := h.putFlow(r.Context(), pick, p); err != nil {
				h.fail(w, r, err)
				return
			}
			h.renderTenantPick(w, r, http.StatusOK, pick, p, "")
		}
	}
}

// xeroTenants asks Xero which organisations the token may use.
func (h *handler) xeroTenants(ctx context.Context, connectionsURL, access string) ([]xeroTenant, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, connectionsURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+access)
	req.Header.Set("Accept", "application/json")
	resp, err := h.oauthClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET connections: %s", resp.Status)
	}
	var all []xeroTenant
	if err := json.Unmarshal(body, &all); err != nil {
		return nil, fmt.Errorf("GET connections: %w", err)
	}
	out := all[:0]
	for _, t := range all {
		if t.TenantID != "" && (t.TenantType == "" || t.TenantType == "ORGANISATION") {
			out = append(out, t)
		}
	}
	return out, nil
}

type tenantPage struct {
	State   string
	Tenants []xeroTenant
	Error   string
}

func (h *handler) renderTenantPick(w http.ResponseWriter, r *http.Request, status int, state string, p *pendingConnect, msg string) {
	h.render(w, r, status, "ledger_tenant", &view{Title: "Choose the Xero organisation", Section: "ledger", D: tenantPage{State: state, Tenants: p.Tenants, Error: msg}})
}

// handleLedgerPickTenant finishes a Xero flow whose token may use several
// organisations, with the one the owner chose.
func (h *handler) handleLedgerPickTenant(w http.ResponseWriter, r *http.Request) {
	if !h.connectGuard(w, r, "xero") {
		return
	}
	state := r.PostFormValue("state")
	p, why, err := h.takeFlow(r.Context(), state, "xero", hashOf(h.csrf(r), h.actor(r)), h.browserBinding(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if p == nil || p.Token == nil {
		if why == "" {
			why = "This connection request is unknown or was already used: start again from the Ledger page. Nothing was connected."
		}
		h.callbackFail(w, r, http.StatusBadRequest, why)
		return
	}
	chosen := r.PostFormValue("tenant_id")
	if !slices.ContainsFunc(p.Tenants, func(t xeroTenant) bool { return t.TenantID == chosen }) {
		if err := h.putFlow(r.Context(), state, p); err != nil { // let the owner choose again
			h.fail(w, r, err)
			return
		}
		h.renderTenantPick(w, r, http.StatusUnprocessableEntity, state, p, "Choose one of the organisations you authorised.")
		return
	}
	h.finishConnect(w, r, p, chosen)
}

// finishConnect saves the connection: ledgersync.Connect writes the
// secrets file and records LedgerConnected (or LedgerMappingChanged).
func (h *handler) finishConnect(w http.ResponseWriter, r *http.Request, p *pendingConnect, tenant string) {
	req := p.Req
	req.TenantID, req.Now = tenant, h.cfg.Now()
	req.Secrets.RefreshToken, req.Secrets.AccessToken, req.Secrets.AccessTokenExp = p.Token.RefreshToken, p.Token.AccessToken, p.Token.Expiry
	res, err := ledgersync.Connect(r.Context(), h.cfg.Store, h.cfg.LedgerOAuth.DataDir, req, p.Meta)
	name := providerName(p.Provider)
	if err != nil {
		h.callbackFail(w, r, statusOf(err), name+" was not connected: "+h.userMessage(r, err))
		return
	}
	if err := h.saveAdapterSettings(p.Provider, p.Token); err != nil {
		h.log.Error("ledger connect: saving the adapter's settings", "provider", p.Provider, "err", err)
	}
	if h.cfg.Runner != nil && res.Position > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), h.cfg.WaitTimeout)
		defer cancel()
		_ = h.cfg.Runner.WaitFor(ctx, res.Position)
	}
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: "", Path: "/ledger/callback/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	msg := name + " connected (" + tenant + ")."
	if res.Appended == 0 {
		msg = name + " was already connected to " + tenant + " with this mapping; its tokens were renewed."
	}
	redirect(w, r, "/ledger", msg)
}

// saveAdapterSettings adds to the secrets file what the Xero adapter reads
// besides ledgersync's keys: the access token's expiry under its own key,
// and non-default endpoints (so it refreshes where the token came from).
// Other keys are kept; the file stays 0600, written under the lock every
// writer of it takes (secretfile.Update).
func (h *handler) saveAdapterSettings(provider string, tok *oauth2.Token) error {
	if provider != "xero" {
		return nil
	}
	_, ep := h.oauthConfig(&http.Request{}, provider, "", "")
	extra := map[string]any{}
	if !tok.Expiry.IsZero() {
		extra["expiry"] = tok.Expiry
	}
	if ep.TokenURL != xero.DefaultTokenURL {
		extra["token_url"] = ep.TokenURL
	}
	if ep.APIBaseURL != "" && ep.APIBaseURL != xero.DefaultBaseURL {
		extra["base_url"] = ep.APIBaseURL
	}
	return secretfile.Update(xero.FilePath(h.cfg.LedgerOAuth.DataDir), func(doc secretfile.Doc) error {
		return doc.Set(extra)
	})
}

// isOwner reports whether the page should offer owner-only actions.
func (h *handler) isOwner(r *http.Request) bool {
	p, ok := auth.PrincipalFrom(r.Context())
	return !ok || (p.Role == user.RoleOwner && p.CanWrite())
}

// formActionSources are the origins forms may be sent to besides Remit's
// own: the configured authorisation pages, since the connect form's answer
// is a redirect there (CSP form-action also governs a form's redirects).
func (o *LedgerOAuth) formActionSources() []string {
	if o == nil || o.DataDir == "" {
		return nil
	}
	var out []string
	for _, u := range []string{cmp.Or(o.Xero.AuthURL, XeroAuthURL), cmp.Or(o.QBO.AuthURL, QBOAuthURL)} {
		if pu, err := url.Parse(u); err == nil && pu.Scheme != "" && pu.Host != "" {
			if o := pu.Scheme + "://" + pu.Host; !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}
