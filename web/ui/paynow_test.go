package ui_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/integrations/payments"
	"remit/integrations/payments/gateways"
	"remit/integrations/payments/sandbox"
	"remit/projections"
	"remit/projections/rmdb"
	"remit/web/auth"
	"remit/web/ui"
	"remit/web/ui/uitest"
)

// payApp is the UI with the sandbox gateway: its hosted page and webhook
// are served beside the UI, as remit serve mounts them.
type payApp struct {
	*app
	pay   gateways.Opened
	links *auth.LinkSigner
}

func newPayApp(tb testing.TB) *payApp {
	tb.Helper()
	dir := tb.TempDir()
	st, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	clock := func() time.Time { return now }
	rm, err := rmdb.OpenSQLite(filepath.Join(dir, "rm.db"))
	if err != nil {
		tb.Fatal(err)
	}
	a := &app{tb: tb, store: st, svc: billing.New(billing.Config{Store: st, Now: clock}), models: projections.NewModels(rm)}
	if a.runner, err = projections.NewRunner(context.Background(), st, a.models, projections.RunnerOptions{}); err != nil {
		tb.Fatal(err)
	}
	if err := a.runner.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	p := &payApp{app: a}
	if p.pay, err = gateways.Start(gateways.Config{DataDir: dir, Store: st, Billing: a.svc, Now: clock}); err != nil {
		tb.Fatal(err)
	}
	if p.links, err = auth.NewLinkSigner(bytes.Repeat([]byte("p"), 32)); err != nil {
		tb.Fatal(err)
	}
	h := ui.New(ui.Config{Billing: a.svc, Models: a.models, Runner: a.runner, Store: st, Now: clock, Links: p.links, PayNow: p.pay.PayNow,
		Logger: slog.New(slog.NewTextHandler(logWriter{tb}, nil))})
	mux := http.NewServeMux()
	mux.Handle(sandbox.CheckoutPath, p.pay.Pages)
	mux.Handle(p.pay.WebhookPath, p.pay.Webhook)
	mux.Handle("/", h)
	a.server = httptest.NewServer(mux)
	jar, _ := cookiejar.New(nil)
	a.client = &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tb.Cleanup(func() {
		a.server.Close()
		_ = a.runner.Close()
		_ = p.pay.Sandbox.Close()
		_ = rm.Close()
		_ = st.Close()
	})
	a.mustSetUpFirm()
	return p
}

// payLink signs the pay-now link of an invoice.
func (p *payApp) payLink(clientID, invoiceID uuid.UUID) string {
	return "/c/i/" + p.links.Sign(auth.Link{ClientID: clientID, Purpose: auth.PurposePayInvoice, Resource: invoiceID, Expires: now.Add(ui.ClientLinkTTL), Issued: now})
}

// invoiceEvents lists the types of an invoice's events.
func (p *payApp) invoiceEvents(id uuid.UUID) []string {
	p.tb.Helper()
	recs, err := p.store.ReadStream(context.Background(), invoice.StreamName(id), 0, eventstore.Forward, 0)
	if err != nil {
		p.tb.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Type)
	}
	return out
}

