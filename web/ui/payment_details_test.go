package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"remit/billing"
	"remit/web/ui/uitest"
)

// TestRequestPaymentDetailsFromTheClientPage: staff ask one client for
// payment details from its page; the page then says when it was asked and
// that it is not answered, and an archived client cannot be asked.
func TestRequestPaymentDetailsFromTheClientPage(t *testing.T) {
	a := newApp(t)
	acme := a.mustClient("Acme")
	base := "/clients/" + acme.String()
	mustContain(t, a.get(base), `href="`+base+`/payment-details-requests/new"`)
	form := a.get(base + "/payment-details-requests/new")
	mustContain(t, form, "Ada Acme &lt;ada@acme.test&gt;", `name="note"`)

	long := a.post(base+"/payment-details-requests/new", url.Values{"note": {strings.Repeat("x", 1001)}})
	if long.Status != http.StatusUnprocessableEntity || !strings.Contains(long.Body, `id="f-note-err"`) {
		t.Errorf("a note too long: %d, want 422 with the message beside the note\n%s", long.Status, errorsOf(long.Body))
	}
	p := a.mustPost(base+"/payment-details-requests/new", url.Values{"note": {"For the new year"}}, "Payment details requested")
	mustContain(t, p, `id="details-request"`, "from ada@acme.test", "not answered")

	list := a.get("/clients?filter=request_unanswered")
	mustContain(t, list, "Acme", "Payment details requested")

	res, err := a.svc.ArchiveClient(context.Background(), billing.ClientRef{ClientID: acme}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)
	mustContain(t, a.get(base+"/payment-details-requests/new"), "is archived")
	if r := a.post(base+"/payment-details-requests/new", url.Values{}); r.Status != http.StatusConflict {
		t.Errorf("asking an archived client: %d, want 409", r.Status)
	}
}

// TestRequestPaymentDetailsBulkConfirm: the confirm page of a bulk request
// says how many clients will be emailed and how many skipped, and sending
// it twice asks nobody twice.
func TestRequestPaymentDetailsBulkConfirm(t *testing.T) {
	a := newApp(t)
	a.mustClient("Acme One")
	a.mustClient("Acme Two")
	gone := a.mustClient("Acme Gone")
	res, err := a.svc.ArchiveClient(context.Background(), billing.ClientRef{ClientID: gone}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)
	mustContain(t, a.get("/clients?q=acme"), `href="/clients/request-payment-details?page=1&amp;q=acme"`)
	c := a.get("/clients/request-payment-details?q=acme")
	mustContain(t, c, "<strong>2</strong> clients will be emailed", "<strong>1</strong> will be skipped", "Acme Gone: archived", "Email 2 clients")
	form := url.Values{"q": {"acme"}, "note": {"Please"}, "_token": {"f0000000-0000-4000-8000-000000000001"}}
	a.mustPost("/clients/request-payment-details", form, "Payment details requested from 2 clients. 1 client skipped")
	again := a.mustPost("/clients/request-payment-details", form, "Payment details requested from 0 clients. 2 clients had already been asked")
	mustContain(t, again, "Acme One", "Acme Two")
	if p := a.get("/clients/request-payment-details"); !strings.Contains(p.Body, "No clients are selected") {
		t.Error("without a filter or search the confirm page must offer nothing")
	}
}

// TestBrowserRequestPaymentDetailsByFilter: in Chromium, staff filter the
// clients without a payment method, ask them all for payment details from
// the confirm page, and the two emails arrive; the "Requested, not
// answered" filter lists both with when they were asked.
func TestBrowserRequestPaymentDetailsByFilter(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := newApp(t)
	a.mustClient("Acme")
	a.mustClient("Beta")
	carded := a.mustClient("Carded")
	a.mustCard(carded, "tok_carded")

	step(t, ctx, "filter the clients without a method", chromedp.Navigate(a.server.URL+"/clients"),
		chromedp.SetValue(chromedp.ID("filter"), "no_active_method"), chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("request-details-bulk")))
	step(t, ctx, "open the confirm page", chromedp.Click(chromedp.ID("request-details-bulk")), chromedp.WaitVisible(chromedp.ID("request-count")))
	screenshot(t, ctx, shots, "bulk-request-confirm-page")
	if got := text(t, ctx, "#request-count"); !strings.Contains(got, "2 clients will be emailed") {
		t.Fatalf("confirm page says %q, want 2 clients emailed", got)
	}
	step(t, ctx, "send", chromedp.SetValue(chromedp.ID("f-note"), "Please add a card before March."),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)))
	flash(t, ctx, "Payment details requested from 2 clients.")

	dir := t.TempDir()
	a.runOutbox(dir)
	var to []string
	for _, m := range emls(t, dir) {
		if !strings.Contains(m, "asks for your payment details") {
			continue
		}
		if !strings.Contains(m, "Please add a card before March.") || !strings.Contains(m, "https://remit.example/update_method/") {
			t.Errorf("a request email lacks the note or the link:\n%s", m)
		}
		for _, who := range []string{"ada@acme.test", "ada@beta.test", "ada@carded.test"} {
			if strings.Contains(m, "To: ") && strings.Contains(m, who) {
				to = append(to, who)
			}
		}
	}
	if len(to) != 2 || strings.Contains(strings.Join(to, " "), "carded") {
		t.Errorf("request emails went to %v, want Acme's and Beta's billing contacts", to)
	}

	step(t, ctx, "the unanswered filter", chromedp.Navigate(a.server.URL+"/clients?filter=request_unanswered"), chromedp.WaitVisible(chromedp.CSS("table")))
	screenshot(t, ctx, shots, "clients-requested-not-answered")
	rows := text(t, ctx, "table tbody")
	for _, want := range []string{"Acme", "Beta", "Payment details requested"} {
		if !strings.Contains(rows, want) {
			t.Errorf("the unanswered list lacks %q: %s", want, rows)
		}
	}
	if strings.Contains(rows, "Carded") {
		t.Errorf("the unanswered list shows a client never asked: %s", rows)
	}
}
