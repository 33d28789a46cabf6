package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"golang.org/x/crypto/bcrypt"

	"remit/domain/user"
	"remit/eventstore"
	"remit/eventstore/postgres/pgtest"
	"remit/web/auth"
	"remit/web/auth/authdb"
)

// signInBackends open one more handle on the same sign-in database per
// call: each handle is one node (or the same node after a restart).
func signInBackends(t *testing.T) map[string]func(tb testing.TB) *authdb.DB {
	dir := t.TempDir()
	bs := map[string]func(tb testing.TB) *authdb.DB{
		"sqlite": func(tb testing.TB) *authdb.DB {
			d, err := authdb.OpenSQLite(dir, authdb.Options{})
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { d.Close() })
			return d
		},
	}
	if testing.Short() {
		return bs
	}
	u := pgtest.MustDatabase(t)
	bs["postgres"] = func(tb testing.TB) *authdb.DB {
		d, err := authdb.OpenPostgres(context.Background(), u, authdb.Options{})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { d.Close() })
		return d
	}
	return bs
}

// node is one `remit serve`: an Authenticator over the shared log and the
// shared sign-in state.
func node(tb testing.TB, s eventstore.Store, db *authdb.DB, cfg auth.Config) *auth.Authenticator {
	tb.Helper()
	cfg.Store, cfg.DB, cfg.BcryptCost = s, db, bcrypt.MinCost
	a, err := auth.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	return a
}

const pw = "correct horse battery staple"

func mustUser(tb testing.TB, a *auth.Authenticator, email string, role user.Role) {
	tb.Helper()
	if _, err := a.AddUser(context.Background(), auth.NewUser{Email: email, Name: "Ana", Role: role, Password: pw}, "cli"); err != nil {
		tb.Fatal(err)
	}
}

func withCookie(method, sid, csrf string) *http.Request {
	var r *http.Request
	if method == http.MethodPost {
		r = httptest.NewRequest(method, "/clients", strings.NewReader(url.Values{auth.CSRFField: {csrf}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, "/clients", nil)
	}
	r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: sid})
	return r
}

// signedIn reports whether node a takes the session, and its CSRF token
// on a form post.
func signedIn(a *auth.Authenticator, s auth.Session) bool {
	r := withCookie(http.MethodPost, s.ID, s.CSRFToken)
	p, err := a.Authenticate(r)
	return err == nil && auth.CheckCSRF(r, p)
}

// waitUser waits until node a's directory (kept by its log follower) has
// seen the user another node added.
func waitUser(tb testing.TB, a *auth.Authenticator, id uuid.UUID) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := a.User(context.Background(), id); err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatal("a user added on another node never reached this one")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSessionsAcrossNodes: a session started on one node works, with its
// CSRF token, on another and after a restart; signing out on one ends it
// on every node, and so does a password change.
func TestSessionsAcrossNodes(t *testing.T) {
	for name, open := range signInBackends(t) {
		t.Run(name, func(t *testing.T) {
			s := mustStore(t)
			ctx := context.Background()
			a := node(t, s, open(t), auth.Config{})
			mustUser(t, a, "ana@harbour.example", user.RoleOwner)
			b := node(t, s, open(t), auth.Config{})
			sess, err := a.Login(ctx, "ana@harbour.example", pw, "192.0.2.1:1234")
			if err != nil {
				t.Fatal(err)
			}
			if !signedIn(b, sess) {
				t.Fatal("a session started on node A is refused on node B")
			}
			r := withCookie(http.MethodPost, sess.ID, "another session's token")
			if p, err := b.Authenticate(r); err != nil || auth.CheckCSRF(r, p) {
				t.Fatal("node B takes a wrong CSRF token")
			}
			// Restart: node A goes away, node C starts on the same database.
			a.Close()
			c := node(t, s, open(t), auth.Config{})
			if !signedIn(c, sess) {
				t.Fatal("a session is refused after a restart")
			}
			if err := b.Logout(withCookie(http.MethodPost, sess.ID, "")); err != nil {
				t.Fatal(err)
			}
			if signedIn(c, sess) {
				t.Fatal("a session signed out on node B still works on node C")
			}
			// Sign out everywhere: a password changed on one node ends the
			// user's sessions on all.
			s1, err := b.Login(ctx, "ana@harbour.example", pw, "192.0.2.1:1234")
			if err != nil {
				t.Fatal(err)
			}
			s2, err := c.Login(ctx, "ana@harbour.example", pw, "192.0.2.2:1234")
			if err != nil {
				t.Fatal(err)
			}
			if !signedIn(b, s2) || !signedIn(c, s1) {
				t.Fatal("two sessions of one user do not both work on both nodes")
			}
			if err := c.ChangePassword(ctx, s1.User.ID, "another long passphrase", "cli"); err != nil {
				t.Fatal(err)
			}
			if signedIn(b, s1) || signedIn(b, s2) {
				t.Fatal("a password changed on node C left the user's sessions working on node B")
			}
		})
	}
}

