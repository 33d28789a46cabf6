package ui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain/firm"
	"remit/web/ui"
)

// TestGettingStarted: a firm not set up sees Firm details to do; each
// step ticks as its read model shows it done (the gateway and email steps
// from how Remit was started), and once every step is done the list is
// gone. A browser that hid the list does not see it.
func TestGettingStarted(t *testing.T) {
	a := newBareApp(t, func(c *ui.Config) { c.Gateway, c.SendsEmail = "stripe", true })
	steps := func() string {
		t.Helper()
		p := a.get("/dashboard")
		i := strings.Index(p.Body, `id="getting-started"`)
		if i < 0 {
			return ""
		}
		return p.Body[i : i+strings.Index(p.Body[i:], "</section>")]
	}
	done := func(list, title string) bool {
		return strings.Contains(list, "<strong>"+title+`</strong> <span class="badge good">`)
	}
	list := steps()
	if list == "" || done(list, "Firm details") || !done(list, "How clients pay") || !done(list, "Email sending") || !done(list, "Invite your staff") {
		t.Fatalf("a new firm's checklist: %s", list)
	}
	a.mustSetUpFirm()
	if list = steps(); !done(list, "Firm details") || done(list, "Your first client") || done(list, "The services library") || done(list, "Tax rates") || done(list, "Bank account for transfers") {
		t.Fatalf("after the firm is set up: %s", list)
	}
	a.wait(must(a.svc.AddTaxRate(context.Background(), billing.TaxRateRequest{Name: "GST", Rate: decimal.NewFromInt(10)}, a.meta())))
	a.wait(must(a.svc.ChangeFirmSettings(context.Background(), billing.FirmSettingsRequest{BankAccount: &firm.BankAccount{Number: "1234 5678"}}, a.meta())))
	if list = steps(); !done(list, "Tax rates") || !done(list, "Bank account for transfers") {
		t.Fatalf("after a tax rate and the bank account: %s", list)
	}
	a.mustPost("/settings/library/new", url.Values{"name": {"Payroll"}, "unit_price": {"25"}, "quantity": {"1"}, "billing_rule.frequency": {"monthly"}, "billing_rule.end": {"never"}}, "Payroll added to the library.")
	c := a.mustClient("Acme")
	if list = steps(); !done(list, "The services library") || !done(list, "Your first client") || done(list, "Your first service or proposal") {
		t.Fatalf("after a library service and a client: %s", list)
	}
	a.mustService(c, "Bookkeeping", "100", date("2025-01-01"), true)
	if list = steps(); list != "" {
		t.Fatalf("every step done, yet the checklist shows: %s", list)
	}

	// An instant bill (one-off lines: an invoice, no service) ticks the
	// last step too.
	d := newBareApp(t, func(c *ui.Config) { c.Gateway, c.SendsEmail = "stripe", true })
	d.mustSetUpFirm()
	d.mustInvoice(d.mustClient("Acme"), "100")
	i := strings.Index(d.get("/dashboard").Body, `<strong>Your first service or proposal</strong> <span class="badge good">`)
	if i < 0 {
		t.Error("after an instant bill, Your first service or proposal is still to do")
	}

	b := newBareApp(t, nil)
	b.mustPost("/dashboard/getting-started/dismiss", url.Values{}, "Getting started is hidden in this browser.")
	if p := b.get("/dashboard"); strings.Contains(p.Body, `id="getting-started"`) {
		t.Error("a dismissed checklist still shows in that browser")
	}
}
