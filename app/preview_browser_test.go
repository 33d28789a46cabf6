package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"

	"remit/app"
	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/integrations/payments/sandbox"
	"remit/web/ui/uitest"
)

// download is what the browser got from a "Download CSV" link, fetched by
// the page itself (with its session): the headers a user's download gets,
// and the document.
type download struct {
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Disposition string `json:"disposition"`
	Body        string `json:"body"`
}

// TestBrowserBillingPreviewAndDownloads walks in headless Chromium, on the
// wired app (UI and API on one server): from the menu's preview (today's
// run, by default) and the clients page's "Preview
// billing run" to the preview of the day the services start, which lists
// each invoice the run would issue with its lines and total and the
// payments it would take, writing nothing; then the preview's and the
// clients page's "Download CSV" links answer text/csv attachments holding
// those invoices and clients. Every page passes axe-core.
func TestBrowserBillingPreviewAndDownloads(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := uitest.Browser(t)
	shots := uitest.ScreenshotDir(t)
	bg := context.Background()
	e := &exportsApp{t: t, now: time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC), hc: &http.Client{Timeout: 30 * time.Second}}
	a, err := app.Open(bg, app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", NoAuth: true, PublicURL: "https://billing.example.com", Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	e.a, e.base = a, a.Web.URL()
	meta, must := commandHelpers(t)
	svc := a.Billing
	must(svc.SetUpFirm(bg, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney"}, meta("firm")))
	for i, name := range []string{"Acme Pty Ltd", "Brick & Mortar"} {
		c := must(svc.CreateClient(bg, billing.ClientRequest{Name: name, Kind: client.KindBusiness,
			Contacts: []client.Contact{{Name: "Jo", Email: fmt.Sprintf("jo%d@client.example", i)}}}, meta("client"+name))).ID
		if i == 0 {
			must(svc.AddPaymentMethod(bg, billing.PaymentMethodRequest{ClientID: c, Method: client.PaymentMethodDetails{
				Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: sandbox.TokenCardSucceeds, Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2030,
			}}, meta("card"+name)))
		}
		must(svc.ActivateService(bg, billing.ServiceRequest{ClientID: c, Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(150), Quantity: decimal.NewFromInt(2),
			TaxRate: decimal.NewFromInt(10), Automatic: true,
			BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnDate, StartDate: domain.MustDate(2026, 3, 20), End: domain.EndNever}}, meta("svc"+name)))
	}
	e.caughtUp()
	before := e.head()
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	read := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	fetch := func(sel string) download {
		t.Helper()
		d, err := chromedp.Run(ctx, chromedp.Evaluate[download](`fetch(document.querySelector(`+"`"+sel+"`"+`).href).then(async r => ({status: r.status,
			contentType: r.headers.get("Content-Type") || "", disposition: r.headers.get("Content-Disposition") || "", body: await r.text()}))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("fetch %s: %v", sel, err)
		}
		return d
	}

	// The menu's link names no date: the preview of today's run.
	run("the menu's Billing run preview", chromedp.Navigate(e.base+"/billing-run/preview"), chromedp.WaitVisible(chromedp.ID("planned-h")))
	if got := read("#planned-h"); !strings.Contains(got, "0 invoices the run on 10 Mar 2026 would issue") {
		t.Errorf("the menu's preview reads %q, want today's run (10 Mar 2026), which has nothing due", got)
	}
	run("the clients page", chromedp.Navigate(e.base+"/clients"), chromedp.WaitVisible(chromedp.ID("preview-billing")))
	run("Preview billing run", chromedp.Click(chromedp.ID("preview-billing")), chromedp.WaitVisible(chromedp.ID("f-date")))
	run("a bad date", chromedp.Evaluate[chromedp.Void](`document.querySelector("#f-date").type = "text"`),
		chromedp.SetValue(chromedp.ID("f-date"), "31/03/2026"), chromedp.Click(chromedp.ID("preview-run")), chromedp.WaitVisible(chromedp.ID("f-date-err")))
	if got := read("#f-date-err"); !strings.Contains(got, "Enter a date") {
		t.Errorf("the date's error reads %q", got)
	}
	run("Preview as of the start", chromedp.SetValue(chromedp.ID("f-date"), "2026-03-20"), chromedp.Click(chromedp.ID("preview-run")),
		chromedp.WaitVisible(chromedp.CSS("table.planned")))
	page := read("main")
	for _, want := range []string{"2 invoices the run on", "Acme Pty Ltd", "Brick & Mortar", "visa ending 4242", "collected 20 Mar 2026",
		"330.00", "no payment method", "1 payment collection would take", "the new invoice", "numbers are given when issued"} {
		if !strings.Contains(page, want) {
			t.Errorf("the preview lacks %q:\n%s", want, page)
		}
	}
	uitest.CheckAccessible(t, ctx, "billing preview")
	uitest.Screenshot(t, ctx, shots, "billing-preview")

	d := fetch("#download-preview")
	if d.Status != http.StatusOK || !strings.HasPrefix(d.ContentType, "text/csv") || !strings.Contains(d.Disposition, `attachment; filename=billing-preview-2026-03-20.csv`) {
		t.Fatalf("the preview's download: %d %q %q\n%s", d.Status, d.ContentType, d.Disposition, d.Body)
	}
	_, rows := parseCSV(t, []byte(d.Body))
	if len(rows) != 2 || rows[0]["client_name"] != "Acme Pty Ltd" || rows[0]["invoice_total"] != "330.00" || rows[0]["currency"] != "AUD" || rows[0]["collection_date"] != "2026-03-20" {
		t.Errorf("the preview's CSV rows: %v", rows)
	}
	if h := e.head(); h != before {
		t.Fatalf("previewing moved the log's head from %d to %d", before, h)
	}

	run("back to the clients page", chromedp.Navigate(e.base+"/clients"), chromedp.WaitVisible(chromedp.CSS("a.csv")))
	d = fetch("a.csv")
	if d.Status != http.StatusOK || !strings.HasPrefix(d.ContentType, "text/csv") || !strings.HasPrefix(d.Disposition, "attachment") {
		t.Fatalf("the clients download: %d %q %q\n%s", d.Status, d.ContentType, d.Disposition, d.Body)
	}
	if _, rows := parseCSV(t, []byte(d.Body)); len(rows) != 2 || rows[0]["name"] != "Acme Pty Ltd" {
		t.Errorf("the clients CSV rows: %v", rows)
	}
	uitest.CheckAccessible(t, ctx, "clients")
	uitest.Screenshot(t, ctx, shots, "clients-download")
}
