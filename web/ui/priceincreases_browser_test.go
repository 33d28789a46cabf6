package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/web/ui/uitest"
)

// TestBrowserPriceIncrease: staff tag a client "retainer" on Edit Client
// (the tag shows on its page and filters the clients list), then on the
// Price increases page choose the tag, +10 %, from 15 April with 14 days'
// notice; the preview lists both tagged clients' services at their old and
// new prices and +A$30.00 a month, +A$360.00 a year in all; Apply is
// refused until the approval is ticked, then records the batch, whose page
// lists its services; Cancel (before the effective date) cancels it.
func TestBrowserPriceIncrease(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := newApp(t)
	bctx := context.Background()
	one, two := a.mustClient("Client One"), a.mustClient("Client Two")
	a.mustClient("Client Three")
	for i, c := range []struct {
		id    uuid.UUID
		price int64
	}{{one, 100}, {two, 200}} {
		res, err := a.svc.ActivateService(bctx, billing.ServiceRequest{ClientID: c.id, Name: []string{"Bookkeeping", "Payroll"}[i],
			UnitPrice: decimal.NewFromInt(c.price), Quantity: decimal.NewFromInt(1), Automatic: true,
			BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnDate, StartDate: domain.MustDate(2025, 3, 20), End: domain.EndNever}}, a.meta())
		if err != nil {
			t.Fatal(err)
		}
		a.wait(res)
	}
	res, err := a.svc.ChangeClientTags(bctx, billing.ClientTagsRequest{ClientID: two, Tags: []string{"Retainer"}}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)

	step(t, ctx, "tag Client One on Edit Client", chromedp.Navigate(a.server.URL+"/clients/"+one.String()+"/edit"),
		set("f-tags", "retainer, payroll"), chromedp.Click(chromedp.CSS(`button[type=submit]`)))
	flash(t, ctx, "Client details saved.")
	if got := text(t, ctx, "dd.tags"); !strings.Contains(got, "payroll") || !strings.Contains(got, "retainer") {
		t.Errorf("the client page shows tags %q", got)
	}
	step(t, ctx, "filter the clients list by tag", chromedp.Navigate(a.server.URL+"/clients?tag=RETAINER"), chromedp.WaitVisible(chromedp.CSS("table")))
	if got := text(t, ctx, "table tbody"); !strings.Contains(got, "Client One") || !strings.Contains(got, "Client Two") || strings.Contains(got, "Client Three") {
		t.Errorf("clients tagged retainer:\n%s", got)
	}
	screenshot(t, ctx, shots, "clients-by-tag")

	step(t, ctx, "preview +10 % for the retainer clients", chromedp.Navigate(a.server.URL+"/price-increases"),
		set("f-tag", "retainer"), set("f-increase_value", "10"), set("f-effective_from", "2025-04-15"), set("f-notice_days", "14"),
		chromedp.Click(chromedp.CSS(`button[value="preview"]`)), chromedp.WaitVisible(chromedp.ID("h-preview")))
	if got := text(t, ctx, "#totals tbody"); !strings.Contains(got, "+A$30.00") || !strings.Contains(got, "+A$360.00") {
		t.Errorf("totals %q, want +A$30.00 a month and +A$360.00 a year", got)
	}
	services := text(t, ctx, "#services tbody")
	for _, want := range []string{"Client One\tBookkeeping", "A$100.00\tA$110.00", "Client Two\tPayroll", "A$200.00\tA$220.00"} {
		if !strings.Contains(services, want) {
			t.Errorf("preview services lack %q:\n%s", want, services)
		}
	}
	if got := text(t, ctx, "#clients tbody"); !strings.Contains(got, "ada@clientone.test") {
		t.Errorf("notified clients:\n%s", got)
	}
	screenshot(t, ctx, shots, "price-increase-preview")

	step(t, ctx, "apply without approving", chromedp.Click(chromedp.ID("apply")), chromedp.WaitVisible(chromedp.ID("f-confirm-err")))
	step(t, ctx, "approve and apply", chromedp.Click(chromedp.ID("f-confirm")), chromedp.Click(chromedp.ID("apply")))
	flash(t, ctx, "Price increase applied to 2 services; the notices go out on 1 Apr 2025.")
	if got := text(t, ctx, "#services tbody"); !strings.Contains(got, "A$110.00") || !strings.Contains(got, "A$220.00") {
		t.Errorf("batch services:\n%s", got)
	}
	screenshot(t, ctx, shots, "price-increase-batch")
	step(t, ctx, "cancel it", set("cancel-reason", "held over"), chromedp.Click(chromedp.ID("cancel")))
	flash(t, ctx, "Price increase cancelled")
	if got := text(t, ctx, "#status"); got != "cancelled" {
		t.Errorf("status %q after cancel", got)
	}
	step(t, ctx, "the list", chromedp.Navigate(a.server.URL+"/price-increases"), chromedp.WaitVisible(chromedp.ID("batches")))
	if got := text(t, ctx, "#batches tbody"); !strings.Contains(got, "cancelled") {
		t.Errorf("batches:\n%s", got)
	}
	screenshot(t, ctx, shots, "price-increases-list")
}
