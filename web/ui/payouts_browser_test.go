package ui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"remit/domain"
	"remit/integrations/payments"
	"remit/integrations/payments/sandbox"
	"remit/processes/payouts"
	"remit/web/ui/uitest"
)

// mustSandboxPayout charges the invoice through the sandbox gateway (a card:
// fee 1.75% + 0.30), moves the sandbox's clock past its payout day and runs
// the payout sync, which records the sandbox's payout.
func (a *app) mustSandboxPayout(invoiceID string, amount string) {
	a.tb.Helper()
	clk := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	gw, err := sandbox.Open(a.tb.TempDir(), sandbox.Options{Now: func() time.Time { return clk }})
	if err != nil {
		a.tb.Fatal(err)
	}
	defer gw.Close()
	ctx := context.Background()
	if _, err := gw.Charge(ctx, payments.ChargeRequest{IdempotencyKey: "k-" + invoiceID, PaymentMethod: sandbox.TokenCardSucceeds,
		Amount: domain.MustMoney(amount, "AUD"), Metadata: map[string]string{"invoice_id": invoiceID}}); err != nil {
		a.tb.Fatal(err)
	}
	clk = clk.Add(3 * 24 * time.Hour)
	rep, err := payouts.Sync(ctx, payouts.Config{Store: a.store, Gateway: gw, Now: func() time.Time { return clk }})
	if err != nil || rep.Recorded != 1 {
		a.tb.Fatalf("payout sync: %+v, %v", rep, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.runner.WaitFor(wctx, a.head()); err != nil {
		a.tb.Fatal(err)
	}
}

// TestPayoutsPage: with none, the Payouts page says so; once the sandbox
// paid out a charge, it lists the payout with its fees, and the payout's
// page lists the charge with its fee and a link to its invoice.
func TestPayoutsPage(t *testing.T) {
	a := newApp(t)
	mustContain(t, a.get("/payouts"), "No payouts yet.")
	acme := a.mustClient("Acme")
	inv := a.mustInvoice(acme, "100")
	a.mustSandboxPayout(inv.String(), "110.00")
	p := a.get("/payouts")
	if p.Status != http.StatusOK {
		t.Fatalf("payouts page: %d", p.Status)
	}
	mustContain(t, p, "po_sandbox_20260302_aud", "2.23", "107.77", "110.00")
	ref := "/payouts/"
	i := strings.Index(p.Body, `href="/payouts/`)
	if i < 0 {
		t.Fatal("no link to the payout")
	}
	link := p.Body[i+len(`href="`):]
	link = link[:strings.IndexByte(link, '"')]
	d := a.get(link)
	mustContain(t, d, `href="/invoices/`+inv.String()+`"`, "INV-", "Charge", "2.23")
	if !strings.HasPrefix(link, ref) {
		t.Errorf("payout link %q", link)
	}
	if got := a.get("/payouts/not-an-id"); got.Status != http.StatusNotFound {
		t.Errorf("a malformed payout id: %d", got.Status)
	}
}

// TestBrowserPayouts walks in headless Chromium from the nav's Billing menu's Payouts link
// to a payout the sandbox made, with its fees, and from its charge to the
// invoice. Every page passes axe-core.
func TestBrowserPayouts(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := newApp(t)
	u := a.server.URL
	acme := a.mustClient("Acme")
	inv := a.mustInvoice(acme, "100")
	a.mustSandboxPayout(inv.String(), "110.00")

	step(t, ctx, "the clients page", chromedp.Navigate(u+"/clients"), chromedp.WaitVisible(chromedp.CSS(`nav.main details:has(a[href="/payouts"]) summary`)))
	step(t, ctx, "the Billing menu", chromedp.Click(chromedp.CSS(`nav.main details:has(a[href="/payouts"]) summary`)))
	waitFor(t, ctx, "the Billing menu open", `document.querySelector('nav.main details:has(a[href="/payouts"])').open`)
	step(t, ctx, "the Payouts link", chromedp.Click(chromedp.CSS(`nav.main a[href="/payouts"]`)), chromedp.WaitVisible(chromedp.ID("payouts")))
	row := text(t, ctx, "#payouts tbody tr")
	for _, want := range []string{"po_sandbox_20260302_aud", "2.23", "107.77", "110.00", "Paid"} {
		if !strings.Contains(row, want) {
			t.Errorf("the payout's row %q lacks %q", row, want)
		}
	}
	screenshot(t, ctx, shots, "payouts")
	step(t, ctx, "open the payout", chromedp.Click(chromedp.CSS(`#payouts tbody a`)), chromedp.WaitVisible(chromedp.ID("payout-lines")))
	if got := text(t, ctx, "#payout-fees"); !strings.Contains(got, "2.23") {
		t.Errorf("the payout's fees read %q", got)
	}
	line := text(t, ctx, "#payout-lines tbody tr")
	if !strings.Contains(line, "Charge") || !strings.Contains(line, "2.23") || !strings.Contains(line, "INV-") {
		t.Errorf("the charge line reads %q", line)
	}
	screenshot(t, ctx, shots, "payout")
	step(t, ctx, "the charge's invoice", chromedp.Click(chromedp.CSS(`#payout-lines tbody a[href="/invoices/`+inv.String()+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("h1")))
	if l := location(t, ctx); !strings.HasSuffix(l, "/invoices/"+inv.String()) {
		t.Errorf("the invoice link leads to %s", l)
	}
}
