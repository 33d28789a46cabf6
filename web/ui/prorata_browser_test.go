package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"remit/web/ui/uitest"
)

// TestBrowserProRataFirstPeriod, in headless Chromium: staff add a service
// billed monthly on the 1st, starting on 15 March 2025, and tick "Bill the
// first period pro rata". Ticked on a weekly rule first, the form says
// beside the box that only a monthly rule with a day of the month can, and
// keeps what was typed. The service's summary names the rule, and its
// schedule starts with the partial period: 15 March at A$300 × 17/31 =
// A$164.52, "15 – 31 March 2025, pro rata 17/31 days", then A$300 on 1
// April. The pages pass axe-core; screenshots go to uitest.ScreenshotDir.
func TestBrowserProRataFirstPeriod(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := newApp(t)
	u := a.server.URL
	id := a.mustClient("Harbour Bakery")

	step(t, ctx, "add a service form", chromedp.Navigate(u+"/clients/"+id.String()+"/services/new"), chromedp.WaitVisible(chromedp.ID("f-billing_rule-pro_rata_first")))
	step(t, ctx, "weekly, pro rata",
		set("f-name", "Payroll"), set("f-unit_price", "300"), set("f-billing_rule-frequency", "weekly"),
		set("f-billing_rule-start_date", "2025-03-15"), chromedp.Click(chromedp.ID("f-billing_rule-pro_rata_first")),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("f-billing_rule-pro_rata_first-err")))
	if e := text(t, ctx, "#f-billing_rule-pro_rata_first-err"); !strings.Contains(e, "only a monthly rule billed on a set day of the month") {
		t.Errorf("error beside the box: %q", e)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#errors li").length`)); n != 1 {
		t.Errorf("%d problems listed, want the one with the rule", n)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-name"))); v != "Payroll" {
		t.Errorf("name not kept: %q", v)
	}
	screenshot(t, ctx, shots, "prorata-form-error")

	step(t, ctx, "monthly on the 1st, pro rata",
		set("f-billing_rule-frequency", "monthly"), set("f-billing_rule-anchor_day", "1"))
	if on, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("f-billing_rule-pro_rata_first").checked`)); !on {
		step(t, ctx, "tick pro rata", chromedp.Click(chromedp.ID("f-billing_rule-pro_rata_first")))
	}
	screenshot(t, ctx, shots, "prorata-form")
	step(t, ctx, "add", chromedp.Click(chromedp.CSS(`main form button[type=submit]`)))
	flash(t, ctx, "Service Payroll added.")
	if got := text(t, ctx, "main dl.kv"); !strings.Contains(got, "Monthly on day 1, first period pro rata, from 15 Mar 2025") || !strings.Contains(got, "15 Mar 2025") {
		t.Errorf("summary %q: want the rule and the next billing on 15 Mar 2025", got)
	}
	screenshot(t, ctx, shots, "prorata-service")

	step(t, ctx, "schedule", chromedp.Click(chromedp.CSS(`nav.subnav a[href$="/schedule"]`)), chromedp.WaitVisible(chromedp.CSS("main table tbody tr")))
	first := text(t, ctx, "main table tbody tr:nth-child(1)")
	second := text(t, ctx, "main table tbody tr:nth-child(2)")
	for _, want := range []string{"15 Mar 2025", "Payroll — 15 – 31 March 2025, pro rata 17/31 days", "A$164.52"} {
		if !strings.Contains(first, want) {
			t.Errorf("first item %q: want %q", first, want)
		}
	}
	for _, want := range []string{"1 Apr 2025", "Payroll — April 2025", "A$300.00"} {
		if !strings.Contains(second, want) {
			t.Errorf("second item %q: want %q", second, want)
		}
	}
	screenshot(t, ctx, shots, "prorata-schedule")
}
