package ui_test

import (
	"database/sql"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"remit/domain/user"
	"remit/eventstore/sqlite"
	"remit/web/auth"
	"remit/web/auth/authdb"
	"remit/web/ui"
)

// A sign-out the sign-in state could not record is not shown as done (a
// redirect to the sign-in page): the session would still let its cookie in.
func TestLogoutFailsWhenTheSessionCannotEnd(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db, err := authdb.OpenSQLite(dir, authdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, err := auth.New(auth.Config{Store: st, BcryptCost: bcrypt.MinCost, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.AddUser(t.Context(), auth.NewUser{Email: "owner@firm.example", Role: user.RoleOwner, Password: "owner-password-1"}, "test"); err != nil {
		t.Fatal(err)
	}
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.PrincipalFrom(r.Context())
		w.Write([]byte("csrf=" + p.CSRFToken))
	})
	srv := httptest.NewServer(ui.SignInOver(inner, ui.Config{Auth: a, Store: st}))
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(srv.URL+"/login", url.Values{"email": {"owner@firm.example"}, "password": {"owner-password-1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	page := func() (string, int) {
		resp, err := c.Get(srv.URL + "/clients")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		_, csrf, _ := strings.Cut(string(raw), "csrf=")
		return csrf, resp.StatusCode
	}
	csrf, code := page()
	if code != http.StatusOK || csrf == "" {
		t.Fatalf("sign-in: %d csrf %q", code, csrf)
	}

	// Sessions can be read but no longer deleted.
	raw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, authdb.File)+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TRIGGER keep_sessions BEFORE DELETE ON ` + authdb.SessionsTable + ` BEGIN SELECT RAISE(ABORT, 'sessions cannot be deleted'); END`); err != nil {
		t.Fatal(err)
	}

	resp, err = c.PostForm(srv.URL+"/logout", url.Values{"csrf_token": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("sign-out answered %d (Location %q) although the session still works, want 500", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, code := page(); code != http.StatusOK {
		t.Fatalf("the session was ended after all (%d): the test's trigger did not hold", code)
	}

	// Nor when the session cannot even be read.
	db.Close()
	resp, err = c.PostForm(srv.URL+"/logout", url.Values{"csrf_token": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("sign-out with the sign-in state unreachable answered %d (Location %q), want 500", resp.StatusCode, resp.Header.Get("Location"))
	}
}
