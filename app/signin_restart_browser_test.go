package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"remit/app"
	"remit/billing"
	"remit/domain/user"
	"remit/web/auth"
	"remit/web/ui/uitest"
)

// TestBrowserStaysSignedInAcrossRestart: in headless Chromium, an owner
// signs in to the wired app; the app is closed and a new one opened on the
// same data folder and address (a restart). The same browser is still
// signed in, and a form it posts (New client, carrying the CSRF token of
// the page) is taken: sessions live in DATA/auth.db, not in memory.
func TestBrowserStaysSignedInAcrossRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := uitest.Browser(t)
	shots := uitest.ScreenshotDir(t)
	bg := context.Background()
	dir := t.TempDir()
	open := func(addr string) *app.App {
		t.Helper()
		a, err := app.Open(bg, app.Config{DataDir: dir, Addr: addr, NoBillingRun: true})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := open("127.0.0.1:0")
	closed := false
	t.Cleanup(func() {
		if !closed {
			a.Close()
		}
	})
	meta, must := commandHelpers(t)
	must(a.Billing.SetUpFirm(bg, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney"}, meta("firm")))
	const pw = "a long passphrase 1"
	if _, err := a.Auth.AddUser(bg, auth.NewUser{Email: "olive@firm.example", Name: "Olive", Role: user.RoleOwner, Password: pw}, "test"); err != nil {
		t.Fatal(err)
	}
	base := a.Web.URL()
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	read := func(sel string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	run("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("email"), "olive@firm.example"), chromedp.SendKeys(chromedp.ID("password"), pw),
		chromedp.Click(chromedp.CSS(`main form[action="/login"] button[type=submit]`)), chromedp.WaitNotPresent(chromedp.ID("password")))

	// Restart: the same data folder, the same address.
	addr := strings.TrimPrefix(base, "http://")
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	a = open(addr)
	t.Cleanup(func() { a.Close() })

	run("the new client form after the restart", chromedp.Navigate(base+"/clients/new"), chromedp.WaitVisible(chromedp.CSS(`main form[action="/clients/new"]`)))
	if l := read("body"); strings.Contains(l, "Sign in to Remit") {
		t.Fatal("the browser was signed out by the restart")
	}
	uitest.Screenshot(t, ctx, shots, "signed-in-after-restart")
	run("create a client", chromedp.SendKeys(chromedp.CSS(`main input[name="name"]`), "Acme Pty Ltd"),
		chromedp.SendKeys(chromedp.CSS(`main input[name="contacts[0].name"]`), "Jo"),
		chromedp.SendKeys(chromedp.CSS(`main input[name="contacts[0].email"]`), "jo@acme.example"),
		chromedp.Click(chromedp.CSS(`main form[action="/clients/new"] button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`main form[action="/clients/new"]`)))
	body := read("main")
	if !strings.Contains(body, "Acme Pty Ltd") {
		t.Fatalf("after posting the form: %q", body)
	}
	if strings.Contains(body, "CSRF") || strings.Contains(body, "Sign in") {
		t.Fatalf("the form was refused after the restart: %q", body)
	}
}