// TestLockoutAcrossNodes: wrong passwords tried on two nodes count
// together, also when they come at once: with MaxFailures n, n-1 failures
// leave the email open, the n-th locks it on every node, even for the
// right password.
func TestLockoutAcrossNodes(t *testing.T) {
	for name, open := range signInBackends(t) {
		t.Run(name, func(t *testing.T) {
			s := mustStore(t)
			ctx := context.Background()
			const max = 12
			cfg := auth.Config{MaxFailures: max, LoginsPerMinute: 100}
			a := node(t, s, open(t), cfg)
			mustUser(t, a, "ana@harbour.example", user.RoleStaff)
			b := node(t, s, open(t), cfg)
			nodes := []*auth.Authenticator{a, b}
			var wg sync.WaitGroup
			for i := range max - 1 {
				wg.Go(func() {
					_, err := nodes[i%2].Login(ctx, "ana@harbour.example", "wrong", "192.0.2.1:1")
					if !errors.Is(err, auth.ErrUnauthenticated) {
						t.Errorf("a wrong password: %v, want ErrUnauthenticated", err)
					}
				})
			}
			wg.Wait()
			if _, err := b.Login(ctx, "ana@harbour.example", "wrong", "192.0.2.1:1"); !errors.Is(err, auth.ErrUnauthenticated) {
				t.Fatalf("the %d-th wrong password: %v", max, err)
			}
			if _, err := a.Login(ctx, "ana@harbour.example", pw, "192.0.2.9:1"); !errors.Is(err, auth.ErrRateLimited) {
				t.Fatalf("after %d failures on two nodes the right password on node A: %v, want ErrRateLimited", max, err)
			}
			// One failure fewer does not lock: a fresh email, max-1 failures.
			mustUser(t, a, "bo@harbour.example", user.RoleStaff)
			for i := range max - 1 {
				wg.Go(func() {
					_, _ = nodes[i%2].Login(ctx, "bo@harbour.example", "wrong", "192.0.2.3:1")
				})
			}
			wg.Wait()
			if _, err := a.Login(ctx, "bo@harbour.example", pw, "192.0.2.9:1"); err != nil {
				t.Fatalf("after %d failures (max %d) the right password: %v", max-1, max, err)
			}
		})
	}
}

