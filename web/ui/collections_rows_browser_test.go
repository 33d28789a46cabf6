package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"remit/web/ui/uitest"
)

// TestBrowserCollectionsRowActions: in headless Chromium, on the
// Collections page filtered to AUD, staff click "Retry now" on Bravo's
// failed payment: the card is charged on the spot and the page comes back
// (filter kept) saying the invoice is paid, and the row is gone. Delta's
// card declines again: the page says so with the reason. "Pause reminders"
// on Delta's row pauses them and the row then offers "Resume reminders";
// "Send pay link" on Cobalt's overdue invoice confirms it went to the
// client. Every page passes axe-core.
func TestBrowserCollectionsRowActions(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := newCollectingApp(t)
	bravo := a.mustClient("Bravo")
	card := a.mustCard(bravo, "pm_card_visa")
	paid := a.mustInvoice(bravo, "200") // A$220.00
	a.mustDeclined(paid, card)
	delta := a.mustClient("Delta")
	poor := a.mustCard(delta, "pm_card_chargeDeclinedInsufficientFunds")
	declined := a.mustInvoice(delta, "100")
	a.mustDeclined(declined, poor)
	cobalt := a.mustClient("Cobalt")
	a.mustOverdue(cobalt, "2025-01-01")
	here := a.server.URL + "/collections?currency=AUD"

	step(t, ctx, "open Collections in AUD", chromedp.Navigate(here), chromedp.WaitVisible(chromedp.ID("failed")))
	screenshot(t, ctx, shots, "collections-row-actions")
	checkAccessible(t, ctx, "the collections page with row actions")
	bravoNo, deltaNo := a.number(paid), a.number(declined)

	step(t, ctx, "retry Bravo now", chromedp.Click(chromedp.ID("retry-now-"+bravoNo)))
	flash(t, ctx, "paid: A$220.00 charged now.")
	if l := location(t, ctx); !strings.HasSuffix(l, "/collections?currency=AUD") {
		t.Errorf("after retry now the browser is at %s, want the filtered collections page", l)
	}
	if got := text(t, ctx, "#failed"); strings.Contains(got, "Bravo") {
		t.Errorf("after Bravo paid, failed payments still show it: %q", got)
	}
	screenshot(t, ctx, shots, "collections-retry-now-paid")

	step(t, ctx, "retry Delta now", chromedp.Click(chromedp.ID("retry-now-"+deltaNo)))
	step(t, ctx, "wait for the decline", chromedp.WaitVisible(chromedp.CSS(".flash.err")))
	if got := text(t, ctx, ".flash.err"); !strings.Contains(got, "the retry was declined: Your card has insufficient funds.") {
		t.Errorf("after Delta's retry the page says %q, want the decline and its reason", got)
	}
	screenshot(t, ctx, shots, "collections-retry-now-declined")

	step(t, ctx, "pause Delta's reminders", chromedp.Click(chromedp.ID("pause-reminders-"+deltaNo)))
	flash(t, ctx, "Reminders paused")
	if got := text(t, ctx, chromedp.CSS("#failed-"+deltaNo)); !strings.Contains(got, "Resume reminders") || !strings.Contains(got, "Reminders paused") {
		t.Errorf("after pausing, Delta's row says %q", got)
	}
	step(t, ctx, "send Cobalt the pay link", chromedp.Click(chromedp.CSS(`#overdue tbody tr button[id^="send-pay-link-"]`)))
	flash(t, ctx, "re-sent to the client's billing contact with its pay-now link")
	screenshot(t, ctx, shots, "collections-pay-link-sent")
	checkAccessible(t, ctx, "the collections page after the row actions")
}
