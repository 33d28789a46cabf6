package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"remit/web/ui/uitest"
)

// TestBrowserPriceIncreaseClientPicker: in headless Chromium, staff find
// "client" on the Price increases form, tick Client One among the clients
// found, and preview a 10 % increase for clients tagged nothing in
// particular: the preview lists only Client One's service and says "Only
// these clients: Client One". Applied, the batch's page shows the service
// with its old and new price and when its client's notice goes out.
func TestBrowserPriceIncreaseClientPicker(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := newApp(t)
	one, two := a.mustClient("Client One"), a.mustClient("Client Two")
	a.mustService(one, "Bookkeeping", "100", date("2025-03-20"), true)
	a.mustService(two, "Payroll", "200", date("2025-03-20"), true)

	step(t, ctx, "find clients", chromedp.Navigate(a.server.URL+"/price-increases"),
		set("f-client_q", "client"), chromedp.Click(chromedp.ID("find-clients")), chromedp.WaitVisible(chromedp.ID("clients-found")))
	if got := text(t, ctx, "#clients-found"); !strings.Contains(got, "Client One") || !strings.Contains(got, "Client Two") {
		t.Errorf("clients found: %q", got)
	}
	screenshot(t, ctx, shots, "price-increase-clients-found")
	step(t, ctx, "tick Client One and preview", chromedp.Click(chromedp.ID("f-client-"+one.String())),
		set("f-increase_value", "10"), set("f-effective_from", "2025-04-15"), set("f-notice_days", "14"),
		chromedp.Click(chromedp.CSS(`button[value="preview"]`)), chromedp.WaitVisible(chromedp.ID("h-preview")))
	if got := text(t, ctx, "#picked"); !strings.Contains(got, "Client One") || strings.Contains(got, "Client Two") {
		t.Errorf("the preview says %q, want only Client One", got)
	}
	if got := text(t, ctx, "#services tbody"); !strings.Contains(got, "Bookkeeping") || strings.Contains(got, "Payroll") {
		t.Errorf("preview services:\n%s", got)
	}
	screenshot(t, ctx, shots, "price-increase-picked-preview")
	step(t, ctx, "approve and apply", chromedp.Click(chromedp.ID("f-confirm")), chromedp.Click(chromedp.ID("apply")))
	flash(t, ctx, "Price increase applied to 1 services")
	if got := text(t, ctx, "#services tbody"); !strings.Contains(got, "A$100.00") || !strings.Contains(got, "A$110.00") || !strings.Contains(got, "Goes out 1 Apr 2025") {
		t.Errorf("the batch's services:\n%s", got)
	}
	screenshot(t, ctx, shots, "price-increase-picked-batch")
}
