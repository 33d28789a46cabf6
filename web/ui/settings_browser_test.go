package ui_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"remit/web/ui/uitest"
)

// TestBrowserSettingsSelectsAndRemoveConfirmation, in headless Chromium: the
// firm settings page shows the base currency and time zone as select lists
// with the firm's values chosen, and a change made by choosing saves; the
// payment methods tab's Remove asks on a page of its own, whose Cancel
// removes nothing and whose button removes the method. Both pages pass
// axe-core; a screenshot of each goes to uitest.ScreenshotDir.
func TestBrowserSettingsSelectsAndRemoveConfirmation(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := newApp(t)
	u := a.server.URL

	step(t, ctx, "settings", chromedp.Navigate(u+"/settings/firm"), chromedp.WaitVisible(chromedp.ID("f-time_zone")))
	for sel, want := range map[string]string{"f-base_currency": "AUD", "f-time_zone": "Australia/Sydney"} {
		if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID(sel))); got != want {
			t.Errorf("%s shows %q, want %q", sel, got, want)
		}
	}
	if got, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("#f-base_currency option:checked"))); got != "AUD — Australian dollar" {
		t.Errorf("the chosen currency reads %q", got)
	}
	screenshot(t, ctx, shots, "settings-region")
	step(t, ctx, "choose Perth", set("f-time_zone", "Australia/Perth"), chromedp.Click(chromedp.CSS(`form[action="/settings/firm"] button[type=submit]`)))
	flash(t, ctx, "Firm settings saved.")
	if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-time_zone"))); got != "Australia/Perth" {
		t.Errorf("after saving, the time zone shows %q", got)
	}

	id := a.mustClient("Harbour Bakery")
	pm := a.mustCard(id, "pm_card_visa")
	methods := u + "/clients/" + id.String() + "/payment-methods"
	remove := `a[href$="/payment-methods/` + pm.String() + `/remove"]`
	step(t, ctx, "ask to remove", chromedp.Navigate(methods), chromedp.WaitVisible(chromedp.CSS(remove)), chromedp.Click(chromedp.CSS(remove)),
		chromedp.WaitVisible(chromedp.CSS("button.danger")))
	screenshot(t, ctx, shots, "confirm-remove-method")
	step(t, ctx, "cancel", chromedp.Click(chromedp.CSS(`main a[href$="/payment-methods"]`)), chromedp.WaitVisible(chromedp.CSS(remove)))
	step(t, ctx, "remove", chromedp.Click(chromedp.CSS(remove)), chromedp.WaitVisible(chromedp.CSS("button.danger")), chromedp.Click(chromedp.CSS("button.danger")))
	flash(t, ctx, "Payment method removed.")
}
