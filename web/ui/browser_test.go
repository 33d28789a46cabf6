package ui_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"remit/billing"
	"remit/processes/billingrun"
	"remit/projections"
	"remit/web/auth"
	"remit/web/ui"
	"remit/web/ui/uitest"
)

// browser starts headless Chromium for one test (uitest.Browser), or skips
// the test when this machine has no Chromium or no axe-core.
func browser(t *testing.T) context.Context {
	t.Helper()
	return uitest.Browser(t)
}

// checkAccessible fails the test on every serious or critical axe-core
// violation of the page the browser shows.
func checkAccessible(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	uitest.CheckAccessible(t, ctx, page)
}

// step runs browser actions with a time limit, failing the test with what
// it was doing.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, sel chromedp.CSS) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Text(sel))
	// A page that replaces its document (a form's answer arriving) between
	// chromedp finding the node and reading it leaves a stale node id: read
	// the new document's node again (or, when the old document's context
	// is gone mid-read, read the new one).
	for try := 0; err != nil && (strings.Contains(err.Error(), "No node with given id") || strings.Contains(err.Error(), "Cannot find context with specified id")) && try < 3; try++ {
		time.Sleep(100 * time.Millisecond)
		s, err = chromedp.Run(sctx, chromedp.Text(sel))
	}
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	l, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatalf("location: %v", err)
	}
	return l
}

// flash waits for the confirmation of an action and checks it.
func flash(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	step(t, ctx, "wait for confirmation "+want, chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	// The page before the form's answer may show an earlier confirmation:
	// read again until the answer has arrived.
	got := text(t, ctx, ".flash.ok")
	for try := 0; !strings.Contains(got, want) && try < 50; try++ {
		time.Sleep(100 * time.Millisecond)
		got = text(t, ctx, ".flash.ok")
	}
	if !strings.Contains(got, want) {
		t.Fatalf("confirmation %q, want %q", got, want)
	}
	checkAccessible(t, ctx, "the page confirming "+want)
}

// screenshot checks the page's accessibility and saves it as name.png in
// dir (uitest.ScreenshotDir: a temporary folder, or $REMIT_SCREENSHOTS).
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	checkAccessible(t, ctx, name)
	uitest.Screenshot(t, ctx, dir, name)
}

func set(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.ID(sel), value)
}

