package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"remit/web/ui/uitest"
)

// TestBrowserProposalSettings, in headless Chromium: the firm settings
// page's Proposals section shows the default reminder days (3, 7, 14);
// days that do not increase and an expiry of 400 days are refused with the
// messages beside their fields; then reminders on days 2 and 5, expiry
// after 30 days and staff notices to a partner's address save and show
// again. Screenshots of both states go to uitest.ScreenshotDir.
func TestBrowserProposalSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := newApp(t)
	save := chromedp.Click(chromedp.CSS(`form[action="/settings/firm/proposals"] button[type=submit]`))

	step(t, ctx, "settings", chromedp.Navigate(a.server.URL+"/settings/firm"), chromedp.WaitVisible(chromedp.ID("f-proposals-reminder_days")))
	if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-proposals-reminder_days"))); got != "3, 7, 14" {
		t.Errorf("default reminder days %q, want 3, 7, 14", got)
	}
	step(t, ctx, "days out of order", set("f-proposals-reminder_days", "7, 3"), set("f-proposals-expiry_days", "400"), save,
		chromedp.WaitVisible(chromedp.ID("f-proposals-reminder_days-err")))
	if got := text(t, ctx, "#f-proposals-reminder_days-err"); !strings.Contains(got, "must increase") {
		t.Errorf("beside the reminder days: %q", got)
	}
	if got := text(t, ctx, "#f-proposals-expiry_days-err"); !strings.Contains(got, "1 to 365 days") {
		t.Errorf("beside the expiry: %q", got)
	}
	step(t, ctx, "scroll to proposals", chromedp.ScrollIntoView(chromedp.ID("proposals")))
	screenshot(t, ctx, shots, "firm-settings-proposals-refused")

	step(t, ctx, "save good settings", set("f-proposals-reminder_days", "2, 5"), set("f-proposals-expiry_days", "30"),
		chromedp.Click(chromedp.ID("f-proposals-notify_staff")), set("f-proposals-staff_email", "partners@ledger.example"), save)
	flash(t, ctx, "Proposal settings saved.")
	for id, want := range map[string]string{"f-proposals-reminder_days": "2, 5", "f-proposals-expiry_days": "30", "f-proposals-staff_email": "partners@ledger.example"} {
		if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID(id))); got != want {
			t.Errorf("after saving, %s shows %q, want %q", id, got, want)
		}
	}
	if on, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("f-proposals-notify_staff").checked`)); !on {
		t.Error("after saving, staff notices are not ticked")
	}
	step(t, ctx, "scroll to proposals", chromedp.ScrollIntoView(chromedp.ID("proposals")))
	screenshot(t, ctx, shots, "firm-settings-proposals-saved")
}
