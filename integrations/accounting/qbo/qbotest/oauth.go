package qbotest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// AuthPath is the authorisation endpoint's path (Intuit's is
// https://appcenter.intuit.com/connect/oauth2).
const AuthPath = "/connect/oauth2"

// accountingScope is the scope an app using the Accounting API asks for.
const accountingScope = "com.intuit.quickbooks.accounting"

type authCode struct {
	redirectURI string
	challenge   string
}

// DenyConsent makes the next authorisation answer as a user who declined:
// a redirect with error=access_denied.
func (s *Server) DenyConsent() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = true
}

// serveAuthorize is Intuit's authorisation endpoint answered as a user who
// signs in, picks the server's company and consents: a redirect to
// redirect_uri with code, state and realmId. It checks the client id,
// response_type=code, an absolute redirect URI, the accounting scope and an
// S256 PKCE challenge when one is sent; a bad request is answered 400 here.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != s.opts.ClientID:
		http.Error(w, "invalid_client: unknown client_id", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "unsupported_response_type", http.StatusBadRequest)
		return
	case q.Get("redirect_uri") == "" || err != nil || !redirect.IsAbs():
		http.Error(w, "invalid_request: redirect_uri must be an absolute URI", http.StatusBadRequest)
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), accountingScope):
		http.Error(w, "invalid_scope: missing "+accountingScope, http.StatusBadRequest)
		return
	case q.Get("state") == "":
		http.Error(w, "invalid_request: state is required", http.StatusBadRequest) // Intuit requires it
		return
	case q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256":
		http.Error(w, "invalid_request: code_challenge_method must be S256", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	if s.deny {
		s.deny = false
		back.Set("error", "access_denied")
	} else {
		s.nextCode++
		code := fmt.Sprintf("AB-code-%d", s.nextCode)
		s.codes[code] = authCode{redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge")}
		back.Set("code", code)
		back.Set("realmId", s.RealmID)
	}
	back.Set("state", q.Get("state"))
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// exchangeCode is the authorization_code grant: a code works once, with
// its redirect URI and the PKCE verifier of its challenge. It issues a new
// access and refresh token (the refresh token the server accepts from then
// on). The caller has checked the client's credentials.
func (s *Server) exchangeCode(w http.ResponseWriter, form url.Values) {
	fail := func(desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": desc})
	}
	s.mu.Lock()
	code := form.Get("code")
	c, ok := s.codes[code]
	if !ok {
		s.mu.Unlock()
		fail("unknown or used code")
		return
	}
	delete(s.codes, code)
	if form.Get("redirect_uri") != c.redirectURI {
		s.mu.Unlock()
		fail("redirect_uri does not match the authorisation's")
		return
	}
	if c.challenge != "" {
		sum := sha256.Sum256([]byte(form.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
			s.mu.Unlock()
			fail("code_verifier does not match the code_challenge")
			return
		}
	}
	s.access = "at-" + code
	s.refresh = "rt-" + code
	body := map[string]any{"token_type": "bearer", "access_token": s.access, "refresh_token": s.refresh,
		"expires_in": 3600, "x_refresh_token_expires_in": 8726400}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}
