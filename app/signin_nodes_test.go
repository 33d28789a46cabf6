package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"remit/app"
	"remit/domain/user"
	"remit/eventstore/postgres/pgtest"
	"remit/web/auth"
)

// TestSessionsSharedOnPostgres: two `remit serve` on one PostgreSQL store
// share sign-ins: a session started on node one reads and writes (with its
// CSRF token) on node two, and signing out on node two ends it on node one.
func TestSessionsSharedOnPostgres(t *testing.T) {
	url := pgtest.MustDatabase(t)
	ctx := context.Background()
	open := func() *app.App {
		t.Helper()
		a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), StoreURL: url, Addr: "127.0.0.1:0", NoOutbox: true, NoBillingRun: true, NoLedgerSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}
	one := open()
	if _, err := one.Auth.AddUser(ctx, auth.NewUser{Email: "olive@firm.example", Name: "Olive", Role: user.RoleOwner, Password: "a long passphrase 1"}, "test"); err != nil {
		t.Fatal(err)
	}
	two := open()
	send := func(a *app.App, method, path, body string, cookie *http.Cookie, csrf string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, a.URL()+path, bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if cookie != nil {
			req.AddCookie(cookie)
		}
		if csrf != "" {
			req.Header.Set(auth.CSRFHeader, csrf)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	login := send(one, http.MethodPost, "/api/login", `{"email":"olive@firm.example","password":"a long passphrase 1"}`, nil, "")
	if login.StatusCode != http.StatusOK {
		t.Fatalf("sign in on node one: %d", login.StatusCode)
	}
	var got struct {
		CSRFToken string `json:"csrf_token"`
	}
	if err := json.NewDecoder(login.Body).Decode(&got); err != nil || got.CSRFToken == "" {
		t.Fatalf("sign-in answer: %+v %v", got, err)
	}
	var cookie *http.Cookie
	for _, c := range login.Cookies() {
		if c.Name == auth.SessionCookie {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no session cookie")
	}
	if r := send(two, http.MethodGet, "/api/session", "", cookie, ""); r.StatusCode != http.StatusOK {
		t.Fatalf("the session on node two: %d", r.StatusCode)
	}
	if r := send(two, http.MethodPost, "/api/firm", `{"name":"Ledger & Co","base_currency":"AUD","time_zone":"Australia/Sydney"}`, cookie, "wrong"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a write on node two with a wrong CSRF token: %d, want 403", r.StatusCode)
	}
	if r := send(two, http.MethodPost, "/api/firm", `{"name":"Ledger & Co","base_currency":"AUD","time_zone":"Australia/Sydney"}`, cookie, got.CSRFToken); r.StatusCode != http.StatusCreated {
		t.Fatalf("a write on node two with the session's CSRF token: %d", r.StatusCode)
	}
	if r := send(two, http.MethodPost, "/api/logout", "", cookie, got.CSRFToken); r.StatusCode/100 != 2 {
		t.Fatalf("sign out on node two: %d", r.StatusCode)
	}
	if r := send(one, http.MethodGet, "/api/session", "", cookie, ""); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the session signed out on node two, on node one: %d, want 401", r.StatusCode)
	}
}
