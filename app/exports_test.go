package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/app"
	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/integrations/payments/sandbox"
)

// exportsApp is the wired app on a clock the test moves, with helpers to
// call its API.
type exportsApp struct {
	t    *testing.T
	a    *app.App
	mu   sync.Mutex
	now  time.Time
	base string
	hc   *http.Client
}

func (e *exportsApp) clock() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }

func (e *exportsApp) setNow(t time.Time) { e.mu.Lock(); defer e.mu.Unlock(); e.now = t }

// do sends a request and returns the status, the response and its body.
func (e *exportsApp) do(method, path, accept, body string) (int, http.Header, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return res.StatusCode, res.Header, b
}

// head is the log's head.
func (e *exportsApp) head() uint64 {
	e.t.Helper()
	h, err := e.a.Store.Head(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// caughtUp waits for the read models to show everything appended.
func (e *exportsApp) caughtUp() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.a.Runner.WaitFor(ctx, e.head()); err != nil {
		e.t.Fatal(err)
	}
}

// jsonItems reads every page of a JSON list (small pages, so paging is
// crossed).
func (e *exportsApp) jsonItems(path string) []map[string]any {
	e.t.Helper()
	var all []map[string]any
	next := path + sep(path) + "limit=2"
	for next != "" {
		code, _, b := e.do(http.MethodGet, next, "", "")
		if code != http.StatusOK {
			e.t.Fatalf("GET %s: %d %s", next, code, b)
		}
		var l struct {
			Items []map[string]any `json:"items"`
			Next  string           `json:"next"`
		}
		if err := json.Unmarshal(b, &l); err != nil {
			e.t.Fatalf("GET %s: %v", next, err)
		}
		all = append(all, l.Items...)
		next = l.Next
	}
	return all
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

// csvRows downloads path as CSV (by ?format=csv, or by the Accept header
// when byAccept) and parses it back with encoding/csv: the header, and each
// row as a map by column.
func (e *exportsApp) csvRows(path string, byAccept bool) ([]string, []map[string]string) {
	e.t.Helper()
	var code int
	var h http.Header
	var b []byte
	if byAccept {
		code, h, b = e.do(http.MethodGet, path, "text/csv", "")
	} else {
		code, h, b = e.do(http.MethodGet, path+sep(path)+"format=csv", "", "")
	}
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		e.t.Fatalf("GET %s as CSV: %d, Content-Type %q, Content-Disposition %q\n%s", path, code, h.Get("Content-Type"), h.Get("Content-Disposition"), b)
	}
	return parseCSV(e.t, b)
}

func parseCSV(t *testing.T, b []byte) ([]string, []map[string]string) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("CSV does not parse (%v):\n%s", err, b)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, col := range recs[0] {
			m[col] = r[i]
		}
		rows = append(rows, m)
	}
	return recs[0], rows
}

// field reads a dotted path of a JSON object as a string.
func field(m map[string]any, path string) string {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		o, _ := v.(map[string]any)
		v = o[k]
	}
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return fmt.Sprint(x)
	case bool:
		return fmt.Sprint(x)
	}
	return fmt.Sprint(v)
}

// sameAsJSON checks that the CSV rows are the JSON list's items, in order:
// each column named in cols (csv column -> JSON path) equal, the CSV cell
// guarded against formulas.
func sameAsJSON(t *testing.T, what string, items []map[string]any, rows []map[string]string, cols map[string]string) {
	t.Helper()
	if len(rows) != len(items) {
		t.Fatalf("%s: %d CSV rows, %d JSON items", what, len(rows), len(items))
	}
	for i, it := range items {
		for col, path := range cols {
			want := field(it, path)
			if want != "" && strings.ContainsRune("=+-@", rune(want[0])) && !strings.HasSuffix(col, "amount") {
				want = "'" + want
			}
			if got := rows[i][col]; got != want {
				t.Errorf("%s row %d: %s = %q, JSON %s = %q", what, i+1, col, got, path, want)
			}
		}
	}
}