// TestPayNowLinkPage: the pay-now page shows the invoice (number, total,
// what is owed, due date, its PDF) and Pay now; two tabs sent to pay are
// sent to the same gateway session; another client's invoice, or a link
// for another purpose, is refused; the staff invoice page shows the link.
func TestPayNowLinkPage(t *testing.T) {
	p := newPayApp(t)
	acme := p.mustClient("Acme")
	inv := p.mustInvoice(acme, "100")
	link := p.payLink(acme, inv)
	pg := p.get(link)
	if pg.Status != http.StatusOK {
		t.Fatalf("GET %s = %d", link, pg.Status)
	}
	mustContain(t, pg, "Invoice INV-000001", "A$110.00", "Still to pay", "24 Mar 2025", link+"/pdf", "card or bank account (BECS Direct Debit)", "Pay A$110.00 now", `name="save_method"`)
	if strings.Contains(pg.Body, "Payments received") {
		t.Error("an invoice with no payment lists payments received")
	}
	if pdf := p.get(link + "/pdf"); pdf.Status != http.StatusOK || !strings.HasPrefix(pdf.Body, "%PDF") {
		t.Errorf("the PDF: %d %.20q", pdf.Status, pdf.Body)
	}

	tab1 := p.post(link, url.Values{})
	tab2 := p.post(link, url.Values{"save_method": {"on"}})
	if tab1.Status != http.StatusSeeOther || !strings.HasPrefix(tab1.Location, sandbox.CheckoutPath+"checkout/") || tab2.Location != tab1.Location {
		t.Fatalf("two tabs were sent to %d %q and %q; want the same gateway page", tab1.Status, tab1.Location, tab2.Location)
	}

	// The client pays by direct debit in the first tab; Pay now in the
	// second finds that payment being processed and charges nothing more.
	sid := strings.TrimPrefix(tab1.Location, sandbox.CheckoutPath+"checkout/")
	if _, err := p.pay.Sandbox.CompleteForTest(context.Background(), sid, payments.TypeAUBECS, url.Values{
		"bsb": {"000-000"}, "account_number": {"000123456"}, "name": {"Ada"}, "mandate": {"agree"}}); err != nil {
		t.Fatal(err)
	}
	again := p.post(link, url.Values{})
	if again.Status != http.StatusSeeOther || again.Location != link {
		t.Fatalf("Pay now after paying in another tab: %d to %q, want back to the invoice", again.Status, again.Location)
	}
	mustContain(t, p.get(link), "your bank payment is being processed")
	res, err := p.svc.RecordOfflinePayment(context.Background(), billing.InvoiceRequest{InvoiceID: inv, Method: "bank_transfer", Amount: decimal.NewFromInt(10)}, p.meta())
	if err != nil {
		t.Fatal(err)
	}
	p.wait(res)
	mustContain(t, p.get(link), "Payments received", "A$10.00 on 10 Mar 2025 by bank transfer")
	if charges, err := p.pay.Sandbox.Charges(); err != nil || len(charges) != 1 {
		t.Errorf("%d charges (%v), want 1", len(charges), err)
	}

	other := p.mustClient("Other")
	if r := p.get(p.payLink(other, inv)); r.Status != http.StatusForbidden {
		t.Errorf("another client's link to this invoice: %d, want 403", r.Status)
	}
	wrong := "/c/i/" + p.links.Sign(auth.Link{ClientID: acme, Purpose: auth.PurposePaymentMethod, Resource: inv, Expires: now.Add(time.Hour), Issued: now})
	if r := p.get(wrong); r.Status != http.StatusForbidden {
		t.Errorf("a payment-method link at /c/i/: %d, want 403", r.Status)
	}
	staff := p.get("/invoices/" + inv.String())
	mustContain(t, staff, `id="pay-link"`, "/c/i/")

	if strings.Contains(p.get(link).Body, "Credit notes") {
		t.Error("an invoice with no credit note lists credit notes")
	}
	// A credit note, then the rest written off: the client sees the credit
	// note's number, amount and reason, and what was waived, without the
	// firm's reason for writing it off.
	for _, step := range []func() (billing.Result, error){
		func() (billing.Result, error) {
			return p.svc.IssueCreditNote(context.Background(), billing.InvoiceRequest{InvoiceID: inv, Amount: decimal.NewFromInt(20), Reason: "Loyalty discount"}, p.meta())
		},
		func() (billing.Result, error) {
			return p.svc.WriteOffInvoice(context.Background(), billing.InvoiceRequest{InvoiceID: inv, Reason: "Not worth chasing"}, p.meta())
		},
	} {
		res, err := step()
		if err != nil {
			t.Fatal(err)
		}
		p.wait(res)
	}
	credited := p.get(link)
	mustContain(t, credited, "Credit note INV-000001-CN1</a>: A$20.00 on 10 Mar 2025, Loyalty discount", "A$80.00 waived on 10 Mar 2025", "Nothing is owed on this invoice.",
		link+"/credit-notes/1/pdf")
	if doc := p.get(link + "/credit-notes/1/pdf"); doc.Status != http.StatusOK || !strings.HasPrefix(doc.Body, "%PDF") {
		t.Errorf("the credit note's PDF through the client's link: %d %.20q", doc.Status, doc.Body)
	}
	if doc := p.get(p.payLink(other, inv) + "/credit-notes/1/pdf"); doc.Status != http.StatusForbidden {
		t.Errorf("the credit note's PDF through another client's link: %d, want 403", doc.Status)
	}
	if strings.Contains(credited.Body, "Not worth chasing") {
		t.Error("the client's page shows the firm's reason for writing the invoice off")
	}
}

