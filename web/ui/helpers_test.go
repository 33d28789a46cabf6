package ui_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/eventstore/sqlite"
	"remit/integrations/payments/gateways"
	"remit/integrations/payments/sandbox"
	"remit/projections"
	"remit/projections/rmdb"
	"remit/web/ui"
)

// now is the test clock: a Monday morning in Sydney.
var now = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

// app is the real program's parts around the UI: the embedded store on a
// temporary folder, billing, the projections runner and the UI handler on
// an httptest server.
type app struct {
	tb     testing.TB
	store  *sqlite.Store
	svc    *billing.Service
	models *projections.Models
	runner *projections.Runner
	server *httptest.Server
	client *http.Client
	// gw is the sandbox gateway whose hosted page (under
	// sandbox.CheckoutPath on the test server) captures payment methods.
	gw       *sandbox.Gateway
	checkout *gateways.Checkout
	gwPages  http.Handler
}

// withGateway serves h with the sandbox gateway's hosted page beside it, as
// the API server mounts it.
func (a *app) withGateway(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(sandbox.CheckoutPath, a.gwPages)
	mux.Handle("/", h)
	return mux
}

func newApp(tb testing.TB) *app {
	tb.Helper()
	a := newBareApp(tb, nil)
	a.mustSetUpFirm()
	return a
}

// newBareApp is newApp without the firm set up, with configure (if not
// nil) changing the UI's configuration.
func newBareApp(tb testing.TB, configure func(*ui.Config)) *app {
	tb.Helper()
	st, err := sqlite.Open(tb.TempDir(), sqlite.Options{})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	clock := func() time.Time { return now }
	rm, err := rmdb.OpenSQLite(filepath.Join(tb.TempDir(), "rm.db"))
	if err != nil {
		tb.Fatalf("read models: %v", err)
	}
	a := &app{tb: tb, store: st, svc: billing.New(billing.Config{Store: st, Now: clock}), models: projections.NewModels(rm)}
	a.runner, err = projections.NewRunner(context.Background(), st, a.models, projections.RunnerOptions{})
	if err != nil {
		tb.Fatalf("runner: %v", err)
	}
	if err := a.runner.Start(context.Background()); err != nil {
		tb.Fatalf("start runner: %v", err)
	}
	o, err := gateways.Start(gateways.Config{DataDir: tb.TempDir(), Now: clock, Store: st, Billing: a.svc})
	if err != nil {
		tb.Fatalf("sandbox gateway: %v", err)
	}
	a.gw, a.checkout, a.gwPages = o.Sandbox, o.Checkout, o.Pages
	cfg := ui.Config{Billing: a.svc, Models: a.models, Runner: a.runner, Store: st, Now: clock, Logger: slog.New(slog.NewTextHandler(logWriter{tb}, nil)),
		Checkout: a.checkout}
	if configure != nil {
		configure(&cfg)
	}
	h := ui.New(cfg)
	a.server = httptest.NewServer(a.withGateway(h))
	jar, _ := cookiejar.New(nil)
	a.client = &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tb.Cleanup(func() {
		a.server.Close()
		a.gw.Close()
		if err := a.runner.Close(); err != nil {
			tb.Errorf("close runner: %v", err)
		}
		if err := rm.Close(); err != nil {
			tb.Errorf("close read models: %v", err)
		}
		if err := st.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return a
}

func (a *app) meta() billing.Meta { return billing.Meta{Actor: "test"} }

func (a *app) wait(res billing.Result) {
	a.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.runner.WaitFor(ctx, res.Position); err != nil {
		a.tb.Fatalf("wait for read models: %v", err)
	}
}

func (a *app) mustSetUpFirm() {
	a.tb.Helper()
	res, err := a.svc.SetUpFirm(context.Background(), billing.SetUpFirmRequest{
		Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", InvoicePrefix: "INV-", PaymentTermsDays: 14,
	}, a.meta())
	if err != nil {
		a.tb.Fatalf("set up firm: %v", err)
	}
	a.wait(res)
}

// mustClient creates a client with one contact through billing.
func (a *app) mustClient(name string) uuid.UUID {
	a.tb.Helper()
	res, err := a.svc.CreateClient(context.Background(), billing.ClientRequest{
		Name: name, Kind: client.KindBusiness, Contacts: []client.Contact{{Name: "Ada " + name, Email: "ada@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".test"}},
	}, a.meta())
	if err != nil {
		a.tb.Fatalf("create client: %v", err)
	}
	a.wait(res)
	return res.ID
}

func (a *app) mustCard(clientID uuid.UUID, token string) uuid.UUID {
	a.tb.Helper()
	res, err := a.svc.AddPaymentMethod(context.Background(), billing.PaymentMethodRequest{ClientID: clientID, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: token, Brand: "visa", Last4: "4242", ExpiryMonth: 8, ExpiryYear: 2030,
	}}, a.meta())
	if err != nil {
		a.tb.Fatalf("add card: %v", err)
	}
	a.wait(res)
	return res.ID
}

// mustService activates a monthly service starting on start.
func (a *app) mustService(clientID uuid.UUID, name, price string, start domain.Date, automatic bool) uuid.UUID {
	a.tb.Helper()
	res, err := a.svc.ActivateService(context.Background(), billing.ServiceRequest{
		ClientID: clientID, Name: name, UnitPrice: decimal.RequireFromString(price), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10),
		BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnDate, StartDate: start, End: domain.EndNever},
		Automatic:   automatic,
	}, a.meta())
	if err != nil {
		a.tb.Fatalf("activate service: %v", err)
	}
	a.wait(res)
	return res.ID
}

func (a *app) mustInvoice(clientID uuid.UUID, price string) uuid.UUID {
	a.tb.Helper()
	res, err := a.svc.IssueInvoice(context.Background(), billing.IssueInvoiceRequest{ClientID: clientID, Lines: []billing.InstantLine{
		{Description: "Advice", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.RequireFromString(price), TaxRate: decimal.NewFromInt(10)},
	}}, a.meta())
	if err != nil {
		a.tb.Fatalf("issue invoice: %v", err)
	}
	a.wait(res)
	return res.ID
}

func (a *app) head() uint64 {
	a.tb.Helper()
	h, err := a.store.Head(context.Background())
	if err != nil {
		a.tb.Fatalf("head: %v", err)
	}
	return h
}

// page is a response with its body read.
type page struct {
	Status   int
	Location string
	Body     string
}

func (a *app) get(path string) page {
	a.tb.Helper()
	resp, err := a.client.Get(a.server.URL + path)
	if err != nil {
		a.tb.Fatalf("GET %s: %v", path, err)
	}
	return read(a.tb, resp)
}

func read(tb testing.TB, resp *http.Response) page {
	tb.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read body: %v", err)
	}
	return page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(b)}
}

