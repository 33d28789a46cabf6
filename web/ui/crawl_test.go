package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"remit/domain/user"
	"remit/web/auth"
	"remit/web/ui"
)

// layoutMark is in every page of the app's layout.
const layoutMark = `<a class="brand" href="/clients">Remit</a>`

var (
	hrefRE     = regexp.MustCompile(`href="(/[^"#]*)`)
	postFormRE = regexp.MustCompile(`<form[^>]*method="post"[^>]*action="([^"]*)"`)
)

// gatedApp is the UI behind sign-in (Config.Auth) over newApp's parts, with an
// owner, a staff member and an auditor, and a client with a card, a
// service, an invoice and a sent proposal.
func gatedApp(t *testing.T) (*app, string) {
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
	h := ui.New(ui.Config{Billing: a.svc, Models: a.models, Runner: a.runner, Store: a.store, Now: func() time.Time { return now },
		CSRFToken:  func(r *http.Request) string { p, _ := auth.PrincipalFrom(r.Context()); return p.CSRFToken },
		Actor:      func(r *http.Request) string { p, _ := auth.PrincipalFrom(r.Context()); return p.Actor() },
		BillingRun: func(context.Context) (any, error) { return nil, nil }, Auth: au})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	c := a.mustClient("Acme")
	a.mustCard(c, "pm_card_visa")
	a.mustService(c, "Bookkeeping", "250", date("2025-03-01"), true)
	a.mustService(c, "Tax return", "900", date("2025-04-01"), false)
	a.mustInvoice(c, "100")
	a.mustSentProposal(c, "Monthly books")
	return a, srv.URL
}

func signedIn(t *testing.T, base, email, pw string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/login", url.Values{"email": {email}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d", email, resp.StatusCode)
	}
	return c
}

func fetch(t *testing.T, c *http.Client, method, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = c.PostForm(u, form)
	} else {
		resp, err = c.Get(u)
	}
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// inLayout fails unless the answer is an HTML page in the app's layout.
func inLayout(t *testing.T, what string, resp *http.Response, body string) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s: %d %s, want an HTML page: %.200s", what, resp.StatusCode, ct, body)
		return
	}
	if !strings.Contains(body, layoutMark) || !strings.Contains(body, `<main id="main"`) {
		t.Errorf("%s: %d, not in the app's layout: %.300s", what, resp.StatusCode, body)
	}
}

// downloads are the links that are files, not pages.
func isDownload(path string) bool {
	return strings.HasSuffix(path, "/pdf") || strings.HasSuffix(path, "/ubl") || strings.HasPrefix(path, "/static/") || strings.HasPrefix(path, "/firm/logo/")
}

