package test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// walker is a firm's system driving Remit: the API through a write token,
// and `remit bill` and `remit reconcile` on the same data folder while the
// server is stopped (one writing process per folder).
type walker struct {
	t     *testing.T
	bin   string
	dir   string
	token string
	srv   *serveProc
}

func (w *walker) serve() {
	w.t.Helper()
	p := MustServe(w.t, w.bin, w.dir, "--gateway", "sandbox")
	w.srv = &p
}

// stop shuts the server down gracefully, so the CLI may take the folder.
func (w *walker) stop() {
	w.t.Helper()
	if err := w.srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		w.t.Fatal(err)
	}
	if err := w.srv.cmd.Wait(); err != nil {
		w.t.Fatalf("serve exited with %v after SIGTERM; stderr:\n%s", err, w.srv.out.String())
	}
	w.srv = nil
}

// post sends body and wants the status; it returns the JSON answer.
func (w *walker) post(want int, path string, body any) map[string]any {
	w.t.Helper()
	code, out := post(w.t, w.srv.url+path, w.token, body)
	if code != want {
		raw, _ := json.Marshal(out)
		w.t.Fatalf("POST %s: %d %s, want %d", path, code, raw, want)
	}
	return out
}

// get fetches path's JSON into v.
func (w *walker) get(path string, v any) {
	w.t.Helper()
	resp, err := authGet(w.t, w.srv.url+path, w.token)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		w.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		w.t.Fatalf("GET %s: %v\n%s", path, err, raw)
	}
}

// bill runs `remit bill --as-of date --collect` and wants exit 0.
func (w *walker) bill(date string) string {
	w.t.Helper()
	code, out := runBin(w.t, w.bin, "bill", "--as-of", date, "--collect", "--gateway", "sandbox", "--data", w.dir)
	if code != 0 {
		w.t.Fatalf("remit bill --as-of %s --collect: exit %d\n%s", date, code, out)
	}
	w.t.Logf("remit bill --as-of %s --collect:\n%s", date, strings.TrimSpace(out))
	return out
}

// walkInvoice is what a firm's system reads of an invoice.
type walkInvoice struct {
	ID           string    `json:"id"`
	Number       string    `json:"number"`
	StoredStatus string    `json:"stored_status"`
	Status       string    `json:"status"`
	IssueDate    string    `json:"issue_date"`
	DueDate      string    `json:"due_date"`
	Total        walkMoney `json:"total"`
	Balance      walkMoney `json:"balance"`
	Collection   *struct {
		Date            string `json:"date"`
		PaymentMethodID string `json:"payment_method_id"`
	} `json:"collection"`
	Lines []struct {
		Description string `json:"description"`
	} `json:"lines"`
}

// walkMoney is an amount as the API writes it.
type walkMoney struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

func (m walkMoney) String() string { return m.Currency + " " + m.Amount }

// checkCatchUp: a monthly service that started at start, first billed by
// the run of run, is on one invoice dated run, due terms days later, with a
// line per month naming it.
func (w *walker) checkCatchUp(invs []walkInvoice, run, start time.Time, terms int) {
	w.t.Helper()
	if len(invs) != 1 {
		w.t.Errorf("Northside Physio has %d invoices, want one catch-up invoice: %+v", len(invs), invs)
		return
	}
	inv := invs[0]
	day, due := run.Format(time.DateOnly), run.AddDate(0, 0, terms).Format(time.DateOnly)
	if inv.IssueDate != day || inv.DueDate != due {
		w.t.Errorf("the catch-up invoice is dated %s, due %s; want dated the run's date %s, due %s (%d days' terms)", inv.IssueDate, inv.DueDate, day, due, terms)
	}
	var wantLines []string
	for m := start; !m.After(run); m = m.AddDate(0, 1, 0) {
		wantLines = append(wantLines, "Monthly bookkeeping — "+m.Format("January 2006"))
	}
	if got := inv.descriptions(); !slices.Equal(got, wantLines) {
		w.t.Errorf("the catch-up invoice's lines:\n  %s\nwant one per period:\n  %s", strings.Join(got, "\n  "), strings.Join(wantLines, "\n  "))
	}
	if want := fmt.Sprintf("AUD %d.00", 330*len(wantLines)); inv.Total.String() != want {
		w.t.Errorf("the catch-up invoice's total is %s, want %s (%d months of 300 + GST)", inv.Total, want, len(wantLines))
	}
}

