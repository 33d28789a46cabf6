package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"remit/domain/user"
	"remit/web/auth"
)

// TestAPITokensPage: staff make an API token on /settings/api-tokens (a
// missing name or an unknown expiry said beside its field, nothing made),
// see it once (the form sent twice makes one), and the token signs a program in with the scope chosen; the
// list never shows it again. An owner sees everyone's tokens and revokes
// one after a confirmation, which stops it at once; an auditor cannot make
// one; nobody revokes another's token but an owner.
func TestAPITokensPage(t *testing.T) {
	srv, a, _ := setupServer(t)
	ctx := context.Background()
	for _, u := range []auth.NewUser{
		{Email: "owner@firm.example", Role: user.RoleOwner, Password: "owner-password-1"},
		{Email: "sam@firm.example", Name: "Sam", Role: user.RoleStaff, Password: "sam-password-12"},
		{Email: "kim@firm.example", Name: "Kim", Role: user.RoleStaff, Password: "kim-password-12"},
		{Email: "audra@firm.example", Role: user.RoleAuditor, Password: "audra-password-1"},
	} {
		if _, err := a.AddUser(ctx, u, "test"); err != nil {
			t.Fatal(err)
		}
	}
	signIn := func(email, password string) (*http.Client, string) {
		t.Helper()
		b := setupBrowser()
		if code, _ := status(t, b, http.MethodPost, srv.URL+"/login", url.Values{"email": {email}, "password": {password}}); code != http.StatusSeeOther {
			t.Fatalf("sign in %s: %d", email, code)
		}
		code, page := status(t, b, http.MethodGet, srv.URL+"/settings/api-tokens", nil)
		if code != http.StatusOK {
			t.Fatalf("%s opens the API tokens page: %d %s", email, code, page)
		}
		csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
		if csrf == nil {
			t.Fatalf("the page %s sees has no CSRF token", email)
		}
		return b, csrf[1]
	}
	programAs := func(token string) (auth.Principal, error) {
		r, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/clients", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		return a.Authenticate(r)
	}

	sam, samCSRF := signIn("sam@firm.example", "sam-password-12")
	make := func(form url.Values) (int, string) {
		form.Set("csrf_token", samCSRF)
		return status(t, sam, http.MethodPost, srv.URL+"/settings/api-tokens", form)
	}
	t.Run("ErrNoName", func(t *testing.T) {
		code, page := make(url.Values{"name": {"  "}, "scope": {"read"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-name-err"`) || !strings.Contains(page, "give the token a name") {
			t.Fatalf("%d: the missing name is not said beside its field:\n%s", code, page)
		}
	})
	t.Run("ErrUnknownExpiry", func(t *testing.T) {
		code, page := make(url.Values{"name": {"Books"}, "scope": {"read"}, "expires": {"7"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-expires-err"`) {
			t.Fatalf("%d: the unknown expiry is not said beside its field:\n%s", code, page)
		}
	})
	if _, page := status(t, sam, http.MethodGet, srv.URL+"/settings/api-tokens", nil); !strings.Contains(page, "No tokens yet") {
		t.Fatalf("a refused form made a token:\n%s", page)
	}

	code, page := make(url.Values{"name": {"Month-end reconciliation"}, "scope": {"read"}, "expires": {"30"}})
	token := regexp.MustCompile(`id="new-token" class="wide" readonly value="(remit_[0-9a-f]{32}_[A-Za-z0-9_-]+)"`).FindStringSubmatch(page)
	if code != http.StatusCreated || token == nil {
		t.Fatalf("make a token: %d, not shown:\n%s", code, page)
	}
	p, err := programAs(token[1])
	if err != nil || p.Email != "sam@firm.example" || p.CanWrite() {
		t.Fatalf("the new read token signs in as %+v, %v; want Sam, read only", p, err)
	}
	_, page = status(t, sam, http.MethodGet, srv.URL+"/settings/api-tokens", nil)
	if strings.Contains(page, token[1]) || !strings.Contains(page, "Month-end reconciliation") || !strings.Contains(page, "Read only") {
		t.Fatalf("the list shows the secret again, or not the token:\n%s", page)
	}
	bridge := url.Values{"_token": {"8f4c2a9e-0d1b-4c3e-9a7f-5b6d8e9f0a1b"}, "name": {"Xero bridge"}, "scope": {"write"}}
	if _, page := make(bridge); !regexp.MustCompile(`readonly value="remit_`).MatchString(page) {
		t.Fatalf("make a write token:\n%s", page)
	}
	// The same form sent again (a double click, a reload) makes nothing.
	code, page = make(bridge)
	if code != http.StatusConflict || !strings.Contains(page, "already sent") || regexp.MustCompile(`readonly value="remit_`).MatchString(page) {
		t.Fatalf("the form sent again: %d\n%s", code, page)
	}
	if n := strings.Count(page, "<td>Xero bridge</td>"); n != 1 {
		t.Fatalf("the form sent twice made %d tokens, want 1:\n%s", n, page)
	}
	tokenID := regexp.MustCompile(`href="/settings/api-tokens/([0-9a-f-]{36})/revoke">Revoke<span class="sr"> Month-end`).FindStringSubmatch(page)
	if tokenID == nil {
		t.Fatalf("no revoke link for the first token:\n%s", page)
	}

	kim, kimCSRF := signIn("kim@firm.example", "kim-password-12")
	if code, _ := status(t, kim, http.MethodPost, srv.URL+"/settings/api-tokens/"+tokenID[1]+"/revoke", url.Values{"csrf_token": {kimCSRF}}); code != http.StatusNotFound {
		t.Errorf("another staff member revokes Sam's token: %d, want 404", code)
	}

	owner, ownerCSRF := signIn("owner@firm.example", "owner-password-1")
	_, page = status(t, owner, http.MethodGet, srv.URL+"/settings/api-tokens", nil)
	if !strings.Contains(page, "Other users' tokens") || !strings.Contains(page, "sam@firm.example") {
		t.Fatalf("the owner does not see Sam's tokens:\n%s", page)
	}
	if strings.Contains(page, `action="/settings/api-tokens/`+tokenID[1]+`/revoke"`) {
		t.Error("the list revokes in one click")
	}
	code, page = status(t, owner, http.MethodGet, srv.URL+"/settings/api-tokens/"+tokenID[1]+"/revoke", nil)
	if code != http.StatusOK || !strings.Contains(page, "Revoke the API token Month-end reconciliation?") || !strings.Contains(page, `action="/settings/api-tokens/`+tokenID[1]+`/revoke"`) {
		t.Fatalf("confirm page: %d\n%s", code, page)
	}
	if code, _ := status(t, owner, http.MethodPost, srv.URL+"/settings/api-tokens/"+tokenID[1]+"/revoke", url.Values{"csrf_token": {ownerCSRF}}); code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", code)
	}
	if _, err := programAs(token[1]); err == nil {
		t.Error("a revoked token still signs a program in")
	}
	if _, page := status(t, sam, http.MethodGet, srv.URL+"/settings/api-tokens", nil); !strings.Contains(page, "revoked") {
		t.Errorf("Sam's list does not say the token was revoked:\n%s", page)
	}

	audra, audraCSRF := signIn("audra@firm.example", "audra-password-1")
	if _, page := status(t, audra, http.MethodGet, srv.URL+"/settings/api-tokens", nil); !strings.Contains(page, "cannot make tokens") || strings.Contains(page, `id="make-token"`) {
		t.Errorf("the auditor is offered the form:\n%s", page)
	}
	if code, _ := status(t, audra, http.MethodPost, srv.URL+"/settings/api-tokens", url.Values{"csrf_token": {audraCSRF}, "name": {"Audit"}, "scope": {"read"}}); code != http.StatusForbidden {
		t.Errorf("an auditor makes a token: %d, want 403", code)
	}
}
