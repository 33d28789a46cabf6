package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"remit/billing"
	"remit/projections"
	"remit/web/ui/uitest"
)

// TestBrowserEmptyClientsAndOlderActivity walks in headless Chromium, as
// staff, from a firm with no clients (invited to add the first) to a
// service whose history is longer than a page: its activity tab shows the
// newest lines, "Older activity" leads to the rest down to the activation,
// and "Newest activity" leads back. Every page passes axe-core.
func TestBrowserEmptyClientsAndOlderActivity(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := newApp(t)
	u := a.server.URL

	step(t, ctx, "clients of an empty firm", chromedp.Navigate(u+"/clients"), chromedp.WaitVisible(chromedp.CSS("p.empty")))
	if got := text(t, ctx, "p.empty"); !strings.Contains(got, "No clients yet.") {
		t.Errorf("an empty firm's clients list says %q", got)
	}
	screenshot(t, ctx, shots, "clients-empty")
	step(t, ctx, "add the first client", chromedp.Click(chromedp.CSS(`p.empty a[href="/clients/new"]`)), chromedp.WaitVisible(chromedp.ID("f-name")))

	acme := a.mustClient("Acme")
	sid := a.mustService(acme, "Bookkeeping", "100", date("2025-03-01"), true)
	bg := context.Background()
	for range projections.DefaultLimit/2 + 3 { // two lines each: past one page
		if _, err := a.svc.SwitchServiceToManual(bg, billing.ServiceRef{ServiceID: sid}, a.meta()); err != nil {
			t.Fatal(err)
		}
		res, err := a.svc.SwitchServiceToAutomatic(bg, billing.ServiceRef{ServiceID: sid}, a.meta())
		if err != nil {
			t.Fatal(err)
		}
		a.wait(res)
	}
	tab := u + "/services/" + sid.String() + "/activity"
	step(t, ctx, "the service's activity", chromedp.Navigate(tab), chromedp.WaitVisible(chromedp.CSS(`a[rel="prev"]`)))
	if strings.Contains(text(t, ctx, "main"), "activated") {
		t.Error("the newest page already shows the activation")
	}
	screenshot(t, ctx, shots, "service-activity-newest")
	step(t, ctx, "older activity", chromedp.Click(chromedp.CSS(`a[rel="prev"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/services/`+sid.String()+`/activity"]`)))
	if l := location(t, ctx); !strings.Contains(l, "before=") {
		t.Errorf("the older page is at %s", l)
	}
	if !strings.Contains(text(t, ctx, "main"), "activated") {
		t.Error("the oldest page does not show the activation")
	}
	screenshot(t, ctx, shots, "service-activity-older")
	step(t, ctx, "back to the newest", chromedp.Click(chromedp.CSS(`a[href="/services/`+sid.String()+`/activity"]`)), chromedp.WaitVisible(chromedp.CSS(`a[rel="prev"]`)))
	if l := location(t, ctx); strings.Contains(l, "before=") {
		t.Errorf("Newest activity leads to %s", l)
	}
}
