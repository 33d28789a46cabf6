package ui_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"remit/domain/user"
	"remit/web/auth"
)

// TestSetupAndSetPasswordInChromium: in a real browser the first-run setup
// link makes the first owner and an invited user chooses a password from
// their link, each signed in afterwards; the same forms posted from a page
// of another origin are refused and change nothing.
func TestSetupAndSetPasswordInChromium(t *testing.T) {
	ctx := browser(t)
	srv, a, _ := setupServer(t)
	bg := context.Background()
	tok, err := a.StartSetup(bg, 0)
	if err != nil {
		t.Fatal(err)
	}
	setupLink := srv.URL + "/setup/" + tok

	// Another site's page whose form posts to a Remit form, filled in.
	var evilForm string
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, evilForm)
	}))
	defer evil.Close()
	crossPost := func(action string, fields map[string]string) string {
		t.Helper()
		var b strings.Builder
		fmt.Fprintf(&b, `<!doctype html><title>Win a prize</title><form method="post" action="%s">`, html.EscapeString(action))
		for k, v := range fields {
			fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s">`, k, html.EscapeString(v))
		}
		b.WriteString(`<button id="go" type="submit">Claim</button></form>`)
		evilForm = b.String()
		step(t, ctx, "post from another origin to "+action, chromedp.Navigate(evil.URL), chromedp.WaitVisible(chromedp.ID("go")), chromedp.Click(chromedp.ID("go")),
			chromedp.WaitNotPresent(chromedp.ID("go")), chromedp.WaitVisible(chromedp.CSS("main#main h1")))
		return location(t, ctx)
	}

	pw := "a long passphrase 1"
	crossPost(setupLink, map[string]string{"email": "mallory@evil.example", "password": pw, "password2": pw})
	if body := text(t, ctx, "main#main"); !strings.Contains(body, "own page") {
		t.Errorf("a setup form posted from another origin answered %q", body)
	}
	if us, _ := a.Users(bg); len(us) != 0 {
		t.Fatalf("a cross-origin setup made users: %+v", us)
	}

	step(t, ctx, "open the setup link", chromedp.Navigate(setupLink), chromedp.WaitVisible(chromedp.ID("f-email")),
		set("f-email", "olive@firm.example"), set("f-name", "Olive Owner"), set("f-password", pw), set("f-password2", pw),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)), chromedp.WaitNotPresent(chromedp.ID("f-password2")), chromedp.WaitVisible(chromedp.CSS("pre")))
	if body := text(t, ctx, "body"); !strings.Contains(body, "olive@firm.example (owner)") {
		t.Fatalf("after setup in Chromium: %q at %s", body, location(t, ctx))
	}

	_, link, err := a.InviteUser(bg, auth.Invite{Email: "sam@firm.example", Name: "Sam", Role: user.RoleStaff}, "test")
	if err != nil {
		t.Fatal(err)
	}
	pwLink := srv.URL + auth.PasswordLinkPath(link.Token)
	crossPost(pwLink, map[string]string{"password": "mallory-chose-this", "password2": "mallory-chose-this"})
	if body := text(t, ctx, "main#main"); !strings.Contains(body, "own page") {
		t.Errorf("a set-password form posted from another origin answered %q", body)
	}
	if _, ok := a.PasswordLinkUser(bg, link.Token); !ok {
		t.Fatal("a cross-origin post used up the set-password link")
	}
	step(t, ctx, "open the set-password link", chromedp.Navigate(pwLink), chromedp.WaitVisible(chromedp.ID("f-password")),
		set("f-password", "sam-password-12"), set("f-password2", "sam-password-12"),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)), chromedp.WaitNotPresent(chromedp.ID("f-password2")), chromedp.WaitVisible(chromedp.CSS("pre")))
	if body := text(t, ctx, "body"); !strings.Contains(body, "sam@firm.example (staff)") {
		t.Fatalf("after choosing a password in Chromium: %q at %s", body, location(t, ctx))
	}

	// Sign-in from another origin is refused too (login CSRF).
	crossPost(srv.URL+"/login", map[string]string{"email": "sam@firm.example", "password": "sam-password-12"})
	if body := text(t, ctx, "main#main"); !strings.Contains(body, "own page") {
		t.Errorf("a sign-in form posted from another origin answered %q", body)
	}
}
