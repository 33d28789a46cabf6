package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"remit/projections"
	"remit/web/ui/uitest"
)

// TestBrowserServicesLibrary, in headless Chromium, walks the services
// library as staff use it: add a service (a duplicate name refused beside
// the field), edit its price, archive another, then issue an instant bill
// that starts from a library service, with its price overridden. Every
// page passes axe-core; screenshots go to uitest.ScreenshotDir.
func TestBrowserServicesLibrary(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := newApp(t)
	u := a.server.URL
	client := a.mustClient("Harbour Bakery")

	add := func(name, price, unit, terms string) {
		t.Helper()
		step(t, ctx, "open the add form", chromedp.Navigate(u+"/settings/library"), chromedp.WaitVisible(chromedp.ID("library-add")),
			chromedp.Click(chromedp.ID("library-add")), chromedp.WaitVisible(chromedp.ID("f-name")))
		step(t, ctx, "fill in "+name, set("f-name", name), set("f-unit_price", price), set("f-unit", unit), set("f-tax_rate", "10"),
			set("f-revenue_account", "4000"), set("f-description", name+" for small businesses"))
		if terms != "" {
			step(t, ctx, "terms of "+name, set("f-terms", terms))
		}
		if name == "Monthly bookkeeping" {
			screenshot(t, ctx, shots, "library-add")
		}
		step(t, ctx, "add "+name, chromedp.Click(chromedp.ID("library-save")))
	}
	add("Monthly bookkeeping", "450", "month", "We reconcile your accounts **monthly**.\n\nSend statements by the 5th.")
	flash(t, ctx, "Monthly bookkeeping added to the library.")
	add("Payroll", "25", "employee", "")
	flash(t, ctx, "Payroll added to the library.")

	// The same name again is refused beside the field, and nothing is added.
	before := a.head()
	add("monthly Bookkeeping", "10", "month", "")
	step(t, ctx, "refused", chromedp.WaitVisible(chromedp.ID("f-name-err")))
	if got := text(t, ctx, "#f-name-err"); !strings.Contains(got, "already offers a service named") {
		t.Errorf("the name's error reads %q", got)
	}
	screenshot(t, ctx, shots, "library-duplicate-name")
	if a.head() != before {
		t.Error("a refused service was recorded")
	}

	// Edit the bookkeeping's price.
	step(t, ctx, "list", chromedp.Navigate(u+"/settings/library"), chromedp.WaitVisible(chromedp.ID("library")))
	screenshot(t, ctx, shots, "library-list")
	lib, err := a.models.LibraryServices(context.Background(), projections.LibraryFilter{})
	if err != nil || len(lib) != 2 {
		t.Fatalf("library = %+v, %v", lib, err)
	}
	book, payroll := lib[0], lib[1]
	step(t, ctx, "edit", chromedp.Click(chromedp.CSS(`a[href="/settings/library/`+book.ServiceID.String()+`/edit"]`)), chromedp.WaitVisible(chromedp.ID("f-unit_price")))
	if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-terms"))); !strings.Contains(got, "\n\nSend statements") {
		t.Errorf("the terms show %q", got)
	}
	step(t, ctx, "new price", set("f-unit_price", "495.00"), chromedp.Click(chromedp.ID("library-save")))
	flash(t, ctx, "Monthly bookkeeping saved.")
	if got := text(t, ctx, "#library tbody tr:first-child"); !strings.Contains(got, "495.00") {
		t.Errorf("the list shows %q after the edit", got)
	}

	// Archive payroll; search finds it among the archived ones only.
	step(t, ctx, "archive", chromedp.Click(chromedp.CSS(`form[action="/settings/library/`+payroll.ServiceID.String()+`/archive"] button`)))
	flash(t, ctx, "Payroll archived")
	if got := text(t, ctx, "#library tbody"); strings.Contains(got, "Payroll") {
		t.Errorf("an archived service is still offered: %q", got)
	}
	step(t, ctx, "search archived", chromedp.Navigate(u+"/settings/library?status=archived&q=pay"), chromedp.WaitVisible(chromedp.ID("library")))
	if got := text(t, ctx, "#library tbody"); !strings.Contains(got, "Payroll") || !strings.Contains(got, "Archived") {
		t.Errorf("archived search shows %q", got)
	}
	screenshot(t, ctx, shots, "library-archived")

	// An instant bill from the library: the line is prefilled, the price
	// overridden.
	step(t, ctx, "instant bill", chromedp.Navigate(u+"/clients/"+client.String()+"/bill"), chromedp.WaitVisible(chromedp.ID("from")))
	if got := text(t, ctx, "#from"); strings.Contains(got, "Payroll") {
		t.Errorf("the library choice offers an archived service: %q", got)
	}
	step(t, ctx, "choose bookkeeping", chromedp.SetValue(chromedp.ID("from"), book.ServiceID.String()),
		// The blank form has the line too: rename it so that the wait finds
		// the prefilled page's.
		chromedp.Evaluate[chromedp.Void](`document.getElementById('f-lines-0-description').id = 'blank-line'`),
		chromedp.Click(chromedp.ID("library-use")), chromedp.WaitVisible(chromedp.ID("f-lines-0-description")))
	for id, want := range map[string]string{"f-lines-0-unit_price": "495.00", "f-lines-0-tax_rate": "10", "f-lines-0-quantity": "1"} {
		if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID(id))); got != want {
			t.Errorf("%s is prefilled with %q, want %q", id, got, want)
		}
	}
	if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-lines-0-description"))); !strings.HasPrefix(got, "Monthly bookkeeping") {
		t.Errorf("the line's description is %q", got)
	}
	step(t, ctx, "override the price", set("f-lines-0-unit_price", "400.00"))
	screenshot(t, ctx, shots, "library-instant-bill")
	step(t, ctx, "issue", chromedp.Click(chromedp.ID("issue")))
	flash(t, ctx, "Invoice issued.")
	if got := text(t, ctx, "main"); !strings.Contains(got, "Monthly bookkeeping") || !strings.Contains(got, "440.00") {
		t.Errorf("the invoice shows %q; want the library service at the overridden price (400 + 10%% tax)", got)
	}
	screenshot(t, ctx, shots, "library-invoice")
}