// TestEveryPageInTheLayout crawls the UI as an owner, a staff member and an
// auditor: every page (and every refusal) is an HTML page in the app's
// layout, and each role's pages offer only what the role may use: staff see
// no Users or Settings, auditors no action that changes anything.
func TestEveryPageInTheLayout(t *testing.T) {
	_, base := gatedApp(t)

	// Before signing in.
	anon := signedIn(t, base, "owner@firm.example", "owner-password-1")
	anon.Jar, _ = cookiejar.New(nil)
	for _, p := range []string{"/login", "/setup/not-a-token", "/set-password/not-a-token"} {
		resp, body := fetch(t, anon, http.MethodGet, base+p, nil)
		inLayout(t, "GET "+p+" signed out", resp, body)
	}
	resp, body := fetch(t, anon, http.MethodPost, base+"/clients/new", url.Values{"name": {"X"}})
	inLayout(t, "POST signed out", resp, body)

	for _, role := range []struct {
		email, pw string
		role      user.Role
	}{
		{"owner@firm.example", "owner-password-1", user.RoleOwner},
		{"staff@firm.example", "staff-password-1", user.RoleStaff},
		{"audit@firm.example", "audit-password-1", user.RoleAuditor},
	} {
		t.Run(string(role.role), func(t *testing.T) {
			c := signedIn(t, base, role.email, role.pw)
			seen := map[string]bool{}
			queue := []string{"/clients"}
			if role.role == user.RoleOwner {
				queue = append(queue, "/settings/users", "/settings/firm")
			}
			for len(queue) > 0 && len(seen) < 120 {
				p := queue[0]
				queue = queue[1:]
				if seen[p] {
					continue
				}
				seen[p] = true
				resp, body := fetch(t, c, http.MethodGet, base+p, nil)
				if resp.StatusCode == http.StatusSeeOther {
					continue
				}
				inLayout(t, "GET "+p, resp, body)
				if role.role != user.RoleOwner && (strings.Contains(body, `href="/settings/users"`) || strings.Contains(body, `href="/settings/firm"`)) {
					t.Errorf("%s sees owners' settings on %s", role.role, p)
				}
				if strings.Contains(body, "visually-hidden") {
					t.Errorf("%s has text hidden with an undefined class", p)
				}
				if role.role == user.RoleAuditor {
					for _, m := range postFormRE.FindAllStringSubmatch(body, -1) {
						if m[1] != "/logout" {
							t.Errorf("an auditor is offered %s on %s", m[1], p)
						}
					}
				}
				for _, m := range hrefRE.FindAllStringSubmatch(body, -1) {
					link := strings.ReplaceAll(m[1], "&amp;", "&")
					if !isDownload(link) && !seen[link] {
						queue = append(queue, link)
					}
				}
			}
			if len(seen) < 15 {
				t.Errorf("crawled only %d pages: %v", len(seen), seen)
			}

			// Refusals and errors are pages too.
			resp, body := fetch(t, c, http.MethodGet, base+"/no/such/page", nil)
			inLayout(t, "an unknown page", resp, body)
			resp, body = fetch(t, c, http.MethodPost, base+"/clients/new", url.Values{"name": {"X"}})
			inLayout(t, "a form without its CSRF token", resp, body)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("a form without its CSRF token = %d, want 403", resp.StatusCode)
			}
			if role.role != user.RoleOwner {
				for _, p := range []string{"/settings/users", "/settings/firm"} {
					resp, body := fetch(t, c, http.MethodGet, base+p, nil)
					inLayout(t, role.email+" on "+p, resp, body)
					if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Only an owner") {
						t.Errorf("%s on %s = %d", role.role, p, resp.StatusCode)
					}
				}
			}
		})
	}

	// A form too large to read is refused as such (not as an expired form).
	staff := signedIn(t, base, "staff@firm.example", "staff-password-1")
	resp, body = fetch(t, staff, http.MethodPost, base+"/clients/new", url.Values{"name": {strings.Repeat("x", 2<<20)}})
	inLayout(t, "a form too large", resp, body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a form too large = %d, want 413", resp.StatusCode)
	}

	// An auditor's change is refused with a page that leads back; a card
	// number typed where none belongs, beside its field on the form.
	for _, tc := range []struct {
		email, pw, path string
		form            url.Values
		status          int
		besideField     bool
	}{
		{"audit@firm.example", "audit-password-1", "/clients/new", url.Values{"name": {"X"}}, http.StatusForbidden, false},
		{"staff@firm.example", "staff-password-1", "/clients/new", url.Values{"name": {"4242 4242 4242 4242"}}, http.StatusUnprocessableEntity, true},
	} {
		c := signedIn(t, base, tc.email, tc.pw)
		_, page := fetch(t, c, http.MethodGet, base+"/clients", nil)
		csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
		if csrf == nil {
			t.Fatalf("no CSRF token for %s", tc.email)
		}
		tc.form.Set("csrf_token", csrf[1])
		req, _ := http.NewRequest(http.MethodPost, base+tc.path, strings.NewReader(tc.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Referer", base+"/clients/new")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		inLayout(t, tc.email+" POST "+tc.path, resp, string(b))
		if tc.besideField {
			if resp.StatusCode != tc.status || fieldError(string(b), "name") == "" {
				t.Errorf("%s POST %s = %d, want %d with the error beside the name: %.400s", tc.email, tc.path, resp.StatusCode, tc.status, b)
			}
			continue
		}
		if resp.StatusCode != tc.status || !strings.Contains(string(b), `<a href="/clients/new">Back</a>`) {
			t.Errorf("%s POST %s = %d, want %d with a way back: %.400s", tc.email, tc.path, resp.StatusCode, tc.status, b)
		}
	}
}