// TestSingleUseLinksAcrossNodes: the setup link and a set-password link
// made on one node work on another, once: used there, they are refused
// back on the first.
func TestSingleUseLinksAcrossNodes(t *testing.T) {
	for name, open := range signInBackends(t) {
		t.Run(name, func(t *testing.T) {
			s := mustStore(t)
			ctx := context.Background()
			a, b := node(t, s, open(t), auth.Config{}), node(t, s, open(t), auth.Config{})
			tok, err := a.StartSetup(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !b.SetupOpen(ctx, tok) {
				t.Fatal("node B does not know the setup link node A made")
			}
			owner, err := b.CompleteSetup(ctx, tok, auth.NewUser{Email: "owner@harbour.example", Name: "Owner", Password: pw})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.CompleteSetup(ctx, tok, auth.NewUser{Email: "mallory@harbour.example", Name: "M", Password: pw}); !errors.Is(err, auth.ErrSetupClosed) {
				t.Fatalf("the setup link used on node B, again on node A: %v, want ErrSetupClosed", err)
			}
			bo, link, err := b.InviteUser(ctx, auth.Invite{Email: "bo@harbour.example", Name: "Bo", Role: user.RoleStaff}, "user:"+owner.User.ID.String())
			if err != nil {
				t.Fatal(err)
			}
			waitUser(t, a, bo)
			if _, err := a.SetPasswordWithLink(ctx, link.Token, "short"); err == nil {
				t.Fatal("a short password was taken")
			}
			if _, err := a.SetPasswordWithLink(ctx, link.Token, pw); err != nil {
				t.Fatalf("the invitation made on node B, used on node A (after a refused try): %v", err)
			}
			if _, ok := b.PasswordLinkUser(ctx, link.Token); ok {
				t.Fatal("node B still shows the invitation used on node A")
			}
			if _, err := b.SetPasswordWithLink(ctx, link.Token, "yet another passphrase"); err == nil {
				t.Fatal("the invitation used on node A works again on node B")
			}
		})
	}
}

// TestSetupLinkOnSeveralNodes: nodes starting at once on a store with no
// users make one setup link between them; the others are told which node
// made it and until when. A restarted node replaces its own link (it
// prints the new one), and once the link expires another node makes one.
func TestSetupLinkOnSeveralNodes(t *testing.T) {
	for name, open := range signInBackends(t) {
		t.Run(name, func(t *testing.T) {
			s := mustStore(t)
			ctx := context.Background()
			var now atomic.Int64
			now.Store(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).UnixNano())
			clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
			names := []string{"node-0", "node-1", "node-2"}
			nodes := make([]*auth.Authenticator, len(names))
			for i := range nodes {
				nodes[i] = node(t, s, open(t), auth.Config{Now: clock})
			}
			toks := make([]string, len(nodes))
			helds := make([]*auth.SetupHeld, len(nodes))
			var wg sync.WaitGroup
			for i, a := range nodes {
				wg.Go(func() {
					var err error
					if toks[i], helds[i], err = a.StartSetupOn(ctx, time.Hour, names[i]); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			maker := -1
			for i := range nodes {
				if toks[i] != "" {
					if maker >= 0 {
						t.Fatalf("%s and %s both made a setup link", names[maker], names[i])
					}
					maker = i
				}
			}
			if maker < 0 {
				t.Fatal("no node made a setup link")
			}
			until := clock().Add(time.Hour)
			for i := range nodes {
				if i == maker {
					continue
				}
				if h := helds[i]; h == nil || h.Node != names[maker] || !h.Until.Equal(until) {
					t.Errorf("%s was told %+v, want the link %s made, until %s", names[i], h, names[maker], until)
				}
			}
			other := (maker + 1) % len(nodes)
			if !nodes[other].SetupOpen(ctx, toks[maker]) {
				t.Fatalf("%s does not take the setup link %s made", names[other], names[maker])
			}
			// The maker restarts: it prints a new link, the old one dies.
			tok, held, err := nodes[maker].StartSetupOn(ctx, time.Hour, names[maker])
			if err != nil || held != nil || tok == "" {
				t.Fatalf("%s restarted: %q %+v %v, want a new link", names[maker], tok, held, err)
			}
			if nodes[other].SetupOpen(ctx, toks[maker]) || !nodes[other].SetupOpen(ctx, tok) {
				t.Fatal("after the restart, the old setup link still works or the new one does not")
			}
			// After it expires, another node makes its own.
			now.Add(int64(time.Hour + time.Second))
			tok2, held, err := nodes[other].StartSetupOn(ctx, time.Hour, names[other])
			if err != nil || held != nil || tok2 == "" {
				t.Fatalf("%s after the link expired: %q %+v %v, want a new link", names[other], tok2, held, err)
			}
			if !nodes[maker].SetupOpen(ctx, tok2) {
				t.Fatalf("%s does not take %s's new link", names[maker], names[other])
			}
		})
	}
}

// TestPasswordLinkRefusedPassword: a refused (short) password leaves a
// set-password link usable, a good one uses it once, and a link an owner
// replaced with a new one never works again, even when someone tries a
// weak password on the old link while the new one is made (the old code
// took the link and put it back after the refusal, reviving it).
func TestPasswordLinkRefusedPassword(t *testing.T) {
	for name, open := range signInBackends(t) {
		t.Run(name, func(t *testing.T) {
			s := mustStore(t)
			ctx := context.Background()
			a, b := node(t, s, open(t), auth.Config{}), node(t, s, open(t), auth.Config{})
			id, link, err := a.InviteUser(ctx, auth.Invite{Email: "bo@harbour.example", Name: "Bo", Role: user.RoleStaff}, "cli")
			if err != nil {
				t.Fatal(err)
			}
			waitUser(t, b, id)
			for range 3 {
				if _, err := b.SetPasswordWithLink(ctx, link.Token, "short"); err == nil {
					t.Fatal("a short password was taken")
				}
			}
			if _, ok := a.PasswordLinkUser(ctx, link.Token); !ok {
				t.Fatal("refused passwords used up the link")
			}
			// Old links replaced while weak passwords are tried on them.
			for round := range 30 {
				old := link
				stop := make(chan struct{})
				var wg sync.WaitGroup
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						_, _ = b.SetPasswordWithLink(ctx, old.Token, "short")
					}
				})
				time.Sleep(time.Millisecond)
				if link, err = a.NewPasswordLink(ctx, id); err != nil {
					t.Fatal(err)
				}
				close(stop)
				wg.Wait()
				if _, ok := b.PasswordLinkUser(ctx, old.Token); ok {
					t.Fatalf("round %d: a link replaced by a newer one works again", round)
				}
			}
			if _, err := a.SetPasswordWithLink(ctx, link.Token, pw); err != nil {
				t.Fatalf("the newest link: %v", err)
			}
			if _, err := b.SetPasswordWithLink(ctx, link.Token, "yet another passphrase"); err == nil {
				t.Fatal("a used link works again")
			}
		})
	}
}

