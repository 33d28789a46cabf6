package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/integrations/payments"
	"remit/integrations/payments/sandbox"
	"remit/processes/refunds"
	"remit/web/ui"
	"remit/web/ui/uitest"
)

// TestBrowserRefundHalf: in headless Chromium, staff open an invoice paid
// by card through the sandbox gateway, ask to refund more than was paid
// (the error shows beside the amount, nothing is refunded), then refund
// half of it with a reason: the refund and its credit note appear on the
// invoice page, which stays paid. Every page passes axe-core.
func TestBrowserRefundHalf(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	gw, err := sandbox.Open(t.TempDir(), sandbox.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	a := newBareApp(t, func(c *ui.Config) {
		c.Refunds = &refunds.Refunder{Billing: c.Billing, Gateway: gw, Store: c.Store}
	})
	a.mustSetUpFirm()
	acme := a.mustClient("Acme")
	inv := a.mustInvoice(acme, "100") // AUD 110.00 with tax
	bg := context.Background()
	ch, err := gw.Charge(bg, payments.ChargeRequest{IdempotencyKey: "attempt-1", PaymentMethod: sandbox.TokenCardSucceeds, Amount: domain.MustMoney("110.00", "AUD")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.svc.RecordCollectionAttempt(bg, billing.InvoiceRequest{InvoiceID: inv, AttemptID: uuid.New(), Outcome: invoice.AttemptSucceeded,
		GatewayReference: ch.Reference, Amount: ch.Amount.Amount}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)

	page := a.server.URL + "/invoices/" + inv.String()
	step(t, ctx, "the paid invoice", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`a[href$="/refund"]`)))
	step(t, ctx, "open the refund form", chromedp.Click(chromedp.CSS(`a[href$="/refund"]`)), chromedp.WaitVisible(chromedp.ID("f-amount")))
	checkAccessible(t, ctx, "the refund form")

	step(t, ctx, "refund more than was paid", set("f-amount", "200.00"), set("f-reason", "Too much"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.ID("f-amount-err")))
	if got := text(t, ctx, "#f-amount-err"); !strings.Contains(got, "more than") {
		t.Errorf("the amount's error says %q", got)
	}
	checkAccessible(t, ctx, "the refund form with an error")

	step(t, ctx, "refund half", set("f-amount", "55.00"), set("f-reason", "Half the advice was not needed"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
	flash(t, ctx, "Payment refunded")
	refundsTable := text(t, ctx, "#h-refunds + table")
	if !strings.Contains(refundsTable, "55.00") || !strings.Contains(refundsTable, "Half the advice was not needed") || !strings.Contains(refundsTable, ch.Reference) {
		t.Errorf("the refunds table shows %q", refundsTable)
	}
	credits := text(t, ctx, "#h-credit-notes + table")
	if !strings.Contains(credits, "55.00") || !strings.Contains(credits, "Refund: Half the advice was not needed") {
		t.Errorf("the credit notes table shows %q", credits)
	}
	if got := text(t, ctx, "h2"); !strings.Contains(got, "Paid") {
		t.Errorf("after a partial refund the invoice heading says %q", got)
	}
	screenshot(t, ctx, shots, "invoice-refunded")
	extra, err := gw.Refund(bg, payments.RefundRequest{IdempotencyKey: "probe", ChargeReference: ch.Reference, Amount: domain.MustMoney("55.01", "AUD")})
	if err == nil {
		t.Fatalf("the gateway refunded more than was left (%+v): the failed attempt or the refund was made twice", extra)
	}
}
