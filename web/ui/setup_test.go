package ui_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"remit/domain/user"
	"remit/eventstore/sqlite"
	"remit/web/auth"
	"remit/web/ui"
)

type setupClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *setupClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *setupClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// setupServer is the UI's sign-in over a page that tells who is signed in, on an
// empty store.
func setupServer(t *testing.T) (*httptest.Server, *auth.Authenticator, *setupClock) {
	t.Helper()
	return setupServerWith(t, nil)
}

// setupServerWith is setupServer with configure (if not nil) changing the
// UI's configuration.
func setupServerWith(t *testing.T, configure func(*ui.Config)) (*httptest.Server, *auth.Authenticator, *setupClock) {
	t.Helper()
	st, err := sqlite.Open(t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := &setupClock{t: time.Now()} // the cookie jar keeps the session cookie by the real clock
	a, err := auth.New(auth.Config{Store: st, BcryptCost: bcrypt.MinCost, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.PrincipalFrom(r.Context())
		w.Write([]byte("page for " + p.Email + " (" + string(p.Role) + ")"))
	})
	cfg := ui.Config{Auth: a, Store: st}
	if configure != nil {
		configure(&cfg)
	}
	srv := httptest.NewServer(ui.SignInOver(inner, cfg))
	t.Cleanup(srv.Close)
	return srv, a, clock
}

func setupBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func status(t *testing.T, c *http.Client, method, u string, form url.Values) (int, string) {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = c.PostForm(u, form)
	} else {
		resp, err = c.Get(u)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSetupLink: the first-run link shown by serve makes the first owner
// and signs them in, once; then, and for a wrong, expired or superseded
// link, it is a 404.
func TestSetupLink(t *testing.T) {
	srv, a, clock := setupServer(t)
	var logs bytes.Buffer
	ui.AnnounceSetup(context.Background(), a, slog.New(slog.NewTextHandler(&logs, nil)), "node-a", srv.URL, nil)
	link := regexp.MustCompile(`http://127\.0\.0\.1:\d+/setup/[A-Za-z0-9_-]+`).FindString(logs.String())
	if link == "" {
		t.Fatalf("no setup link logged: %s", logs.String())
	}
	// Another node starting on the store keeps node-a's link and says so.
	var other bytes.Buffer
	ui.AnnounceSetup(context.Background(), a, slog.New(slog.NewTextHandler(&other, nil)), "node-b", srv.URL, nil)
	if got := other.String(); strings.Contains(got, "/setup/") || !strings.Contains(got, "node=node-a") || !strings.Contains(got, "until=") || !strings.Contains(got, "remit user add") {
		t.Errorf("a second node's start logged %q, want that node-a made the link, until when, and how to get another", got)
	}
	c := setupBrowser()
	if code, _ := status(t, c, http.MethodGet, srv.URL+"/setup/not-the-token", nil); code != http.StatusNotFound {
		t.Errorf("a wrong token: %d, want 404", code)
	}
	if code, body := status(t, c, http.MethodGet, link, nil); code != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("the setup page: %d %s", code, body)
	}
	good := url.Values{"email": {"Olive@Firm.example"}, "name": {"Olive Owner"}, "password": {"a long passphrase 1"}, "password2": {"a long passphrase 1"}}
	differ := url.Values{"email": good["email"], "password": good["password"], "password2": {"something else 12"}}
	if code, body := status(t, c, http.MethodPost, link, differ); code != http.StatusUnprocessableEntity || !strings.Contains(fieldError(body, "password2"), "differ") {
		t.Errorf("passwords that differ: %d, beside Password again %q", code, fieldError(body, "password2"))
	}
	// A refused form says what is wrong beside the input, tied to it for
	// screen readers, and keeps what was typed except the passwords.
	short := url.Values{"email": good["email"], "name": good["name"], "password": {"short"}, "password2": {"short"}}
	code, body := status(t, c, http.MethodPost, link, short)
	if code != http.StatusUnprocessableEntity || !strings.Contains(fieldError(body, "password"), "at least 12") {
		t.Errorf("a short password: %d, beside Password %q; want 422 and the rule", code, fieldError(body, "password"))
	}
	for _, want := range []string{`aria-describedby="f-password-err"`, `value="Olive@Firm.example"`, `value="Olive Owner"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the refused setup form lacks %s", want)
		}
	}
	if strings.Contains(body, "short") && strings.Contains(body, `value="short"`) {
		t.Error("the refused setup form echoes the password")
	}
	badEmail := url.Values{"email": {"not an email"}, "password": good["password"], "password2": good["password"]}
	if code, body := status(t, c, http.MethodPost, link, badEmail); code != http.StatusUnprocessableEntity || fieldError(body, "email") == "" {
		t.Errorf("a bad email: %d, beside Email %q", code, fieldError(body, "email"))
	}
	if us, _ := a.Users(context.Background()); len(us) != 0 {
		t.Fatalf("refused setups made %d users", len(us))
	}
	resp, err := c.PostForm(link, good)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings/firm" {
		t.Fatalf("setup: %d to %q, want 303 to the firm's settings, which are not set up yet", resp.StatusCode, resp.Header.Get("Location"))
	}
	if code, body := status(t, c, http.MethodGet, srv.URL+"/", nil); code != http.StatusOK || !strings.Contains(body, "olive@firm.example (owner)") {
		t.Errorf("after setup the browser is not signed in as the owner: %d %s", code, body)
	}
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if code, _ := status(t, setupBrowser(), m, link, good); code != http.StatusNotFound {
			t.Errorf("%s of a used link: %d, want 404", m, code)
		}
	}
	if us, _ := a.Users(context.Background()); len(us) != 1 || us[0].Role != user.RoleOwner {
		t.Errorf("users after setup: %+v", us)
	}
	if _, err := a.StartSetup(context.Background(), 0); err == nil {
		t.Error("a setup link was made for a store with users")
	}
	_ = clock
}

func TestSetupLinkExpiresAndDiesWithAnOwner(t *testing.T) {
	srv, a, clock := setupServer(t)
	ctx := context.Background()
	tok, err := a.StartSetup(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(61 * time.Minute)
	if code, _ := status(t, setupBrowser(), http.MethodGet, srv.URL+"/setup/"+tok, nil); code != http.StatusNotFound {
		t.Errorf("an expired link: %d, want 404", code)
	}
	tok, err = a.StartSetup(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddUser(ctx, auth.NewUser{Email: "cli@firm.example", Role: user.RoleOwner, Password: "a long passphrase 2"}, "cli"); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"email": {"late@firm.example"}, "password": {"a long passphrase 3"}, "password2": {"a long passphrase 3"}}
	if code, _ := status(t, setupBrowser(), http.MethodPost, srv.URL+"/setup/"+tok, form); code != http.StatusNotFound {
		t.Errorf("the link after an owner was added: %d, want 404", code)
	}
	if us, _ := a.Users(ctx); len(us) != 1 {
		t.Errorf("%d users, want 1", len(us))
	}
}
