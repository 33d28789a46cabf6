package xerotest

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The identity server's authorisation endpoint and the connections
// endpoint, at the paths Xero uses (login.xero.com/identity/connect/authorize,
// api.xero.com/connections).
const (
	authorizePath   = "/identity/connect/authorize"
	connectionsPath = "/connections"
)

// requiredScopes are the scopes an app pushing invoices, contacts and
// payments needs, offline_access for a refresh token.
var requiredScopes = []string{"offline_access", "accounting.transactions", "accounting.contacts"}

// Tenant is one organisation the consenting user connects (GET /connections).
type Tenant struct {
	ID   string
	Name string
}

// authCode is an issued authorisation code, waiting for its exchange.
type authCode struct {
	redirectURI string
	challenge   string
}

// AddTenant adds an organisation to what the consenting user authorises:
// GET /connections lists it after the server's own (TenantID), so a test
// can make the user pick one. The API answers only TenantID.
func (s *Server) AddTenant(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := uuid.NewString()
	s.tenants = append(s.tenants, Tenant{ID: id, Name: name})
	return id
}

// DenyConsent makes the next authorisation answer as a user who clicked
// "Cancel": a redirect with error=access_denied.
func (s *Server) DenyConsent() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = true
}

// IssuedRefreshTokens lists every refresh token the token endpoint handed
// out (by the authorisation-code grant and by refreshes), for tests that
// check none of them leaks.
func (s *Server) IssuedRefreshTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.issued)
}

// serveAuthorize is the authorisation endpoint answered as a user who signs
// in and consents at once: a redirect to redirect_uri with a code and the
// state. It checks what Xero checks: the client id, response_type=code, a
// redirect URI, the scopes, and (PKCE) an S256 code challenge when one is
// sent. A bad request is answered 400 here, as Xero shows its error page
// rather than redirecting to an unverified URI.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case r.Method != http.MethodGet:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	case q.Get("client_id") != s.ClientID:
		http.Error(w, "unauthorized_client: unknown client_id", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "unsupported_response_type", http.StatusBadRequest)
		return
	case q.Get("redirect_uri") == "" || err != nil || !redirect.IsAbs():
		http.Error(w, "invalid_request: redirect_uri must be an absolute URI", http.StatusBadRequest)
		return
	case q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256":
		http.Error(w, "invalid_request: code_challenge_method must be S256", http.StatusBadRequest)
		return
	}
	scopes := strings.Fields(q.Get("scope"))
	for _, need := range requiredScopes {
		if !slices.Contains(scopes, need) {
			http.Error(w, "invalid_scope: missing "+need, http.StatusBadRequest)
			return
		}
	}
	back := redirect.Query()
	if s.deny {
		s.deny = false
		back.Set("error", "access_denied")
	} else {
		code := "code-" + uuid.NewString()
		s.codes[code] = authCode{redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge")}
		back.Set("code", code)
	}
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// exchangeCode is the token endpoint's authorization_code grant: a code
// works once, with the redirect URI it was issued for and, when the
// authorisation carried a PKCE challenge, the verifier that hashes to it.
// Callers hold s.mu and have checked the client's credentials.
func (s *Server) exchangeCode(form url.Values) (status int, body obj) {
	code := form.Get("code")
	c, ok := s.codes[code]
	if !ok {
		return http.StatusBadRequest, obj{"error": "invalid_grant"}
	}
	delete(s.codes, code)
	if form.Get("redirect_uri") != c.redirectURI {
		return http.StatusBadRequest, obj{"error": "invalid_grant", "error_description": "redirect_uri does not match the authorisation's"}
	}
	if c.challenge != "" {
		sum := sha256.Sum256([]byte(form.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
			return http.StatusBadRequest, obj{"error": "invalid_grant", "error_description": "code_verifier does not match the code_challenge"}
		}
	}
	return http.StatusOK, s.issueTokens()
}

// issueTokens makes an access token and a refresh token. Callers hold s.mu.
func (s *Server) issueTokens() obj {
	access := "at-" + uuid.NewString()
	next := "rt-" + uuid.NewString()
	s.access[access] = true
	s.refresh[next] = true
	s.issued = append(s.issued, next)
	return obj{
		"access_token":  access,
		"expires_in":    1800,
		"token_type":    "Bearer",
		"refresh_token": next,
		"scope":         "offline_access accounting.transactions accounting.contacts accounting.settings",
	}
}

// serveConnections is GET /connections: the organisations the access token
// may use, the server's own first.
func (s *Server) serveConnections(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !ok || !s.access[tok] {
		w.Header().Set("Www-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	at := time.Now().UTC().Format("2006-01-02T15:04:05.0000000")
	list := []obj{}
	for _, t := range append([]Tenant{{ID: s.TenantID, Name: "Demo Company (AU)"}}, s.tenants...) {
		list = append(list, obj{"id": uuid.NewString(), "authEventId": uuid.NewString(), "tenantId": t.ID, "tenantType": "ORGANISATION",
			"tenantName": t.Name, "createdDateUtc": at, "updatedDateUtc": at})
	}
	a := jsonAnswer(http.StatusOK, list)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(a.status)
	w.Write(a.body)
}