// enterCard enters a test card on the sandbox gateway's hosted page and
// submits it (the page then sends the browser back to Remit).
func enterCard(t *testing.T, ctx context.Context, number, expiry string) {
	t.Helper()
	step(t, ctx, "enter card "+number, set("card-number", number), set("card-expiry", expiry), set("card-cvc", "123"),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="h-card"] button[type=submit]`)))
}

// newJourneyApp is newLinkApp with "Run billing now" wired to a real
// billing run and collection (billingrun.Scheduler.RunOnce) over the test
// store, charging through the sandbox gateway in a temporary folder. The
// firm retries nothing by itself, so a rejected payment waits for staff.
func newJourneyApp(t *testing.T) *app {
	t.Helper()
	a := newApp(t)
	links, err := auth.NewLinkSigner(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	gw := a.gw // the gateway whose hosted page captures the cards
	noRetries := []int{}
	res, err := a.svc.ChangeFirmSettings(context.Background(), billing.FirmSettingsRequest{RetryAfterDays: &noRetries}, a.meta())
	if err != nil {
		t.Fatalf("retry policy: %v", err)
	}
	a.wait(res)
	idx := billingrun.NewIndex(a.store, a.models, billingrun.WaitFor(a.store, a.runner))
	sched := &billingrun.Scheduler{Store: a.store, Billing: a.svc, Index: idx, Gateway: gw, Now: clock}
	h := ui.New(ui.Config{Billing: a.svc, Models: a.models, Runner: a.runner, Store: a.store, Now: clock,
		Logger: slog.New(slog.NewTextHandler(logWriter{t}, nil)), Links: links, Checkout: a.checkout,
		BillingRun: func(ctx context.Context) (any, error) {
			r := sched.RunOnce(ctx, idx, clock())
			return r, r.Err
		}})
	a.server.Close()
	a.server = httptest.NewServer(a.withGateway(h)) // closed by newApp's cleanup
	return a
}

// TestBrowserJourney is the seed journey in headless Chromium against the
// real store, billing, read models and UI: create a client, add a card,
// instant bill (with an inline form error first and a double-click on
// "Issue invoice"), draft, send and accept a proposal, see the billing
// schedule, edit an automatic item, bill a manual item, run billing (the
// automatic item is invoiced and charged to a card the sandbox declines),
// open the invoice and see its payment rejected with the reason, add a
// card that works, retry with it, run billing again and see the invoice
// paid, and read the service's activity. Every page it visits passes
// axe-core with no serious or critical violation. It saves a screenshot of
// each tab into a temporary folder; scripts/screenshots.sh keeps them in
// docs/screenshots for the README.
func TestBrowserJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("browser journey skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := newJourneyApp(t)
	u := a.server.URL

	// Create a client.
	step(t, ctx, "clients", chromedp.Navigate(u+"/clients"), chromedp.WaitVisible(chromedp.CSS(`a[href="/clients/new"]`)))
	checkAccessible(t, ctx, "clients")
	step(t, ctx, "new client form", chromedp.Click(chromedp.CSS(`a[href="/clients/new"]`)), chromedp.WaitVisible(chromedp.ID("f-name")))
	checkAccessible(t, ctx, "new client form")
	step(t, ctx, "new client",
		set("f-name", "Harbour Bakery"), set("f-contacts-0-name", "Mia Chen"), set("f-contacts-0-email", "mia@harbourbakery.test"),
		set("f-address-city", "Sydney"), set("f-address-country", "AU"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)))
	flash(t, ctx, "Client Harbour Bakery created.")
	clientURL := location(t, ctx)
	clientID := idFrom(t, strings.TrimPrefix(clientURL, u), "/clients/")

	// Add a card on the sandbox gateway's hosted page, on the client's
	// behalf: one the sandbox keeps but whose charges it declines.
	step(t, ctx, "add card", chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/payment-methods"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href$="/payment-methods/new"]`)),
		chromedp.Click(chromedp.CSS(`a[href$="/payment-methods/new"]`)), chromedp.WaitVisible(chromedp.CSS(`main form button[type=submit]`)))
	checkAccessible(t, ctx, "payment method form")
	step(t, ctx, "open the gateway's page", chromedp.Click(chromedp.CSS(`main form button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("card-number")))
	checkAccessible(t, ctx, "the gateway's hosted page")
	enterCard(t, ctx, "4000 0000 0000 0341", "08 / 30")
	flash(t, ctx, "added")

	// Instant bill: a bad price first, shown inline with what was typed.
	step(t, ctx, "instant bill form", chromedp.Click(chromedp.CSS(`.actions a[href$="/bill"]`)), chromedp.WaitVisible(chromedp.ID("f-lines-0-description")))
	checkAccessible(t, ctx, "instant bill form")
	step(t, ctx, "instant bill with a bad price", set("f-lines-0-description", "Website set-up"), set("f-lines-0-unit_price", "twelve"), chromedp.Click(chromedp.ID("issue")),
		chromedp.WaitVisible(chromedp.ID("f-lines-0-unit_price-err")))
	if e := text(t, ctx, "#f-lines-0-unit_price-err"); !strings.Contains(e, "not a number") {
		t.Errorf("inline error %q", e)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-lines-0-description"))); v != "Website set-up" {
		t.Errorf("description not kept: %q", v)
	}
	screenshot(t, ctx, shots, "form-error")
	count := func() int {
		return a.invoiceTotal(projections.InvoiceQuery{ClientID: clientID, Today: date("2025-03-10")})
	}
	before := count()
	step(t, ctx, "double-click issue invoice", set("f-lines-0-unit_price", "1200"), set("f-lines-0-tax_rate", "10"), chromedp.DoubleClick(chromedp.ID("issue")))
	flash(t, ctx, "Invoice issued")
	if n := count() - before; n != 1 {
		t.Errorf("a double-click on Issue invoice issued %d invoices, want 1", n)
	}

	// Draft, send and accept a proposal: an automatic monthly service from
	// acceptance, and a manual one dated in the past (so overdue).
	step(t, ctx, "proposal form", chromedp.Navigate(clientURL), chromedp.Click(chromedp.CSS(`.actions a[href$="/proposals/new"]`)), chromedp.WaitVisible(chromedp.ID("f-title")))
	checkAccessible(t, ctx, "proposal form")
	step(t, ctx, "draft proposal", set("f-title", "Bakery services 2025"),
		set("f-lines-0-name", "Bookkeeping"), set("f-lines-0-unit_price", "250"), set("f-lines-0-tax_rate", "10"),
		set("f-lines-1-name", "Advisory"), set("f-lines-1-unit_price", "400"), set("f-lines-1-quantity", "1"), set("f-lines-1-billing_rule-frequency", "monthly"),
		set("f-lines-1-billing_rule-start_date", "2025-03-01"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)))
	flash(t, ctx, "drafted")
	step(t, ctx, "send proposal form", chromedp.Click(chromedp.CSS(`a[href$="/send"]`)), chromedp.WaitVisible(chromedp.ID("f-recipient_email")))
	checkAccessible(t, ctx, "send proposal form")
	step(t, ctx, "send proposal", chromedp.Click(chromedp.CSS(`section form button[type=submit]`)))
	flash(t, ctx, "Proposal sent.")
	// The client accepts through the signed link staff copy from the
	// proposal page, paying with the card on file.
	acceptLink, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("client-link")))
	if err != nil || !strings.Contains(acceptLink, "/c/p/") {
		t.Fatalf("acceptance link %q: %v", acceptLink, err)
	}
	step(t, ctx, "open the acceptance link", chromedp.Navigate(acceptLink), chromedp.WaitVisible(chromedp.ID("f-accept")))
	if s := text(t, ctx, "#main"); !strings.Contains(s, "Bakery services 2025") || !strings.Contains(s, "Visa •••• 0341") {
		t.Errorf("the acceptance page lacks the proposal or the card on file: %q", s)
	}
	step(t, ctx, "tick accept", chromedp.Click(chromedp.ID("f-accept")))
	screenshot(t, ctx, shots, "accept")
	step(t, ctx, "accept proposal", chromedp.Click(chromedp.CSS(`form button[type=submit]`)))
	flash(t, ctx, "Thank you")

	// The tabs.
	step(t, ctx, "summary", chromedp.Navigate(clientURL), chromedp.WaitVisible(chromedp.ID("h-proposals")))
	if s := text(t, ctx, "#main"); !strings.Contains(s, "Bakery services 2025") || !strings.Contains(s, "Accepted") {
		t.Error("the summary does not show the accepted proposal")
	}
	screenshot(t, ctx, shots, "summary")
	step(t, ctx, "services tab", chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/services"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href^="/services/"]`)))
	screenshot(t, ctx, shots, "services")
	step(t, ctx, "schedule tab", chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/schedule"]`)), chromedp.WaitVisible(chromedp.CSS(`section.card`)))
	if s := text(t, ctx, "#main"); !strings.Contains(s, "Bookkeeping") || !strings.Contains(s, "Overdue") {
		t.Errorf("the schedule lacks the automatic group or the overdue manual item")
	}
	screenshot(t, ctx, shots, "schedule")

	// Edit an automatic item.
	step(t, ctx, "edit automatic item form", chromedp.Click(chromedp.CSS(`section.card a[href$="/edit"]`)), chromedp.WaitVisible(chromedp.ID("f-unit_price")))
	checkAccessible(t, ctx, "edit automatic item form")
	step(t, ctx, "edit automatic item", set("f-unit_price", "275"), chromedp.Click(chromedp.CSS(`form button[type=submit]`)))
	flash(t, ctx, "Billing of Bookkeeping saved.")
	if s := text(t, ctx, "section.card"); !strings.Contains(s, "A$275.00") {
		t.Errorf("the edited item does not show its new price: %s", s)
	}

	// Bill the overdue manual item, confirming price and quantity.
	step(t, ctx, "bill manual item form", chromedp.Click(chromedp.CSS(`tr.overdue a[href$="/bill"]`)), chromedp.WaitVisible(chromedp.ID("f-quantity")))
	checkAccessible(t, ctx, "bill manual item form")
	step(t, ctx, "bill manual item", set("f-quantity", "2"), chromedp.Click(chromedp.ID("issue")))
	flash(t, ctx, "Invoice issued for Advisory.")
	if s := text(t, ctx, "tfoot"); !strings.Contains(s, "A$800.00") {
		t.Errorf("the invoice total is not 2 × 400: %s", s)
	}

	// Run billing: the automatic Bookkeeping item (today, at its edited
	// price) is invoiced and charged to the declining card, and so are the
	// instant bill and the manual item billed by hand, whose collections were
	// scheduled for today when they were issued.
	step(t, ctx, "run billing", chromedp.Navigate(u+"/clients"), chromedp.WaitVisible(chromedp.ID("run-billing")), chromedp.Click(chromedp.ID("run-billing")))
	flash(t, ctx, "Billing run for 10 Mar 2025: 1 invoice issued, 3 payments rejected, 3 invoices with no retries left.")
	screenshot(t, ctx, shots, "billing-run")

	// Open the invoice: its payment rejected, with the gateway's reason.
	step(t, ctx, "open the rejected invoice", chromedp.Navigate(clientURL+"/invoices"),
		chromedp.Click(`//tr[contains(., "Payment rejected") and contains(., "A$302.50")]//a[starts-with(@href, "/invoices/")]`), chromedp.WaitVisible(chromedp.ID("h-rej")))
	invoiceURL := location(t, ctx)
	if s := text(t, ctx, "section.warn"); !strings.Contains(s, "Your card was declined.") || !strings.Contains(s, "card_declined") {
		t.Errorf("the rejected-payment panel lacks the decline reason: %s", s)
	}
	if s := text(t, ctx, "#main"); !strings.Contains(s, "Bookkeeping") || !strings.Contains(s, "A$302.50") {
		t.Errorf("the rejected invoice is not the Bookkeeping item at 275 + 10%% tax: %s", s)
	}
	screenshot(t, ctx, shots, "invoice-rejected")

	// Add a card that works, change the invoice's method to it and retry
	// today.
	step(t, ctx, "add a working card", chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/payment-methods"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href$="/payment-methods/new"]`)),
		chromedp.Click(chromedp.CSS(`a[href$="/payment-methods/new"]`)), chromedp.WaitVisible(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("card-number")))
	enterCard(t, ctx, "4242 4242 4242 4242", "09 / 31")
	flash(t, ctx, "added")
	step(t, ctx, "change method and retry", chromedp.Navigate(invoiceURL), chromedp.Click(chromedp.CSS(`section.warn a.secondary[href$="/retry"]`)),
		chromedp.WaitVisible(chromedp.ID("f-payment_method_id")))
	checkAccessible(t, ctx, "retry form")
	visa, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("#f-payment_method_id option")].find(o => o.text.includes("4242")).value`))
	if err != nil || visa == "" {
		t.Fatalf("the retry form does not offer the new card: %q %v", visa, err)
	}
	step(t, ctx, "retry with the new card", set("f-payment_method_id", visa), set("f-date", "2025-03-10"), chromedp.Click(chromedp.CSS(`form button[type=submit]`)))
	flash(t, ctx, "Payment retry scheduled.")
	if s := text(t, ctx, "#main"); !strings.Contains(s, "10 Mar 2025 from Visa •••• 4242") {
		t.Errorf("the invoice does not show the retry with the new card: %s", s)
	}
	screenshot(t, ctx, shots, "invoice")

	// Run billing again: the retry is charged to the new card and the
	// invoice is paid.
	step(t, ctx, "run billing again", chromedp.Navigate(u+"/clients"), chromedp.WaitVisible(chromedp.ID("run-billing")), chromedp.Click(chromedp.ID("run-billing")))
	flash(t, ctx, "1 payment collected")
	step(t, ctx, "open the paid invoice", chromedp.Navigate(invoiceURL), chromedp.WaitVisible(chromedp.CSS(`h2`)))
	if s := text(t, ctx, "h2"); !strings.Contains(s, "Paid") {
		t.Errorf("the invoice is not paid after the retry: %s", s)
	}
	if s := text(t, ctx, "#main"); strings.Contains(s, "Payment rejected") || !strings.Contains(s, "Succeeded") {
		t.Errorf("the invoice's attempts lack the successful retry: %s", s)
	}
	screenshot(t, ctx, shots, "invoice-paid")

	step(t, ctx, "invoices tab", chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/invoices"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href^="/invoices/"]`)))
	screenshot(t, ctx, shots, "invoices")
	step(t, ctx, "payment methods tab", chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/payment-methods"]`)), chromedp.WaitVisible(chromedp.CSS(`section.card`)))
	screenshot(t, ctx, shots, "payment-methods")
	step(t, ctx, "edit client tab", chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/edit"]`)), chromedp.WaitVisible(chromedp.ID("f-name")))
	screenshot(t, ctx, shots, "edit-client")

	// The service's activity.
	step(t, ctx, "service", chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/services"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href^="/services/"]`)),
		chromedp.Click(`//a[normalize-space()="Bookkeeping"]`), chromedp.WaitVisible(chromedp.CSS(`a[href$="/activity"]`)))
	checkAccessible(t, ctx, "service")
	step(t, ctx, "service activity", chromedp.Click(chromedp.CSS(`a[href$="/activity"]`)), chromedp.WaitVisible(chromedp.CSS(`ol.activity`)))
	act := text(t, ctx, "ol.activity")
	if !strings.Contains(act, "activated") || !strings.Contains(act, "275") {
		t.Errorf("the service's activity lacks its activation or the item edit: %s", act)
	}
	screenshot(t, ctx, shots, "service-activity")

	// Every visible input of the biggest form has a label.
	step(t, ctx, "proposal form", chromedp.Navigate(clientURL+"/proposals/new"), chromedp.WaitVisible(chromedp.ID("f-title")))
	unlabelled, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("input:not([type=hidden]),select,textarea")].filter(e => !e.labels || e.labels.length === 0).length`))
	if err != nil {
		t.Fatal(err)
	}
	if unlabelled != 0 {
		t.Errorf("%d inputs have no label", unlabelled)
	}
}