// post submits a form; a form without _token gets a fresh one, as a
// rendered form would carry.
func (a *app) post(path string, form url.Values) page {
	a.tb.Helper()
	form = clone(form)
	if form.Get("_token") == "" {
		form.Set("_token", uuid.NewString())
	}
	resp, err := a.client.PostForm(a.server.URL+path, form)
	if err != nil {
		a.tb.Fatalf("POST %s: %v", path, err)
	}
	return read(a.tb, resp)
}

// mustPost submits a form that must succeed: 303, then GETs the page it
// redirects to and checks the confirmation shows.
func (a *app) mustPost(path string, form url.Values, flash string) page {
	a.tb.Helper()
	p := a.post(path, form)
	if p.Status != http.StatusSeeOther {
		a.tb.Fatalf("POST %s = %d, want 303\n%s", path, p.Status, errorsOf(p.Body))
	}
	next := a.get(p.Location)
	if next.Status != http.StatusOK {
		a.tb.Fatalf("GET %s after POST %s = %d", p.Location, path, next.Status)
	}
	if flash != "" && !strings.Contains(next.Body, flash) {
		a.tb.Fatalf("page %s after POST %s lacks confirmation %q", p.Location, path, flash)
	}
	next.Location = p.Location
	return next
}

var errorRE = regexp.MustCompile(`(?s)<p class="error"[^>]*>(.*?)</p>|<div class="flash err"[^>]*>(.*?)</div>|<li>(?:<a[^>]*>)?(.*?)(?:</a>)?</li>`)

// errorsOf extracts error texts from a page, for failure messages.
func errorsOf(body string) string {
	var out []string
	for _, m := range errorRE.FindAllStringSubmatch(body, 20) {
		out = append(out, strings.TrimSpace(m[1]+m[2]+m[3]))
	}
	return strings.Join(out, " | ")
}

func mustContain(tb testing.TB, p page, want ...string) {
	tb.Helper()
	for _, w := range want {
		if !strings.Contains(p.Body, w) {
			tb.Errorf("page lacks %q", w)
		}
	}
}

// idFrom is the UUID after prefix in a path ("/invoices/<id>").
func idFrom(tb testing.TB, path, prefix string) uuid.UUID {
	tb.Helper()
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok {
		tb.Fatalf("%q does not start with %q", path, prefix)
	}
	id, err := uuid.Parse(strings.SplitN(rest, "/", 2)[0])
	if err != nil {
		tb.Fatalf("no id in %q: %v", path, err)
	}
	return id
}

// fieldError is the inline error shown beside the input named name.
func fieldError(body, name string) string {
	id := "f-" + strings.NewReplacer(".", "-", "[", "-", "]", "").Replace(name)
	re := regexp.MustCompile(`<p class="error" id="` + regexp.QuoteMeta(id) + `-err">([^<]*)</p>`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// inputValue is the value attribute of the input named name, or the value
// of the selected option of the select list named name.
func inputValue(body, name string) string {
	re := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" type="[a-z]+" value="([^"]*)"`)
	if m := re.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return selectedOption(body, name)
}

// selectedOption is the value of the selected option of the select list
// named name ("" if it has none selected, or there is no such list).
func selectedOption(body, name string) string {
	list := regexp.MustCompile(`(?s)<select [^>]*name="` + regexp.QuoteMeta(name) + `"[^>]*>(.*?)</select>`).FindStringSubmatch(body)
	if list == nil {
		return ""
	}
	m := regexp.MustCompile(`<option value="([^"]*)" selected>`).FindStringSubmatch(list[1])
	if m == nil {
		return ""
	}
	return m[1]
}

func date(s string) domain.Date { return must(domain.ParseDate(s)) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// newHandlerWith is another UI handler on a's parts, with a CSRF token and
// an actor.
func newHandlerWith(a *app, csrf, actor func(*http.Request) string) http.Handler {
	return ui.New(ui.Config{Billing: a.svc, Models: a.models, Runner: a.runner, Store: a.store, Now: func() time.Time { return now }, CSRFToken: csrf, Actor: actor})
}

func httpServer(tb testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL
}

func getFrom(tb testing.TB, base, path string) page {
	tb.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	return read(tb, resp)
}

// logWriter sends the UI's log to the test's log.
type logWriter struct{ tb testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func clone(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// invoiceTotal is how many invoices the read models list for q.
func (a *app) invoiceTotal(q projections.InvoiceQuery) int {
	a.tb.Helper()
	page, err := a.models.ListInvoices(context.Background(), q)
	if err != nil {
		a.tb.Fatalf("list invoices: %v", err)
	}
	return page.Total
}
