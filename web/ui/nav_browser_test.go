package ui_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"remit/web/ui/uitest"
)

// headerLayout is where the header's parts sit, measured in the browser.
type headerLayout struct {
	// NavHeight and ItemHeight are the navigation's list's height and its
	// tallest entry's: one line when the list is no taller than an entry.
	NavHeight, ItemHeight float64
	// OneLine: every part of the header (brand, navigation, firm, As of
	// picker, Sign out) overlaps the brand's line vertically.
	OneLine bool
	// Overflow: the page is wider than the window (a horizontal scroll).
	Overflow bool
}

const measureHeader = `(() => {
  const ul = document.querySelector("nav.main > ul");
  const items = [...ul.children].map(li => li.getBoundingClientRect().height);
  const brand = document.querySelector("header.top .brand").getBoundingClientRect();
  const parts = [...document.querySelectorAll("header.top > *:not(.skip)")].map(e => e.getBoundingClientRect());
  return {
    NavHeight: ul.getBoundingClientRect().height,
    ItemHeight: Math.max(...items),
    OneLine: parts.every(r => r.top < brand.bottom && r.bottom > brand.top),
    Overflow: document.documentElement.scrollWidth > window.innerWidth,
  };
})()`

// focused describes the element that has the keyboard's focus.
type focused struct {
	Tag, Href string
	InNav     bool
	Open      bool // a menu's summary whose menu is open
	Visible   bool
}

const whatHasFocus = `(() => {
  const e = document.activeElement;
  const r = e.getBoundingClientRect();
  return {Tag: e.tagName, Href: e.getAttribute("href") || "", InNav: !!e.closest("nav.main"),
    Open: e.tagName === "SUMMARY" && e.parentElement.open, Visible: r.width > 0 && r.height > 0};
})()`

// TestBrowserNavigation: signed in as an owner (every entry, Sign out), the
// header's grouped navigation holds one line at 1280 px; every entry, those in the Billing, Proposals and Settings menus
// too, is reached with Tab (Enter opening a menu) and Escape closes a menu;
// the current page's menu is marked; at 375 px nothing overflows the window
// and an open menu fits in it. Every state passes axe-core.
func TestBrowserNavigation(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	_, u := gatedApp(t)

	step(t, ctx, "sign in as the owner at 1280 px", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(u+"/login"),
		set("email", "owner@firm.example"), set("password", "owner-password-1"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("form.signout")))
	step(t, ctx, "the clients page", chromedp.Navigate(u+"/clients"), chromedp.WaitVisible(chromedp.CSS("nav.main")))
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[headerLayout](measureHeader))
	if err != nil {
		t.Fatal(err)
	}
	if wide.NavHeight > wide.ItemHeight*1.2 || !wide.OneLine || wide.Overflow {
		t.Errorf("at 1280 px the header is not one line: %+v", wide)
	}
	screenshot(t, ctx, shots, "nav-1280")

	// Keyboard: Tab through the header from the brand, opening each menu
	// with Enter, until the focus leaves the navigation.
	all, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("nav.main a")].map(a => a.getAttribute("href"))`))
	if err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "focus the brand", chromedp.Focus(chromedp.CSS("header.top a.brand")))
	var reached []string
	menus := 0
	for range 60 {
		step(t, ctx, "Tab", chromedp.KeyEvent(kb.Tab))
		f, err := chromedp.Run(ctx, chromedp.Evaluate[focused](whatHasFocus))
		if err != nil {
			t.Fatal(err)
		}
		if !f.InNav {
			break
		}
		if !f.Visible {
			t.Errorf("the focus is on %s %s, which is not visible", f.Tag, f.Href)
		}
		switch {
		case f.Tag == "SUMMARY" && !f.Open:
			menus++
			step(t, ctx, "Enter opens the menu", chromedp.KeyEvent(kb.Enter))
			if f, _ = chromedp.Run(ctx, chromedp.Evaluate[focused](whatHasFocus)); !f.Open {
				t.Fatalf("Enter on a menu's button did not open it")
			}
			if menus == 1 {
				screenshot(t, ctx, shots, "nav-1280-menu-open")
			}
		case f.Tag == "A":
			reached = append(reached, f.Href)
		}
	}
	if menus < 3 || !slices.Equal(reached, all) {
		t.Errorf("by keyboard: %d menus opened, links reached %q, want every one of %q", menus, reached, all)
	}

	// Escape closes the open menu and leaves the focus on its button.
	const billing = `document.querySelector('nav.main details:has(a[href="/payouts"])')`
	step(t, ctx, "open the Billing menu", chromedp.Focus(chromedp.CSS(`nav.main details:has(a[href="/payouts"]) summary`)), chromedp.KeyEvent(kb.Enter))
	waitFor(t, ctx, "the Billing menu open", billing+".open")
	step(t, ctx, "Escape", chromedp.KeyEvent(kb.Escape))
	waitFor(t, ctx, "the Billing menu closed", "!"+billing+".open")
	if f, _ := chromedp.Run(ctx, chromedp.Evaluate[focused](whatHasFocus)); f.Tag != "SUMMARY" {
		t.Errorf("after Escape the focus is on %s, want the menu's button", f.Tag)
	}

	// The current page's menu is marked, and the page within it.
	step(t, ctx, "the payouts page", chromedp.Navigate(u+"/payouts"), chromedp.WaitVisible(chromedp.CSS("nav.main summary.current")))
	if got := text(t, ctx, "nav.main summary.current"); !strings.HasPrefix(got, "Billing") {
		t.Errorf("the current section reads %q, want Billing", got)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('nav.main a[aria-current="page"][href="/payouts"]').length`)); n != 1 {
		t.Errorf("%d Payouts links marked as the current page, want 1", n)
	}

	// Mobile: no horizontal scroll, an open menu inside the window.
	step(t, ctx, "the clients page at 375 px", chromedp.EmulateViewport(375, 800), chromedp.Navigate(u+"/clients"),
		chromedp.WaitVisible(chromedp.CSS("nav.main")))
	narrow, err := chromedp.Run(ctx, chromedp.Evaluate[headerLayout](measureHeader))
	if err != nil {
		t.Fatal(err)
	}
	if narrow.Overflow {
		t.Errorf("at 375 px the page scrolls sideways: %+v", narrow)
	}
	step(t, ctx, "open the Proposals menu", chromedp.Click(chromedp.CSS(`nav.main details:has(a[href="/renewals"]) summary`)))
	waitFor(t, ctx, "the Proposals menu open", `document.querySelector('nav.main details:has(a[href="/renewals"])').open`)
	inside, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
	  const r = document.querySelector('nav.main details[open] ul').getBoundingClientRect();
	  return r.left >= 0 && r.right <= window.innerWidth;
	})()`))
	if err != nil || !inside {
		t.Errorf("at 375 px the open menu leaves the window (%v)", err)
	}
	screenshot(t, ctx, shots, "nav-375-menu-open")
	step(t, ctx, "the Renewals link", chromedp.Click(chromedp.CSS(`nav.main a[href="/renewals"]`)), chromedp.WaitVisible(chromedp.CSS("nav.main summary.current")))
	if got := location(t, ctx); got != u+"/renewals" {
		t.Errorf("the Renewals link led to %s", got)
	}
}

// waitFor waits (20 s at most) until the JavaScript expression is true.
// (A link in a closed <details> menu still counts as visible to
// chromedp.WaitVisible, so menus are checked by their open attribute.)
func waitFor(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(sctx, chromedp.Poll[bool](expr)); err != nil {
		t.Fatalf("wait for %s: %v", what, err)
	}
}
