package ui_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"remit/web/ui/uitest"
)

// dashboardFirm: on 10 March 2025, Acme's bookkeeping (100 a month from 1
// January) and Birch's payroll (250 a month from 15 February), and an
// instant bill of 100 + GST to Acme, due in 14 days.
func dashboardFirm(t *testing.T) *app {
	t.Helper()
	a := newApp(t)
	acme, birch := a.mustClient("Acme"), a.mustClient("Birch")
	a.mustService(acme, "Bookkeeping", "100", date("2025-01-01"), true)
	a.mustService(birch, "Payroll", "250", date("2025-02-15"), true)
	a.mustInvoice(acme, "100")
	return a
}

// TestDashboardPage: the page answers without JavaScript with every figure
// (an SVG chart with its title and the table beside it), and a bad period
// is a 400 with the error beside the field.
func TestDashboardPage(t *testing.T) {
	a := dashboardFirm(t)
	p := a.get("/dashboard")
	if p.Status != 200 {
		t.Fatalf("dashboard: %d", p.Status)
	}
	mustContain(t, p, `<a href="/dashboard" aria-current="page">Dashboard</a>`, "A$350.00", "A$4,200.00",
		`<title id="chart-mrr-AUD-title">Monthly recurring revenue, last 12 months</title>`, `<caption>Accounts receivable by age (AUD)</caption>`)
	for _, id := range []string{"recurring", "projected", "revenue", "receivables", "collections", "proposals", "dso"} {
		mustContain(t, p, `<section class="report" id="`+id+`"`)
	}
	// Each table has its Download CSV beside it: the API's report as CSV,
	// that table (revenue's for the period shown).
	for _, link := range []string{"/api/reports/recurring-revenue?format=csv&amp;table=mrr-AUD", "/api/reports/projected-billings?format=csv&amp;table=services-AUD",
		"/api/reports/dso?format=csv&amp;table=dso"} {
		mustContain(t, p, `href="`+link+`" download>Download CSV</a>`)
	}
	if n, tables := strings.Count(p.Body, ">Download CSV</a>"), strings.Count(p.Body, "<caption>"); n != tables || n < 7 {
		t.Errorf("%d CSV downloads for %d tables, want one each", n, tables)
	}
	period := a.get("/dashboard?" + url.Values{"from": {"2025-01-01"}, "to": {"2025-03-31"}}.Encode())
	mustContain(t, period, `href="/api/reports/revenue?format=csv&amp;from=2025-01-01&amp;table=clients-AUD&amp;to=2025-03-31" download>`)
	// No payment was collected and no proposal sent: those panels say so
	// instead of drawing zeros.
	if n := strings.Count(p.Body, "<svg"); n != 7 {
		t.Errorf("%d charts, want one per figure with figures (7)", n)
	}
	mustContain(t, p, "No payments collected yet.", "No proposals sent in the last 12 months.")
	bad := a.get("/dashboard?" + url.Values{"from": {"2025-03-01"}, "to": {"2025-02-01"}}.Encode())
	if bad.Status != 400 || fieldError(bad.Body, "to") != "Must be on or after the first day." {
		t.Errorf("a period ending before it starts: %d, error beside to %q", bad.Status, fieldError(bad.Body, "to"))
	}
}

// TestBrowserDashboard walks the Dashboard in Chromium: reached from the
// navigation, its figures as computed by hand for dashboardFirm, a
// revenue period asked for with the form, and the page accessible.
func TestBrowserDashboard(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := dashboardFirm(t)
	u := a.server.URL

	step(t, ctx, "the clients page", chromedp.Navigate(u+"/clients"), chromedp.WaitVisible(chromedp.CSS(`nav a[href="/dashboard"]`)))
	step(t, ctx, "the Dashboard link", chromedp.Click(chromedp.CSS(`nav a[href="/dashboard"]`)), chromedp.WaitVisible(chromedp.ID("dso")))
	// MRR 100 + 250; the end of January had bookkeeping only.
	if got := text(t, ctx, "#recurring .headline"); !strings.Contains(got, "A$350.00") || !strings.Contains(got, "A$4,200.00") {
		t.Errorf("recurring revenue reads %q, want MRR A$350.00 and run rate A$4,200.00", got)
	}
	rows := text(t, ctx, "#recurring table tbody")
	if !strings.Contains(rows, "2025-01\t2025-01-31\t100.00\t100.00") && !strings.Contains(rows, "2025-01 2025-01-31 100.00 100.00") {
		t.Errorf("MRR table lacks January at 100.00: %q", rows)
	}
	// The instant bill: 110.00 owed, not yet due.
	if got := text(t, ctx, "#receivables table tbody tr:first-child"); !strings.Contains(got, "current") || !strings.Contains(got, "110.00") {
		t.Errorf("ageing's first row reads %q, want current 110.00", got)
	}
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#receivables svg title").textContent`))
	if err != nil || title != "Accounts receivable by age" {
		t.Errorf("ageing chart's title %q (%v)", title, err)
	}
	screenshot(t, ctx, shots, "dashboard")

	// Revenue for February only: nothing was invoiced then.
	step(t, ctx, "ask for February's revenue", set("f-from", "2025-02-01"), set("f-to", "2025-02-28"),
		chromedp.Click(chromedp.CSS(`#revenue form button[type=submit]`)))
	// Until the form's answer arrives the browser shows the page before it.
	for try := 0; !strings.Contains(location(t, ctx), "from=2025-02-01") && try < 100; try++ {
		time.Sleep(100 * time.Millisecond)
	}
	step(t, ctx, "February's dashboard", chromedp.WaitVisible(chromedp.ID("dso")))
	got := text(t, ctx, "#revenue .hint")
	for try := 0; !strings.Contains(got, "1 Feb 2025 to 28 Feb 2025") && try < 50; try++ {
		time.Sleep(100 * time.Millisecond)
		got = text(t, ctx, "#revenue .hint")
	}
	if !strings.Contains(got, "1 Feb 2025 to 28 Feb 2025") {
		t.Errorf("revenue's period reads %q", got)
	}
	if got := text(t, ctx, "#revenue .empty"); got != "No invoices in this period." {
		t.Errorf("February's revenue reads %q, want no invoices", got)
	}
	checkAccessible(t, ctx, "the dashboard for February")
}
