package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain/firm"
	"remit/integrations/payments"
	"remit/integrations/payments/sandbox"
	"remit/web/auth"
	"remit/web/ui/uitest"
)

// surcharging gives the firm GST 10 % as its default rate and a 1.5 % card
// surcharge (bank debits none).
func (p *payApp) surcharging() {
	p.tb.Helper()
	ctx := context.Background()
	if _, err := p.svc.AddTaxRate(ctx, billing.TaxRateRequest{Name: "GST", Rate: decimal.NewFromInt(10), MakeDefault: true}, p.meta()); err != nil {
		p.tb.Fatal(err)
	}
	res, err := p.svc.ChangeFirmSettings(ctx, billing.FirmSettingsRequest{Surcharges: &firm.Surcharges{Card: decimal.RequireFromString("1.5")}}, p.meta())
	if err != nil {
		p.tb.Fatal(err)
	}
	p.wait(res)
}

// TestPayNowSurchargeChoices: with a 1.5 % card surcharge the pay-now page
// shows, before the client chooses, the card amount with its surcharge
// (110.00 + 1.65 + 0.17 GST = 111.82) and the bank debit amount without;
// paying by card charges 111.82 and adds the surcharge line with the
// payment, once.
func TestPayNowSurchargeChoices(t *testing.T) {
	p := newPayApp(t)
	p.surcharging()
	acme := p.mustClient("Acme")
	inv := p.mustInvoice(acme, "100")
	link := p.payLink(acme, inv)
	mustContain(t, p.get(link), "Pay by card: A$111.82", "includes a 1.50% card surcharge of A$1.82", "Pay by bank debit: A$110.00", `value="bank_debit"`)

	r := p.post(link, url.Values{"kind": {"card"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, sandbox.CheckoutPath+"checkout/") {
		t.Fatalf("Pay by card: %d to %q, want the gateway's page", r.Status, r.Location)
	}
	sid := strings.TrimPrefix(r.Location, sandbox.CheckoutPath+"checkout/")
	if _, err := p.pay.Sandbox.CompleteForTest(context.Background(), sid, payments.TypeCard, url.Values{"number": {"4242424242424242"}, "expiry": {"12/30"}, "cvc": {"123"}}); err != nil {
		t.Fatal(err)
	}
	back := p.get(link + "/paid?session=" + sid)
	if back.Status != http.StatusSeeOther {
		t.Fatalf("the return: %d", back.Status)
	}
	mustContain(t, p.get(link), "This invoice is paid", "A$111.82")
	p.get(link + "/paid?session=" + sid) // the return again: nothing more
	n := 0
	for _, e := range p.invoiceEvents(inv) {
		if e == "InvoiceSurchargeAdded" {
			n++
		}
	}
	charges, err := p.pay.Sandbox.Charges()
	if n != 1 || err != nil || len(charges) != 1 || !charges[0].Amount.Equal(decimal.RequireFromString("111.82")) {
		t.Errorf("%d surcharges recorded (%v), charges %+v (%v); want one surcharge and one charge of 111.82", n, p.invoiceEvents(inv), charges, err)
	}
	mustContain(t, p.get("/invoices/"+inv.String()), "Card surcharge (1.50%)")

	// The page where the client adds a card tells them of the surcharge.
	method := "/c/m/" + p.links.Sign(auth.Link{ClientID: acme, Purpose: auth.PurposePaymentMethod, Expires: now.Add(time.Hour)})
	mustContain(t, p.get(method), `id="surcharge-note"`, "Card payments carry a 1.50% card surcharge")
}

// TestBrowserSurchargeSettingAndPayByCard: in Chromium, an owner sets a
// card surcharge on the firm's settings page (9 % is refused beside the
// field), then a client opens a pay-now link, sees the card and bank debit
// amounts, pays by card on the sandbox's page and is thanked for the
// surcharged amount.
func TestBrowserSurchargeSettingAndPayByCard(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	p := newPayApp(t)
	if _, err := p.svc.AddTaxRate(context.Background(), billing.TaxRateRequest{Name: "GST", Rate: decimal.NewFromInt(10), MakeDefault: true}, p.meta()); err != nil {
		t.Fatal(err)
	}
	acme := p.mustClient("Acme")
	inv := p.mustInvoice(acme, "100")

	set := func(v string, then ...chromedp.Action[chromedp.Void]) []chromedp.Action[chromedp.Void] {
		return append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(p.server.URL + "/settings/firm"), chromedp.WaitVisible(chromedp.ID("f-surcharges-card")),
			chromedp.SetValue(chromedp.ID("f-surcharges-card"), v),
			chromedp.Click(chromedp.CSS(`form[action="/settings/firm/surcharges"] button[type=submit]`))}, then...)
	}
	step(t, ctx, "a 9% card surcharge", set("9", chromedp.WaitVisible(chromedp.ID("f-surcharges-card-err")))...)
	if got := text(t, ctx, "#f-surcharges-card-err"); !strings.Contains(got, "at most 5%") {
		t.Errorf("the error beside the field: %q", got)
	}
	screenshot(t, ctx, shots, "firm-settings-surcharge-refused")
	step(t, ctx, "a 1.5% card surcharge", set("1.5")...)
	flash(t, ctx, "Surcharges saved.")

	step(t, ctx, "open the pay-now link", chromedp.Navigate(p.server.URL+p.payLink(acme, inv)), chromedp.WaitVisible(chromedp.ID("pay-card")))
	screenshot(t, ctx, shots, "pay-now-page-with-surcharge-choices")
	if card, bank := text(t, ctx, "#pay-card"), text(t, ctx, "#pay-bank"); card != "Pay by card: A$111.82" || bank != "Pay by bank debit: A$110.00" {
		t.Errorf("choices %q and %q", card, bank)
	}
	step(t, ctx, "pay by card", chromedp.Click(chromedp.ID("pay-card")), chromedp.WaitVisible(chromedp.ID("card-number")))
	step(t, ctx, "enter a test card on the sandbox's page",
		chromedp.SendKeys(chromedp.ID("card-number"), "4242 4242 4242 4242"), chromedp.SendKeys(chromedp.ID("card-expiry"), "12/30"),
		chromedp.SendKeys(chromedp.ID("card-cvc"), "123"), chromedp.Click(chromedp.CSS(`section[aria-labelledby="h-card"] button[type=submit]`)))
	flash(t, ctx, "Thank you: your payment of A$111.82 was received.")
	if got := text(t, ctx, "#outstanding"); got != "A$0.00" {
		t.Errorf("still to pay %q, want A$0.00", got)
	}
}