// TestBillingDryRunAndExportsThroughTheWiredApp: POST /api/billing-runs with
// "dry_run": true and an as_of date lists the invoices the run of that date
// would issue and the payments it would collect, and writes nothing (the
// log's head is unchanged); on that date the real run issues exactly those
// invoices (same ids, clients, lines, totals) and collects those payments.
// Then every list downloads as CSV, by ?format=csv or Accept: text/csv,
// whole (not one page), parsing back to the JSON list, with a cell that
// reads as a formula guarded.
func TestBillingDryRunAndExportsThroughTheWiredApp(t *testing.T) {
	ctx := context.Background()
	e := &exportsApp{t: t, now: time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC), hc: &http.Client{Timeout: 30 * time.Second}}
	a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", NoAuth: true, PublicURL: "https://billing.example.com", Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	e.a, e.base = a, a.Web.URL()
	meta, must := commandHelpers(t)
	svc := a.Billing
	must(svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney"}, meta("firm")))
	names := []string{"Acme Pty Ltd", "=HYPERLINK(\"http://evil.example\",\"Click\"), Ltd", "Brick, \"Mortar\" & Sons", "Dune Co"}
	start := domain.MustDate(2026, 3, 20)
	var clients []string
	for i, name := range names {
		c := must(svc.CreateClient(ctx, billing.ClientRequest{Name: name, Kind: client.KindBusiness,
			Contacts: []client.Contact{{Name: "Jo", Email: fmt.Sprintf("jo%d@client.example", i)}}}, meta("client"+name))).ID
		clients = append(clients, c.String())
		if i%2 == 0 {
			must(svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: c, Method: client.PaymentMethodDetails{
				Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: sandbox.TokenCardSucceeds, Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2030,
			}}, meta("card"+name)))
		}
		must(svc.ActivateService(ctx, billing.ServiceRequest{ClientID: c, Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(150), Quantity: decimal.NewFromInt(2),
			TaxRate: decimal.NewFromInt(10), Automatic: true,
			BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnDate, StartDate: start, End: domain.EndNever}}, meta("svc"+name)))
	}
	e.caughtUp()

	// The dry run as of the services' start writes nothing.
	before := e.head()
	code, _, b := e.do(http.MethodPost, "/api/billing-runs", "", `{"dry_run": true, "as_of": "2026-03-20"}`)
	if code != http.StatusOK {
		t.Fatalf("dry run: %d %s", code, b)
	}
	if h := e.head(); h != before {
		t.Fatalf("the dry run moved the log's head from %d to %d", before, h)
	}
	var dry struct {
		DryRun  bool `json:"dry_run"`
		Preview struct {
			AsOf        string           `json:"as_of"`
			Note        string           `json:"note"`
			Invoices    []map[string]any `json:"invoices"`
			Collections []map[string]any `json:"collections"`
		} `json:"preview"`
	}
	if err := json.Unmarshal(b, &dry); err != nil {
		t.Fatal(err)
	}
	p := dry.Preview
	if !dry.DryRun || p.AsOf != "2026-03-20" || len(p.Invoices) != 4 || len(p.Collections) != 2 || !strings.Contains(p.Note, "numbers are given when issued") {
		t.Fatalf("dry run answered %s; want 4 invoices, 2 collections (the clients with a card) as of 2026-03-20", b)
	}
	said := map[string]string{}
	for _, inv := range p.Invoices {
		said[field(inv, "invoice_id")] = field(inv, "client_name") + " " + field(inv, "totals.gross.amount") + " " + field(inv, "collection_date")
	}
	// As CSV: one row per line, the same invoices.
	code, h, b := e.do(http.MethodPost, "/api/billing-runs?format=csv", "", `{"dry_run": true, "as_of": "2026-03-20"}`)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Fatalf("dry run as CSV: %d %s %s", code, h.Get("Content-Type"), b)
	}
	_, rows := parseCSV(t, b)
	if len(rows) != 4 {
		t.Fatalf("dry run CSV has %d lines, want 4", len(rows))
	}
	for _, r := range rows {
		if got := said[r["invoice_id"]]; got != strings.TrimPrefix(r["client_name"], "'")+" "+r["invoice_total"]+" "+r["collection_date"] {
			t.Errorf("dry run CSV row %v does not match the JSON %q", r, got)
		}
	}
	if code, _, b := e.do(http.MethodPost, "/api/billing-runs", "", `{"dry_run": true, "as_of": "20-03-2026"}`); code != http.StatusBadRequest || !strings.Contains(string(b), "as_of") {
		t.Errorf("dry run with a bad as_of: %d %s; want 400 naming as_of", code, b)
	}
	if code, _, b := e.do(http.MethodPost, "/api/billing-runs", "", `{"as_of": "2026-03-20"}`); code != http.StatusUnprocessableEntity || !strings.Contains(string(b), "as_of") {
		t.Errorf("real run with an as_of: %d %s; want 422 naming as_of", code, b)
	}
	if h := e.head(); h != before {
		t.Fatalf("refused requests moved the log's head from %d to %d", before, h)
	}

	// On that day the real run issues exactly those invoices and collects
	// those payments.
	e.setNow(time.Date(2026, 3, 20, 1, 0, 0, 0, time.UTC))
	if code, _, b := e.do(http.MethodPost, "/api/billing-runs", "", ""); code != http.StatusOK {
		t.Fatalf("billing run: %d %s", code, b)
	}
	e.caughtUp()
	invoices := e.jsonItems("/api/invoices")
	did := map[string]string{}
	for _, inv := range invoices {
		st := field(inv, "status")
		collected := ""
		if st == "paid" {
			collected = "2026-03-20"
		}
		did[field(inv, "id")] = field(inv, "client_name") + " " + field(inv, "total.amount") + " " + collected
	}
	if fmt.Sprint(did) != fmt.Sprint(said) {
		t.Fatalf("the run issued %v\nthe dry run said %v", did, said)
	}

	// Every list as CSV is the JSON list, whole.
	_, rows = e.csvRows("/api/invoices", false)
	sameAsJSON(t, "invoices", invoices, rows, map[string]string{"id": "id", "number": "number", "client_name": "client_name", "issue_date": "issue_date",
		"due_date": "due_date", "status": "status", "total": "total.amount", "balance": "balance.amount", "currency": "balance.currency"})
	cl := e.jsonItems("/api/clients")
	header, rows := e.csvRows("/api/clients", true)
	if !slices.Contains(header, "name") || !slices.Contains(header, "primary_email") {
		t.Errorf("clients CSV header %v", header)
	}
	sameAsJSON(t, "clients", cl, rows, map[string]string{"id": "id", "name": "name", "primary_email": "primary_email", "archived": "archived"})
	formula := slices.IndexFunc(rows, func(r map[string]string) bool { return strings.Contains(r["name"], "HYPERLINK") })
	if formula < 0 || !strings.HasPrefix(rows[formula]["name"], "'=") {
		t.Errorf("a client name starting with = is not guarded: %v", rows)
	}
	for _, c := range clients[:1] {
		for _, l := range []struct{ path, what string }{
			{"/api/clients/" + c + "/services", "services"},
			{"/api/clients/" + c + "/activity", "activity"},
			{"/api/clients/" + c + "/invoices", "client invoices"},
		} {
			items := e.jsonItems(l.path)
			_, rows := e.csvRows(l.path, false)
			cols := map[string]string{"id": "id"}
			switch l.what {
			case "services":
				cols = map[string]string{"id": "id", "name": "name", "unit_price": "unit_price.amount", "currency": "unit_price.currency", "quantity": "quantity"}
			case "activity":
				cols = map[string]string{"position": "position", "actor": "actor", "event_type": "event_type", "text": "text"}
			}
			if len(items) == 0 {
				t.Errorf("%s is empty", l.what)
			}
			sameAsJSON(t, l.what, items, rows, cols)
		}
		code, _, b := e.do(http.MethodGet, "/api/clients/"+c+"/schedule", "", "")
		var sched struct {
			Items []map[string]any `json:"items"`
		}
		if code != http.StatusOK || json.Unmarshal(b, &sched) != nil || len(sched.Items) == 0 {
			t.Fatalf("schedule: %d %s", code, b)
		}
		_, rows := e.csvRows("/api/clients/"+c+"/schedule", true)
		sameAsJSON(t, "schedule", sched.Items, rows, map[string]string{"key": "key", "date": "date", "amount": "amount.amount", "currency": "amount.currency", "status": "status"})
	}
	paid := invoices[slices.IndexFunc(invoices, func(m map[string]any) bool { return field(m, "status") == "paid" })]
	payments := e.jsonItems("/api/invoices/" + field(paid, "id") + "/payments")
	_, rows = e.csvRows("/api/invoices/"+field(paid, "id")+"/payments", false)
	if len(payments) != 1 {
		t.Fatalf("%d payments on a paid invoice", len(payments))
	}
	sameAsJSON(t, "payments", payments, rows, map[string]string{"id": "id", "date": "date", "amount": "amount.amount", "currency": "amount.currency"})
	header, rows = e.csvRows("/api/payouts", false)
	if len(rows) != len(e.jsonItems("/api/payouts")) || !slices.Contains(header, "arrival_date") {
		t.Errorf("payouts CSV: header %v, %d rows", header, len(rows))
	}
	if code, _, b := e.do(http.MethodGet, "/api/invoices?format=xml", "", ""); code != http.StatusBadRequest || !strings.Contains(string(b), "format") {
		t.Errorf("?format=xml: %d %s; want 400 naming format", code, b)
	}
}
