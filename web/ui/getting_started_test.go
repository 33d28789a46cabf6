package ui_test

import (
	"net/url"
	"strings"
	"testing"

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
	if list = steps(); !done(list, "Firm details") || done(list, "Your first client") || done(list, "The services library") {
		t.Fatalf("after the firm is set up: %s", list)
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

	b := newBareApp(t, nil)
	b.mustPost("/dashboard/getting-started/dismiss", url.Values{}, "Getting started is hidden in this browser.")
	if p := b.get("/dashboard"); strings.Contains(p.Body, `id="getting-started"`) {
		t.Error("a dismissed checklist still shows in that browser")
	}
}
