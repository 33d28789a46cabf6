package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"remit/domain/client"
	"remit/web/auth"
	"remit/web/ui/uitest"
)

// TestBrowserCaptureOnTheGatewaysPage: in headless Chromium, with the
// sandbox gateway's hosted page: a client accepts a proposal choosing a new
// card, is sent to the gateway's page, enters a card that is declined there
// (the decline shows beside the number, and nothing is recorded), then
// Stripe's test Visa, and comes back to the accepted proposal with the card
// on file; another client adds a BECS account from the payment method link,
// agreeing to its mandate after being told to. Every page passes axe-core.
func TestBrowserCaptureOnTheGatewaysPage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a, links := newLinkApp(t)
	u := a.server.URL
	acme := a.mustClient("Acme")
	pid := a.mustSentProposal(acme, "Services 2025")

	accept := u + "/c/p/" + links.Sign(auth.Link{ClientID: acme, Purpose: auth.PurposeAcceptProposal, Resource: pid, Expires: now.Add(time.Hour)})
	step(t, ctx, "open the acceptance link", chromedp.Navigate(accept), chromedp.WaitVisible(chromedp.ID("f-accept")))
	step(t, ctx, "accept with a new card", chromedp.Click(chromedp.ID("pm-new")), chromedp.Click(chromedp.ID("f-accept")),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("card-number")))
	if s := text(t, ctx, "body"); !strings.Contains(s, "Sandbox test gateway") || !strings.Contains(s, "no real money moves") {
		t.Errorf("the gateway's page is not plainly a test gateway: %s", s)
	}
	screenshot(t, ctx, shots, "the-gateway-s-hosted-page")

	head := a.head()
	enterCard(t, ctx, "4000 0000 0000 0002", "12 / 30")
	step(t, ctx, "the decline shows", chromedp.WaitVisible(chromedp.ID("card-number-error")))
	if e := text(t, ctx, "#card-number-error"); !strings.Contains(e, "Your card was declined.") {
		t.Errorf("decline beside the number: %q", e)
	}
	if e := text(t, ctx, "#decline"); !strings.Contains(e, "declined") {
		t.Errorf("decline announced: %q", e)
	}
	screenshot(t, ctx, shots, "the-gateway-s-page-with-a-decline")
	if a.head() != head {
		t.Errorf("a declined card appended %d events", a.head()-head)
	}

	enterCard(t, ctx, "4242 4242 4242 4242", "12 / 30")
	flash(t, ctx, "your acceptance is recorded, and your payment method Visa •••• 4242")
	screenshot(t, ctx, shots, "proposal-accepted-with-card")
	if s := text(t, ctx, "#main"); !strings.Contains(s, "Accepted by Ada Acme") {
		t.Errorf("the accepted proposal: %s", s)
	}

	// Another client adds a BECS account from the payment method link.
	globex := a.mustClient("Globex")
	method := u + "/c/m/" + links.Sign(auth.Link{ClientID: globex, Purpose: auth.PurposePaymentMethod, Expires: now.Add(time.Hour)})
	step(t, ctx, "open the payment method link", chromedp.Navigate(method), chromedp.WaitVisible(chromedp.ID("h-add")))
	screenshot(t, ctx, shots, "the-payment-method-link")
	step(t, ctx, "to the gateway's page", chromedp.Click(chromedp.CSS(`section[aria-labelledby="h-add"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("au_becs_debit-bsb")))
	step(t, ctx, "enter the account without the mandate", set("au_becs_debit-bsb", "000-000"), set("au_becs_debit-account_number", "000123456"),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="h-au_becs_debit"] button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("au_becs_debit-mandate-error")))
	screenshot(t, ctx, shots, "the-gateway-s-page-asking-for-the-mandate")
	step(t, ctx, "agree to the mandate", chromedp.Click(chromedp.ID("au_becs_debit-mandate")),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="h-au_becs_debit"] button[type=submit]`)))
	flash(t, ctx, "000-000 ****3456")
	screenshot(t, ctx, shots, "becs-account-added")

	sum, err := a.models.Summary(context.Background(), globex, date("2025-03-10"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.PaymentMethods) != 1 || sum.PaymentMethods[0].Kind != client.MethodBankDebit || sum.PaymentMethods[0].MandateReference == "" {
		t.Fatalf("methods on file: %+v, want the BECS account with its mandate", sum.PaymentMethods)
	}
	a.assertNoNumbersInTheLog()
}
