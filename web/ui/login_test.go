package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"remit/domain/user"
	"remit/eventstore/sqlite"
	"remit/web/auth"
	"remit/web/ui"

	"golang.org/x/crypto/bcrypt"
)

// TestGate: pages need a signed-in person; sign-in rotates into a session
// whose CSRF token every change must carry; auditors only look.
func TestGate(t *testing.T) {
	st, err := sqlite.Open(t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := auth.New(auth.Config{Store: st, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, u := range []auth.NewUser{
		{Email: "owner@firm.example", Role: user.RoleOwner, Password: "owner-password-1"},
		{Email: "audit@firm.example", Role: user.RoleAuditor, Password: "audit-password-1"},
	} {
		if _, err := a.AddUser(ctx, u, "test"); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string // what reached the UI: method, path, csrf
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.PrincipalFrom(r.Context())
		seen = append(seen, r.Method+" "+r.URL.Path+" "+p.Actor())
		w.Write([]byte("page for " + p.Actor() + " csrf=" + p.CSRFToken))
	})
	srv := httptest.NewServer(ui.SignInOver(inner, ui.Config{Auth: a, Store: st}))
	defer srv.Close()
	browser := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	signIn := func(c *http.Client, email, pw string) (string, int) {
		resp, err := c.PostForm(srv.URL+"/login", url.Values{"email": {email}, "password": {pw}, "next": {"/clients"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			return "", resp.StatusCode
		}
		page, err := c.Get(srv.URL + "/clients")
		if err != nil {
			t.Fatal(err)
		}
		defer page.Body.Close()
		raw, _ := io.ReadAll(page.Body)
		_, csrf, _ := strings.Cut(string(raw), "csrf=")
		return csrf, page.StatusCode
	}

	c := browser()
	resp, _ := c.Get(srv.URL + "/clients/x")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("anonymous page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, code := signIn(c, "owner@firm.example", "wrong-password-1"); code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", code)
	}
	csrf, code := signIn(c, "owner@firm.example", "owner-password-1")
	if code != http.StatusOK || csrf == "" {
		t.Fatalf("owner sign-in: %d csrf %q", code, csrf)
	}
	post := func(c *http.Client, form url.Values) int {
		resp, err := c.PostForm(srv.URL+"/clients", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	n := len(seen)
	if code := post(c, url.Values{"name": {"Acme"}}); code != http.StatusForbidden {
		t.Fatalf("change without the CSRF token: %d", code)
	}
	if code := post(c, url.Values{"name": {"Acme"}, "csrf_token": {"forged"}}); code != http.StatusForbidden {
		t.Fatalf("change with a wrong CSRF token: %d", code)
	}
	if len(seen) != n {
		t.Fatalf("refused changes reached the UI: %v", seen[n:])
	}
	if code := post(c, url.Values{"name": {"Acme"}, "csrf_token": {csrf}}); code != http.StatusOK {
		t.Fatalf("change with the token: %d", code)
	}

	aud := browser()
	acsrf, _ := signIn(aud, "audit@firm.example", "audit-password-1")
	if code := post(aud, url.Values{"name": {"Acme"}, "csrf_token": {acsrf}}); code != http.StatusForbidden {
		t.Fatalf("auditor change: %d", code)
	}

	// Signing out ends the session.
	resp, _ = c.PostForm(srv.URL+"/logout", url.Values{"csrf_token": {csrf}})
	resp.Body.Close()
	if resp, _ := c.Get(srv.URL + "/clients"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d", resp.StatusCode)
	}
	// A redirect never leaves Remit.
	resp, _ = browser().PostForm(srv.URL+"/login", url.Values{"email": {"owner@firm.example"}, "password": {"owner-password-1"}, "next": {"//evil.example/x"}})
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Fatalf("next=//evil.example redirected to %q", loc)
	}
}

// TestLoginNextStaysInRemit: after sign-in, the next parameter leads only
// to a path of Remit's own; anything a URL parser could read as another
// host (control characters, backslashes, //, a scheme) leads to /.
func TestLoginNextStaysInRemit(t *testing.T) {
	srv, a, _ := setupServer(t)
	if _, err := a.AddUser(context.Background(), auth.NewUser{Email: "owner@firm.example", Role: user.RoleOwner, Password: "owner-password-1"}, "test"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ next, want string }{
		{"/clients?filter=active", "/clients?filter=active"},
		{"/invoices/abc#lines", "/invoices/abc#lines"},
		{"", "/"},
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/\r/evil.example", "/"},
		{"/\x00/evil.example", "/"},
		{"/\x7f/evil.example", "/"},
		{"\t/evil.example", "/"},
		{"//evil.example", "/"},
		{"///evil.example", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"/clients\\..\\x", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"/%09/evil.example", "/%09/evil.example"}, // still encoded: a path of Remit's
	} {
		t.Run(url.QueryEscape(tc.next), func(t *testing.T) {
			// The next parameter arrives in the query of the sign-in page and
			// in the form's hidden field.
			c := setupBrowser()
			code, page := status(t, c, http.MethodGet, srv.URL+"/login?next="+url.QueryEscape(tc.next), nil)
			if code != http.StatusOK {
				t.Fatalf("sign-in page: %d", code)
			}
			if strings.Contains(page, "evil.example") && tc.want == "/" {
				t.Errorf("the sign-in page carries next=%q on", tc.next)
			}
			resp, err := c.PostForm(srv.URL+"/login", url.Values{"email": {"owner@firm.example"}, "password": {"owner-password-1"}, "next": {tc.next}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in: %d", resp.StatusCode)
			}
			if loc := resp.Header.Get("Location"); loc != tc.want {
				t.Errorf("next=%q: Location %q, want %q", tc.next, loc, tc.want)
			}
		})
	}
}
