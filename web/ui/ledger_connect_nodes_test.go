package ui_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"remit/domain/user"
	"remit/integrations/accounting/qbo/qbotest"
	"remit/web/auth"
	"remit/web/auth/authdb"
	"remit/web/ui"
)

// TestLedgerConnectAcrossNodes: two UI nodes over one log and one sign-in
// state (DATA/auth.db) behind one address. The owner signs in and starts
// connecting QuickBooks Online on node A; the provider's callback lands on
// node B, which finishes the connection. The same callback again, on node
// A, is refused: the flow was used.
func TestLedgerConnectAcrossNodes(t *testing.T) {
	qs := qbotest.New(t, qbotest.Options{})
	a := newApp(t)
	signInDir, dataDir := t.TempDir(), t.TempDir()
	openDB := func() *authdb.DB {
		d, err := authdb.OpenSQLite(signInDir, authdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	newAuth := func(db *authdb.DB) *auth.Authenticator {
		authn, err := auth.New(auth.Config{Store: a.store, BcryptCost: bcrypt.MinCost, DB: db})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { authn.Close() })
		return authn
	}
	first := newAuth(openDB())
	if _, err := first.AddUser(context.Background(), auth.NewUser{Email: "owner@firm.example", Role: user.RoleOwner, Password: "owner-password-1"}, "test"); err != nil {
		t.Fatal(err)
	}
	var nodes [2]http.Handler
	var on atomic.Int32 // the node the next request goes to
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { nodes[on.Load()].ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	c := &connectApp{app: a, url: srv.URL, dataDir: dataDir}
	for i := range nodes {
		authn := first
		if i > 0 {
			authn = newAuth(openDB())
		}
		o := &ui.LedgerOAuth{DataDir: dataDir, PublicURL: srv.URL + "/", QBO: ui.OAuthEndpoints{AuthURL: qs.AuthURL, TokenURL: qs.TokenURL}}
		nodes[i] = ui.New(ui.Config{Billing: a.svc, Models: a.models, Runner: a.runner, Store: a.store, Now: func() time.Time { return now },
			LedgerOAuth: o, Logger: slog.New(slog.NewTextHandler(logWriter{t}, nil)), Auth: authn,
			CSRFToken: func(r *http.Request) string { p, _ := auth.PrincipalFrom(r.Context()); return p.CSRFToken },
			Actor:     func(r *http.Request) string { p, _ := auth.PrincipalFrom(r.Context()); return p.Actor() },
		})
	}

	on.Store(0)
	owner, csrf := c.browser(t, "owner@firm.example", "owner-password-1")
	back := c.start(t, owner, "qbo", connectForm(csrf, qs.ClientID(), qs.ClientSecret()), qs.AuthURL)
	on.Store(1)
	cb := do(t, owner, http.MethodGet, back, nil)
	if cb.Status != http.StatusSeeOther || cb.Location != "/ledger" {
		t.Fatalf("the callback on node B = %d to %q: %s", cb.Status, cb.Location, cb.Body)
	}
	if doc := c.secretsFile(t, "qbo"); doc["refresh_token"] != qs.RefreshToken() {
		t.Errorf("secrets file after the callback on node B: %v", doc)
	}
	on.Store(0)
	again := do(t, owner, http.MethodGet, back, nil)
	if again.Status != http.StatusBadRequest {
		t.Fatalf("the same callback again on node A = %d, want 400", again.Status)
	}
	mustContain(t, again, "already used")
}