// TestLastOwnerAcrossNodes: two owners, each demoted or deactivated by the
// other at once on two nodes sharing the log and the sign-in state: one
// change goes through, the other is refused, and an active owner is left.
func TestLastOwnerAcrossNodes(t *testing.T) {
	for name, open := range signInBackends(t) {
		t.Run(name, func(t *testing.T) {
			s := mustStore(t)
			ctx := context.Background()
			a, b := node(t, s, open(t), auth.Config{}), node(t, s, open(t), auth.Config{})
			for round := range 10 {
				var ids [2]uuid.UUID
				for i := range ids {
					id, err := a.AddUser(ctx, auth.NewUser{Email: fmt.Sprintf("owner%d-%d@harbour.example", round, i), Name: "Owner", Role: user.RoleOwner, Password: pw}, "cli")
					if err != nil {
						t.Fatal(err)
					}
					ids[i] = id
				}
				// Leave only these two owners active.
				us, err := a.Users(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range us {
					if u.Role == user.RoleOwner && !u.Disabled && u.ID != ids[0] && u.ID != ids[1] {
						if err := a.DeactivateUser(ctx, u.ID, "", "cli"); err != nil {
							t.Fatal(err)
						}
					}
				}
				waitUser(t, b, ids[1])
				var errs [2]error
				var wg sync.WaitGroup
				wg.Go(func() {
					if round%2 == 0 {
						errs[0] = a.DeactivateUser(ctx, ids[1], "", "cli")
					} else {
						errs[0] = a.ChangeRole(ctx, ids[1], user.RoleStaff, "cli")
					}
				})
				wg.Go(func() { errs[1] = b.DeactivateUser(ctx, ids[0], "", "cli") })
				wg.Wait()
				if (errs[0] == nil) == (errs[1] == nil) {
					t.Fatalf("round %d: both owners removing each other on two nodes: %v, %v; want exactly one refused", round, errs[0], errs[1])
				}
				left := 0
				// A fresh node reads the log to its head on its first lookup.
				us, err = node(t, s, open(t), auth.Config{}).Users(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range us {
					if u.Role == user.RoleOwner && !u.Disabled {
						left++
					}
				}
				if left != 1 {
					t.Fatalf("round %d: %d active owners left, want 1", round, left)
				}
			}
		})
	}
}
