package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"remit/domain/user"
	"remit/web/api"
	"remit/web/auth"
	"remit/web/ui"
)

// oneServer is Remit's one HTTP server as `remit serve` runs it: the API
// and the UI on one router, behind sign-in, over newApp's parts, with an
// owner, a staff member and an auditor. It returns the server's URL.
func oneServer(t *testing.T) (*app, string) {
	t.Helper()
	a := newApp(t)
	au, err := auth.New(auth.Config{Store: a.store, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []auth.NewUser{
		{Email: "owner@firm.example", Role: user.RoleOwner, Password: "owner-password-1"},
		{Email: "staff@firm.example", Role: user.RoleStaff, Password: "staff-password-1"},
		{Email: "audit@firm.example", Role: user.RoleAuditor, Password: "audit-password-1"},
	} {
		if _, err := au.AddUser(context.Background(), u, "test"); err != nil {
			t.Fatal(err)
		}
	}
	clock := func() time.Time { return now }
	u := ui.New(ui.Config{Billing: a.svc, Models: a.models, Runner: a.runner, Store: a.store, Now: clock, Auth: au, Users: au})
	srv := api.NewServer(api.Config{Addr: "127.0.0.1:0", Store: a.store, Billing: a.svc, Models: a.models, Runner: a.runner, Now: clock, Auth: au, UI: u})
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return a, srv.URL()
}

// csrfOf is the CSRF token a signed-in page carries in its forms.
func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in %.300s", body)
	}
	return m[1]
}

// TestOneServerAnswersErrorsByPath: the one server answers a path no route
// takes with a JSON problem under /api/ and with the UI's HTML error page
// everywhere else, from the same error; so too a method a route does not
// take.
func TestOneServerAnswersErrorsByPath(t *testing.T) {
	_, base := oneServer(t)
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	resp, body := fetch(t, anon, http.MethodGet, base+"/api/nowhere", nil)
	var p api.Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil || resp.StatusCode != http.StatusNotFound ||
		resp.Header.Get("Content-Type") != "application/problem+json" || p.Status != http.StatusNotFound || !strings.Contains(p.Detail, "/api/nowhere") {
		t.Errorf("GET /api/nowhere: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}

	owner := signedIn(t, base, "owner@firm.example", "owner-password-1")
	for _, c := range []struct {
		who    string
		client *http.Client
	}{{"signed out", anon}, {"signed in", owner}} {
		resp, body := fetch(t, c.client, http.MethodGet, base+"/nowhere", nil)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "There is nothing at /nowhere.") {
			t.Errorf("GET /nowhere %s: %d %.300s", c.who, resp.StatusCode, body)
		}
		inLayout(t, "GET /nowhere "+c.who, resp, body)
		if signedOut := strings.Contains(body, `href="/login"`); signedOut != (c.client == anon) {
			t.Errorf("GET /nowhere %s: leads to sign-in = %v", c.who, signedOut)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET /nowhere %s: CSP %q", c.who, csp)
		}
	}

	req, _ := http.NewRequest(http.MethodDelete, base+"/clients", nil)
	resp, err := owner.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got := read(t, resp)
	if got.Status != http.StatusMethodNotAllowed || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(got.Body, "DELETE is not allowed on /clients.") {
		t.Errorf("DELETE /clients: %d %s %.300s", got.Status, resp.Header.Get("Content-Type"), got.Body)
	}
	req, _ = http.NewRequest(http.MethodDelete, base+"/api/clients", nil)
	resp, err = owner.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, resp); got.Status != http.StatusMethodNotAllowed || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("DELETE /api/clients: %d %s %.300s", got.Status, resp.Header.Get("Content-Type"), got.Body)
	}
}

// TestOneServerForbiddenUIAction: an action the signed-in person's role may
// not take is 403 with the UI's HTML error page saying why: staff on the
// owners' users page, an auditor changing a client.
func TestOneServerForbiddenUIAction(t *testing.T) {
	a, base := oneServer(t)
	id := a.mustClient("Acme")

	staff := signedIn(t, base, "staff@firm.example", "staff-password-1")
	_, page := fetch(t, staff, http.MethodGet, base+"/clients", nil)
	ownerID := user.IDForEmail("owner@firm.example").String()
	resp, body := fetch(t, staff, http.MethodPost, base+"/settings/users/"+ownerID+"/role", url.Values{"csrf_token": {csrfOf(t, page)}, "role": {"auditor"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Only an owner can do this.") {
		t.Errorf("staff changing a role: %d %.300s", resp.StatusCode, body)
	}
	inLayout(t, "staff changing a role", resp, body)

	audit := signedIn(t, base, "audit@firm.example", "audit-password-1")
	_, page = fetch(t, audit, http.MethodGet, base+"/clients", nil)
	resp, body = fetch(t, audit, http.MethodPost, base+"/clients/"+id.String()+"/archive", url.Values{"csrf_token": {csrfOf(t, page)}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "may only look") {
		t.Errorf("auditor archiving a client: %d %.300s", resp.StatusCode, body)
	}
	inLayout(t, "auditor archiving a client", resp, body)
}