// TestBrowserPayNowFromLink: in Chromium, a client opens an invoice's
// pay-now link, asks to keep the card, pays on the sandbox's hosted page
// and comes back to the invoice shown paid; the webhook that follows
// records nothing more, and going back to pay again charges nothing.
func TestBrowserPayNowFromLink(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	p := newPayApp(t)
	acme := p.mustClient("Acme")
	inv := p.mustInvoice(acme, "100")
	link := p.server.URL + p.payLink(acme, inv)

	step(t, ctx, "open the pay-now link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("pay-now")))
	screenshot(t, ctx, shots, "pay-now-page")
	step(t, ctx, "keep the card and pay", chromedp.Click(chromedp.ID("f-save_method")), chromedp.Click(chromedp.ID("pay-now")),
		chromedp.WaitVisible(chromedp.ID("card-number")))
	step(t, ctx, "enter a test card on the sandbox's page",
		chromedp.SendKeys(chromedp.ID("card-number"), "4242 4242 4242 4242"), chromedp.SendKeys(chromedp.ID("card-expiry"), "12/30"),
		chromedp.SendKeys(chromedp.ID("card-cvc"), "123"), chromedp.Click(chromedp.CSS(`section[aria-labelledby="h-card"] button[type=submit]`)))
	flash(t, ctx, "Thank you: your payment of A$110.00 was received.")
	screenshot(t, ctx, shots, "pay-now-page-paid")
	if got := text(t, ctx, "#invoice-status"); got != "Paid" {
		t.Errorf("the invoice shows %q, want Paid", got)
	}
	if got := text(t, ctx, "#outstanding"); got != "A$0.00" {
		t.Errorf("still to pay %q, want A$0.00", got)
	}
	if got := text(t, ctx, "#payments"); !strings.Contains(got, "A$110.00 on ") || !strings.Contains(got, "by Visa •••• 4242") {
		t.Errorf("payments received %q, want A$110.00 by the kept Visa •••• 4242", got)
	}

	if _, err := p.pay.Sandbox.DeliverWebhooks(context.Background(), p.server.URL+p.pay.WebhookPath, nil); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range p.invoiceEvents(inv) {
		if e == "InvoicePaymentSucceeded" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d payments recorded after the return and the webhook, want 1: %v", n, p.invoiceEvents(inv))
	}
	charges, err := p.pay.Sandbox.Charges()
	if err != nil || len(charges) != 1 {
		t.Errorf("%d charges on the gateway (%v), want 1", len(charges), err)
	}
	st, err := methodsOnFile(p, acme)
	if err != nil || len(st) != 1 {
		t.Errorf("methods on file %v (%v), want the kept card", st, err)
	}
	step(t, ctx, "the page offers no second payment", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("invoice-status")))
	if body := text(t, ctx, "main"); strings.Contains(body, "Pay A$") || !strings.Contains(body, "This invoice is paid") || strings.Contains(body, "Refunds") {
		t.Errorf("a paid invoice's page: %s", body)
	}
	// Staff refund half of it: the client's page says so.
	half := decimal.NewFromInt(55)
	plan, err := p.svc.PlanRefund(context.Background(), billing.RefundRequest{InvoiceID: inv, Amount: &half, Reason: "one month cancelled"}, p.meta())
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.svc.RecordRefund(context.Background(), plan, "re_half", p.meta())
	if err != nil {
		t.Fatal(err)
	}
	p.wait(res)
	step(t, ctx, "the page lists the refund", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("refunds")))
	if got := text(t, ctx, "#refunds"); !strings.Contains(got, "A$55.00 refunded on ") {
		t.Errorf("refunds %q, want A$55.00 refunded", got)
	}
}

// methodsOnFile lists the labels of a client's methods on file.
func methodsOnFile(p *payApp, id uuid.UUID) ([]string, error) {
	sum, err := p.models.Summary(context.Background(), id, date("2025-03-10"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range sum.PaymentMethods {
		out = append(out, m.Label)
	}
	return out, nil
}