func (inv walkInvoice) descriptions() []string {
	var d []string
	for _, l := range inv.Lines {
		d = append(d, l.Description)
	}
	return d
}

// invoice reads one invoice.
func (w *walker) invoice(id string) walkInvoice {
	w.t.Helper()
	var inv walkInvoice
	w.get("/api/invoices/"+id, &inv)
	return inv
}

// invoicesOf reads every invoice of a client, each in full.
func (w *walker) invoicesOf(clientID string) []walkInvoice {
	w.t.Helper()
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	w.get("/api/clients/"+clientID+"/invoices?limit=100", &list)
	var out []walkInvoice
	for _, it := range list.Items {
		out = append(out, w.invoice(it.ID))
	}
	return out
}

// client creates a business client and returns its id.
func (w *walker) client(name, email string) string {
	w.t.Helper()
	c := w.post(http.StatusCreated, "/api/clients", map[string]any{
		"name": name, "kind": "business", "contacts": []map[string]any{{"name": "Accounts", "email": email}},
	})
	return c["id"].(string)
}

// card puts a sandbox card on file for the client and returns its id.
func (w *walker) card(clientID, gatewayToken string) string {
	w.t.Helper()
	m := w.post(http.StatusCreated, "/api/clients/"+clientID+"/payment-methods", map[string]any{
		"kind": "card", "gateway": "sandbox", "gateway_token": gatewayToken, "brand": "visa", "last4": "4242",
		"expiry_month": 12, "expiry_year": 2040,
	})
	return m["id"].(string)
}

// monthly activates an automatic monthly service from start; method may be
// empty (the client's default).
func (w *walker) monthly(clientID, name, price, start, method string) string {
	w.t.Helper()
	body := map[string]any{
		"name": name, "unit_price": price, "quantity": "1", "tax_rate": "10", "automatic": true,
		"billing_rule": map[string]any{"frequency": "months", "interval": 1, "start": "on_date", "start_date": start, "end": "never"},
	}
	if method != "" {
		body["payment_method_id"] = method
	}
	s := w.post(http.StatusCreated, "/api/clients/"+clientID+"/services", body)
	return s["id"].(string)
}

