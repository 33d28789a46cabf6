package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"remit/web/api"
	"remit/web/auth"
	"remit/web/ui"
	"remit/web/ui/uitest"
)

// firstRunServer is `remit serve` on an empty data folder: no users, the
// firm not set up, behind sign-in. It returns the app, the server's URL
// and the one-time setup link.
func firstRunServer(t *testing.T) (*app, string, string) {
	t.Helper()
	a := newBareApp(t, nil)
	au, err := auth.New(auth.Config{Store: a.store, BcryptCost: bcrypt.MinCost}) // the real clock: Chromium keeps cookies by it
	if err != nil {
		t.Fatal(err)
	}
	tok, err := au.StartSetup(context.Background(), auth.SetupTTL)
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	u := ui.New(ui.Config{Billing: a.svc, Models: a.models, Runner: a.runner, Store: a.store, Now: clock, Auth: au, Users: au, Checkout: a.checkout})
	srv := api.NewServer(api.Config{Addr: "127.0.0.1:0", Store: a.store, Billing: a.svc, Models: a.models, Runner: a.runner, Now: clock, Auth: au, UI: u})
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return a, srv.URL(), srv.URL() + "/setup/" + tok
}

// TestBrowserFirstRun walks a firm's first minutes in Chromium: the setup
// link refuses a too-short password beside the field (keeping the email
// and name), makes the owner, who lands on "Set up the firm"; once the
// firm is set up the Dashboard shows Getting started with Firm details
// done and no empty charts; adding a client ticks that step; hiding the
// list hides it. Every page passes axe.
func TestBrowserFirstRun(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	_, u, link := firstRunServer(t)
	submit := chromedp.Click(chromedp.CSS(`main form button[type=submit]`))

	step(t, ctx, "open the setup link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("f-email")))
	checkAccessible(t, ctx, "setup")
	step(t, ctx, "a too-short password", set("f-email", "olive@firm.example"), set("f-name", "Olive Owner"), set("f-password", "short"), set("f-password2", "short"),
		submit, chromedp.WaitVisible(chromedp.ID("f-password-err")))
	if e := text(t, ctx, "#f-password-err"); !strings.Contains(e, "at least 12") {
		t.Errorf("beside Password: %q, want the rule", e)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`["f-password", "f-email"].map(id => document.getElementById(id)).flatMap(e => [e.getAttribute("aria-describedby") || "", e.value])`))
	if err != nil || len(got) != 4 {
		t.Fatalf("read the refused form: %v %v", got, err)
	}
	described, pw, email := got[0], got[1], got[3]
	if described != "f-password-err" || email != "olive@firm.example" || pw != "" {
		t.Errorf("refused setup form: aria-describedby %q, email kept %q, password echoed %q", described, email, pw)
	}
	screenshot(t, ctx, shots, "firstrun-1-short-password")
	checkAccessible(t, ctx, "setup with an error")

	pass := "a long passphrase 1"
	step(t, ctx, "create the owner", set("f-password", pass), set("f-password2", pass), submit, chromedp.WaitNotPresent(chromedp.ID("f-password2")),
		chromedp.WaitVisible(chromedp.ID("f-base_currency")))
	if loc := location(t, ctx); !strings.HasSuffix(loc, "/settings/firm") {
		t.Fatalf("after setup the owner is at %s, want the firm's settings", loc)
	}
	if h := text(t, ctx, "main#main h1"); h != "Set up the firm" {
		t.Errorf("after setup: heading %q", h)
	}
	screenshot(t, ctx, shots, "firstrun-2-set-up-the-firm")

	step(t, ctx, "set up the firm", set("f-name", "Ledger & Co"), set("f-base_currency", "AUD"), set("f-time_zone", "Australia/Sydney"), submit)
	flash(t, ctx, "The firm is set up")

	step(t, ctx, "dashboard", chromedp.Navigate(u+"/dashboard"), chromedp.WaitVisible(chromedp.ID("getting-started")))
	list := text(t, ctx, "#getting-started")
	for _, want := range []string{"Firm details ✓ Done", "Your first client To do", "Invite your staff To do"} {
		if !strings.Contains(list, want) {
			t.Errorf("Getting started lacks %q: %s", want, list)
		}
	}
	if body := text(t, ctx, "main#main"); !strings.Contains(body, "No invoices in this period.") || !strings.Contains(body, "No recurring services yet.") {
		t.Errorf("an empty firm's Dashboard does not say it has nothing yet: %s", body)
	}
	if charts, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("main svg").length`)); charts != 0 {
		t.Errorf("an empty firm's Dashboard draws %d charts of zeros", charts)
	}
	screenshot(t, ctx, shots, "firstrun-3-dashboard")
	checkAccessible(t, ctx, "dashboard getting started")

	step(t, ctx, "new client", chromedp.Click(chromedp.CSS(`#getting-started a[href="/clients/new"]`)), chromedp.WaitVisible(chromedp.ID("f-contacts-0-email")),
		set("f-name", "Harbour Bakery"), set("f-contacts-0-name", "Mia Chen"), set("f-contacts-0-email", "mia@harbourbakery.test"), submit)
	flash(t, ctx, "Client Harbour Bakery created.")
	step(t, ctx, "dashboard again", chromedp.Navigate(u+"/dashboard"), chromedp.WaitVisible(chromedp.ID("getting-started")))
	if list := text(t, ctx, "#getting-started"); !strings.Contains(list, "Your first client ✓ Done") || !strings.Contains(list, "Your first service or proposal To do") {
		t.Errorf("after the first client, Getting started says %s", list)
	}
	screenshot(t, ctx, shots, "firstrun-4-first-client")

	step(t, ctx, "hide the list", chromedp.Click(chromedp.CSS(`#getting-started button[type=submit]`)))
	flash(t, ctx, "Getting started is hidden in this browser.")
	if left, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#getting-started").length`)); left != 0 {
		t.Error("the dismissed checklist still shows")
	}
}
