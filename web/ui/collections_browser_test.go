package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain/invoice"
	"remit/web/ui/uitest"
)

// TestBrowserCollections: in headless Chromium, staff open Collections
// from the navigation on 10 March 2025: Acme's card is charged today
// (upcoming), Bravo's payment was declined (failed, no retry scheduled),
// and Cobalt's invoice of 1 January is 54 days past due (31–60 days). From
// the page they schedule Bravo's retry on a date (the row then says when),
// write Bravo's balance off (the row leaves failed payments), and mark
// Cobalt's invoice paid offline (the overdue section empties); each form
// returns to the page with its confirmation. The client search narrows
// the page to Acme. Every page passes axe-core.
func TestBrowserCollections(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := newApp(t)
	bg := context.Background()
	acme := a.mustClient("Acme")
	a.mustCard(acme, "pm_card_visa")
	a.mustInvoice(acme, "1450") // A$1,595.00, collection scheduled today
	bravo := a.mustClient("Bravo")
	card := a.mustCard(bravo, "pm_card_visa")
	failed := a.mustInvoice(bravo, "200") // A$220.00
	res, err := a.svc.RecordCollectionAttempt(bg, billing.InvoiceRequest{InvoiceID: failed, AttemptID: uuid.New(), Outcome: invoice.AttemptRejected,
		PaymentMethodID: card, DeclineCode: "insufficient_funds", DeclineMessage: "The card has insufficient funds."}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)
	cobalt := a.mustClient("Cobalt")
	res, err = a.svc.IssueInvoice(bg, billing.IssueInvoiceRequest{ClientID: cobalt, IssueDate: date("2025-01-01"), Lines: []billing.InstantLine{
		{Description: "Year-end accounts", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.RequireFromString("300"), TaxRate: decimal.NewFromInt(10)},
	}}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)

	step(t, ctx, "open Collections from the navigation's Billing menu", chromedp.Navigate(a.server.URL+"/clients"),
		chromedp.Click(chromedp.CSS(`nav.main details:has(a[href="/collections"]) summary`)))
	waitFor(t, ctx, "the Billing menu open", `document.querySelector('nav.main details:has(a[href="/collections"])').open`)
	step(t, ctx, "the Collections link", chromedp.Click(chromedp.CSS(`nav.main a[href="/collections"]`)), chromedp.WaitVisible(chromedp.ID("totals")))
	screenshot(t, ctx, shots, "collections")
	totals := text(t, ctx, "#totals")
	for _, want := range []string{"AUD", "1,595.00", "220.00", "330.00"} {
		if !strings.Contains(totals, want) {
			t.Errorf("the totals %q do not show %s", totals, want)
		}
	}
	if got := text(t, ctx, "#upcoming tbody"); !strings.Contains(got, "Acme") || !strings.Contains(got, "Visa •••• 4242") || !strings.Contains(got, "10 Mar 2025") {
		t.Errorf("upcoming collections show %q, want Acme's Visa 4242 today", got)
	}
	if got := text(t, ctx, "#failed tbody"); !strings.Contains(got, "Bravo") || !strings.Contains(got, "insufficient funds") || !strings.Contains(got, "No retry scheduled") {
		t.Errorf("failed payments show %q, want Bravo's decline and no retry", got)
	}
	if got := text(t, ctx, "#overdue tbody"); !strings.Contains(got, "Cobalt") || !strings.Contains(got, "54 days") || !strings.Contains(got, "31–60 days") {
		t.Errorf("overdue invoices show %q, want Cobalt's, 54 days (31–60)", got)
	}

	// Retry on a date: the retry form, then back here with the date.
	step(t, ctx, "open Bravo's retry on a date", chromedp.Click(chromedp.CSS(`#failed tbody tr a[href*="date=2025-03-13"]`)), chromedp.WaitVisible(chromedp.ID("f-date")))
	checkAccessible(t, ctx, "the retry form")
	step(t, ctx, "retry on the 14th", set("f-date", "2025-03-14"), chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)))
	flash(t, ctx, "Payment retry scheduled")
	if l := location(t, ctx); !strings.HasSuffix(l, "/collections") {
		t.Errorf("after the retry the browser is at %s, want the collections page", l)
	}
	if got := text(t, ctx, "#failed tbody"); !strings.Contains(got, "14 Mar 2025") || strings.Contains(got, "No retry scheduled") {
		t.Errorf("after the retry, failed payments show %q, want the retry on 14 Mar 2025", got)
	}
	screenshot(t, ctx, shots, "collections-retry-scheduled")

	// Write off: Bravo's row leaves failed payments.
	step(t, ctx, "open Bravo's write-off", chromedp.Click(chromedp.CSS(`#failed tbody tr a[href*="/write-off"]`)), chromedp.WaitVisible(chromedp.ID("f-reason")))
	checkAccessible(t, ctx, "the write-off form")
	step(t, ctx, "write off", set("f-reason", "Client ceased trading"), chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)))
	flash(t, ctx, "Balance written off")
	if got := text(t, ctx, "#failed"); !strings.Contains(got, "No failed payment") {
		t.Errorf("after the write-off, failed payments show %q", got)
	}
	if got := text(t, ctx, "#totals"); strings.Contains(got, "220.00") {
		t.Errorf("after the write-off the totals still count Bravo's A$220.00: %q", got)
	}

	// Mark paid offline: Cobalt's invoice leaves the overdue invoices.
	step(t, ctx, "open Cobalt's offline payment", chromedp.Click(chromedp.CSS(`#overdue tbody tr a[href*="/offline-payment"]`)), chromedp.WaitVisible(chromedp.ID("f-amount")))
	step(t, ctx, "record the transfer", set("f-reference", "Transfer 991"), chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)))
	flash(t, ctx, "Offline payment recorded")
	if got := text(t, ctx, "#overdue"); !strings.Contains(got, "No invoice is past its due date") {
		t.Errorf("after the payment, overdue invoices show %q", got)
	}
	screenshot(t, ctx, shots, "collections-after-actions")

	// The client search narrows the page.
	step(t, ctx, "search for acme", set("f-q", "acme"), chromedp.Click(chromedp.CSS(`form[role="search"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main a[href="/collections"]`)))
	if got := text(t, ctx, "#upcoming tbody"); !strings.Contains(got, "Acme") {
		t.Errorf("searching acme, upcoming shows %q", got)
	}
	checkAccessible(t, ctx, "the collections page searched")
	head := a.head()
	step(t, ctx, "a currency nobody uses", chromedp.Navigate(a.server.URL+"/collections?currency=NZD"), chromedp.WaitVisible(chromedp.ID("totals")))
	if got := text(t, ctx, "#totals"); !strings.Contains(got, "Nothing is owed by the clients and currency chosen") {
		t.Errorf("filtered to NZD, the totals say %q", got)
	}
	screenshot(t, ctx, shots, "collections-empty")
	if a.head() != head {
		t.Errorf("viewing the page appended %d events", a.head()-head)
	}
}