// TestBillingWalk walks what issue 15's firm does, as its systems would:
// the HTTP API with an API token, and `remit bill --as-of DATE --collect`.
// An instant bill to a client with a card is scheduled for collection and
// ends paid after the run; a monthly service that started three months
// before the run is caught up on one invoice dated the run's date with a
// line per period, due by the payment terms; two services of one client on
// one date, one naming the client's default card and one leaving it to the
// default, make one invoice; and `remit reconcile` agrees at the end.
//
// Every date is fixed, in 2036, later than the wall clock's today: the run
// `remit serve` makes when it starts (as of today) finds nothing due, and
// only the `remit bill --as-of` runs bill and collect.
func TestBillingWalk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it")
	}
	const (
		instantDay = "2036-04-08" // the instant bill's issue (and collection) date
		runDay     = "2036-04-15" // the billing run's date
		termsDays  = 14
	)
	run, _ := time.Parse(time.DateOnly, runDay)
	catchUpStart := run.AddDate(0, -3, 0) // 2036-01-15

	w := &walker{t: t, bin: MustBuild(t), dir: filepath.Join(t.TempDir(), "data")}
	w.token = MustToken(t, w.bin, "--data", w.dir)
	w.serve()

	w.post(http.StatusCreated, "/api/firm", map[string]any{
		"name": "Ledger & Co", "base_currency": "AUD", "time_zone": "Australia/Sydney", "payment_terms_days": termsDays,
	})

	// 1. A client with a card; an instant bill of A$1,450 + GST.
	harbour := w.client("Harbour Cafe", "accounts@harbour.example")
	harbourCard := w.card(harbour, "pm_card_visa")
	var methods struct {
		Items []map[string]any `json:"items"`
	}
	w.get("/api/clients/"+harbour+"/payment-methods", &methods)
	if len(methods.Items) != 1 || methods.Items[0]["default"] != true {
		t.Fatalf("the client's methods: %v; want the one card, as the default", methods.Items)
	}
	created := w.post(http.StatusCreated, "/api/invoices", map[string]any{
		"client_id": harbour, "issue_date": instantDay,
		"lines": []map[string]any{{"description": "Year-end accounts", "quantity": "1", "unit_price": "1450", "tax_rate": "10"}},
	})
	instant := w.invoice(created["id"].(string))
	if instant.StoredStatus != "payment_scheduled" || instant.Collection == nil ||
		instant.Collection.Date != instantDay || instant.Collection.PaymentMethodID != harbourCard {
		t.Fatalf("the instant bill: status %q, collection %+v; want payment scheduled from the card on %s", instant.StoredStatus, instant.Collection, instantDay)
	}
	if instant.Total.String() != "AUD 1595.00" {
		t.Fatalf("the instant bill's total is %s, want AUD 1595.00 (1,450 + 10%% GST)", instant.Total)
	}

	// The run on the collection date charges it.
	w.stop()
	w.bill(instantDay)
	w.serve()
	paid := w.invoice(instant.ID)
	if paid.Status != "paid" || paid.StoredStatus != "paid" || paid.Balance.String() != "AUD 0.00" || paid.Collection != nil {
		t.Fatalf("after the run of %s: status %q (stored %q), balance %s, collection %+v; want paid, nothing outstanding, nothing scheduled",
			instantDay, paid.Status, paid.StoredStatus, paid.Balance, paid.Collection)
	}

	// 2. A monthly service that started three months before the run.
	northside := w.client("Northside Physio", "admin@northside.example")
	w.monthly(northside, "Monthly bookkeeping", "300", catchUpStart.Format(time.DateOnly), "")

	// 3. Two services of one client on the run's date: one names the
	// default card, the other leaves the method to the default.
	bay := w.client("Bay Florist", "books@bay.example")
	bayCard := w.card(bay, "pm_card_visa")
	w.monthly(bay, "Payroll", "120", runDay, bayCard)
	w.monthly(bay, "BAS lodgement", "80", runDay, "")

	w.stop()
	w.bill(runDay)
	w.serve()

	// One catch-up invoice dated the run's date, a line per period.
	w.checkCatchUp(w.invoicesOf(northside), run, catchUpStart, termsDays)

	// One invoice for Bay Florist's date, holding both services.
	if bays := w.invoicesOf(bay); len(bays) != 1 {
		t.Errorf("Bay Florist has %d invoices for one date and one method, want 1: %+v", len(bays), bays)
	} else {
		got := bays[0].descriptions()
		slices.Sort(got)
		if want := []string{"BAS lodgement — April 2036", "Payroll — April 2036"}; !slices.Equal(got, want) || bays[0].IssueDate != runDay {
			t.Errorf("Bay Florist's invoice of %s has lines %q; want %q dated %s", bays[0].IssueDate, got, want, runDay)
		}
		if bays[0].Total.String() != "AUD 220.00" {
			t.Errorf("Bay Florist's invoice totals %s, want AUD 220.00", bays[0].Total)
		}
	}

	// The instant bill is still the only invoice of Harbour Cafe, and paid.
	if hs := w.invoicesOf(harbour); len(hs) != 1 || hs[0].StoredStatus != "paid" {
		t.Errorf("Harbour Cafe's invoices after the second run: %+v; want the one paid instant bill", hs)
	}

	// 4. The read models agree with the log.
	w.stop()
	if code, out := runBin(t, w.bin, "reconcile", "--data", w.dir); code != 0 {
		t.Fatalf("remit reconcile: exit %d\n%s", code, out)
	}
}
