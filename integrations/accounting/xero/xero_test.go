package xero_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/integrations/accounting"
	"remit/integrations/accounting/xero"
	"remit/integrations/accounting/xero/xerotest"
)

// The organisation the test server seeds from the spec's examples: sales
// account 200, bank account 091, GST 15% on income as OUTPUT2, and the
// contacts Katherine Warren and Lisa Parker.
const (
	salesAccount = "200"
	bankAccount  = "091"
	gst15        = "OUTPUT2"
	lisaParker   = "3ec601ad-eddc-4ccb-a8ac-736e88293b1b"
	kathWarren   = "5cc8cf28-567e-4d43-b287-687cfcaec47c"
)

var nzd = domain.MustCurrency("NZD")

// memTokens is a TokenStore in memory that keeps every save.
type memTokens struct {
	mu    sync.Mutex
	tok   xero.Token
	saves []xero.Token
}

func (m *memTokens) Load(context.Context) (xero.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tok, nil
}

func (m *memTokens) Save(_ context.Context, t xero.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tok = t
	m.saves = append(m.saves, t)
	return nil
}

func (m *memTokens) current() xero.Token {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tok
}

// MustLedger connects an adapter to s with a fresh refresh token.
func MustLedger(tb testing.TB, s *xerotest.Server) (*xero.Ledger, *memTokens) {
	tb.Helper()
	store := &memTokens{tok: xero.Token{RefreshToken: s.RefreshToken()}}
	l, err := xero.New(xero.Config{
		TenantID: s.TenantID, ClientID: s.ClientID, ClientSecret: s.ClientSecret,
		Tokens: store, BaseURL: s.URL, TokenURL: s.TokenURL,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return l, store
}

// line is a Remit line computed the way Remit does: amounts rounded half
// away from zero per line, tax per line.
func line(desc, qty, unit, discount string, inclusive bool) accounting.Line {
	q, u, d := decimal.RequireFromString(qty), decimal.RequireFromString(unit), decimal.RequireFromString(discount)
	rate := decimal.RequireFromString("0.15")
	amt := nzd.Round(q.Mul(u).Mul(decimal.NewFromInt(100).Sub(d)).Div(decimal.NewFromInt(100)))
	var net, tax, gross decimal.Decimal
	if inclusive {
		gross = amt
		tax = nzd.Round(gross.Mul(rate).Div(decimal.NewFromInt(1).Add(rate)))
		net = gross.Sub(tax)
	} else {
		net = amt
		tax = nzd.Round(net.Mul(rate))
		gross = net.Add(tax)
	}
	return accounting.Line{
		Description: desc, Quantity: q, UnitPrice: domain.NewMoney(u, nzd), DiscountPercent: d,
		Net: domain.NewMoney(net, nzd), Tax: domain.NewMoney(tax, nzd), Gross: domain.NewMoney(gross, nzd),
		TaxRate: rate, AccountCode: salesAccount, TaxType: gst15,
	}
}

func invoice(number string, c accounting.Contact, inclusive bool, lines ...accounting.Line) accounting.Invoice {
	inv := accounting.Invoice{
		ID: uuid.New(), Number: number, Contact: c, Currency: nzd,
		IssueDate: domain.MustDate(2025, time.March, 1), DueDate: domain.MustDate(2025, time.March, 15),
		TaxInclusive: inclusive, Lines: lines,
		Net: domain.Zero(nzd), Tax: domain.Zero(nzd), Total: domain.Zero(nzd),
	}
	for _, l := range lines {
		inv.Net, _ = inv.Net.Add(l.Net)
		inv.Tax, _ = inv.Tax.Add(l.Tax)
		inv.Total, _ = inv.Total.Add(l.Gross)
	}
	return inv
}

func newClient(name string) accounting.Contact {
	return accounting.Contact{ClientID: uuid.New(), Name: name, Email: "accounts@example.com"}
}

// MustPushInvoice pushes and fails the test on error.
func MustPushInvoice(tb testing.TB, l *xero.Ledger, inv accounting.Invoice) accounting.Ack {
	tb.Helper()
	ack, err := l.PushInvoice(context.Background(), inv)
	if err != nil {
		tb.Fatalf("push invoice %s: %v", inv.Number, err)
	}
	return ack
}

func ledgerError(tb testing.TB, err error) *accounting.Error {
	tb.Helper()
	var le *accounting.Error
	if !errors.As(err, &le) {
		tb.Fatalf("error %v (%T) is not a *accounting.Error", err, err)
	}
	return le
}

func TestPushInvoiceCreatesContactOnceAndIsIdempotent(t *testing.T) {
	s := xerotest.New(t)
	l, _ := MustLedger(t, s)
	client := newClient("Acme Bookkeeping Ltd")
	inv := invoice("INV-0001", client, false, line("Monthly bookkeeping", "1", "450.00", "0", false), line("Payroll", "3", "25.50", "0", false))

	first := MustPushInvoice(t, l, inv)
	if first.LedgerID == "" || first.ContactID == "" || first.Existing {
		t.Fatalf("first push: %+v", first)
	}
	got := s.Invoice(first.LedgerID)
	for field, want := range map[string]string{
		"Type": "ACCREC", "Status": "AUTHORISED", "InvoiceNumber": "INV-0001", "Reference": inv.ID.String(),
		"CurrencyCode": "NZD", "LineAmountTypes": "Exclusive", "Total": inv.Total.Amount.String(), "TotalTax": inv.Tax.Amount.String(),
		"DateString": "2025-03-01T00:00:00", "DueDateString": "2025-03-15T00:00:00",
	} {
		if v := got[field]; str(v) != want {
			t.Errorf("invoice %s = %v, want %s", field, v, want)
		}
	}
	var created []map[string]any
	for _, c := range s.Contacts() {
		if c["Name"] == client.Name {
			created = append(created, c)
		}
	}
	if len(created) != 1 || created[0]["ContactID"] != first.ContactID || created[0]["ContactNumber"] != client.ClientID.String() {
		t.Fatalf("contacts named %q: %v (ack contact %s)", client.Name, created, first.ContactID)
	}

	again := MustPushInvoice(t, l, inv)
	if again.LedgerID != first.LedgerID || again.ContactID != first.ContactID || !again.Existing {
		t.Errorf("second push: %+v, want the first's ids and Existing", again)
	}
	if n := s.Count(http.MethodPut, "/Invoices"); n != 1 {
		t.Errorf("%d invoice creations, want 1", n)
	}
	if n := s.Count(http.MethodPut, "/Contacts"); n != 1 {
		t.Errorf("%d contact creations, want 1", n)
	}
	for _, r := range s.Requests() {
		if r.Method == http.MethodPut && r.IdempotencyKey == "" {
			t.Errorf("%s %s sent no Idempotency-Key", r.Method, r.Path)
		}
	}

	// A second invoice for the same client uses the contact created with
	// the first.
	second := MustPushInvoice(t, l, invoice("INV-0002", client, false, line("Monthly bookkeeping", "1", "450.00", "0", false)))
	if second.ContactID != first.ContactID || s.Count(http.MethodPut, "/Contacts") != 1 {
		t.Errorf("second invoice's contact %s (contact creations %d), want %s", second.ContactID, s.Count(http.MethodPut, "/Contacts"), first.ContactID)
	}
}

func str(v any) string {
	if s, ok := v.(interface{ String() string }); ok {
		return s.String()
	}
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func TestPushInvoiceContacts(t *testing.T) {
	s := xerotest.New(t)
	l, _ := MustLedger(t, s)

	t.Run("MatchedByExactName", func(t *testing.T) {
		ack := MustPushInvoice(t, l, invoice("INV-0101", newClient("Lisa Parker"), false, line("Advice", "1", "100", "0", false)))
		if ack.ContactID != lisaParker {
			t.Errorf("contact %s, want Lisa Parker's %s", ack.ContactID, lisaParker)
		}
	})
	t.Run("Mapped", func(t *testing.T) {
		before := s.Count(http.MethodGet, "/Contacts")
		c := newClient("Warren Family Trust")
		c.LedgerID = kathWarren
		ack := MustPushInvoice(t, l, invoice("INV-0102", c, false, line("Advice", "1", "100", "0", false)))
		if ack.ContactID != kathWarren || s.Invoice(ack.LedgerID)["Contact"].(map[string]any)["ContactID"] != kathWarren {
			t.Errorf("contact %s, want the mapped %s", ack.ContactID, kathWarren)
		}
		if s.Count(http.MethodGet, "/Contacts") != before {
			t.Errorf("a mapped contact was looked up")
		}
	})
	t.Run("NameWithQuotes", func(t *testing.T) {
		c := newClient(`Joe "JJ" Bloggs \ Co`)
		first := MustPushInvoice(t, l, invoice("INV-0103", c, false, line("Advice", "1", "100", "0", false)))
		second := MustPushInvoice(t, l, invoice("INV-0104", c, false, line("Advice", "1", "100", "0", false)))
		if first.ContactID == "" || second.ContactID != first.ContactID {
			t.Errorf("contacts %s and %s, want one", first.ContactID, second.ContactID)
		}
		for _, r := range s.Requests() {
			if r.Path == "/Contacts" && strings.Contains(r.Query.Get("where"), "JJ") {
				t.Errorf("a name with a double quote went into a where filter: %s", r.Query.Get("where"))
			}
		}
	})
	t.Run("RenamedInXeroFoundByClientID", func(t *testing.T) {
		c := newClient("Old Name Ltd")
		first := MustPushInvoice(t, l, invoice("INV-0105", c, false, line("Advice", "1", "100", "0", false)))
		c.Name = "New Name Ltd" // the client is renamed in Remit; Xero still has the old name
		second := MustPushInvoice(t, l, invoice("INV-0106", c, false, line("Advice", "1", "100", "0", false)))
		if second.ContactID != first.ContactID {
			t.Errorf("contact %s, want the one created for the client, %s", second.ContactID, first.ContactID)
		}
	})
}

func TestPushInvoiceAmounts(t *testing.T) {
	s := xerotest.New(t)
	l, _ := MustLedger(t, s)
	cases := []struct {
		name      string
		inclusive bool
		lines     []accounting.Line
		// sent is what the first line must carry ("DiscountRate", "DiscountAmount", "").
		sent string
	}{
		{"Exclusive", false, []accounting.Line{line("Audit", "2", "333.33", "0", false), line("Filing", "1", "19.99", "0", false)}, ""},
		{"Inclusive", true, []accounting.Line{line("Audit", "2", "333.33", "0", true), line("Filing", "1", "19.99", "0", true)}, ""},
		{"DiscountPercent", false, []accounting.Line{line("Audit", "3", "120.00", "12.5", false)}, "DiscountRate"},
		{"DiscountInclusive", true, []accounting.Line{line("Audit", "1", "99.95", "10", true)}, "DiscountRate"},
		// A fixed discount of 10.00 on 3 × 10.00, converted by the caller
		// to 33.3333…%: Xero's DiscountRate cannot carry it exactly.
		{"FixedDiscountAsPercent", false, []accounting.Line{line("Setup", "3", "10.00", "33.33333333", false)}, "DiscountAmount"},
		{"FractionalQuantity", false, []accounting.Line{line("Hours", "1.25", "180.00", "0", false)}, ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv := invoice("INV-02"+string(rune('0'+i)), newClient("Client "+c.name), c.inclusive, c.lines...)
			ack := MustPushInvoice(t, l, inv)
			got := s.Invoice(ack.LedgerID)
			if str(got["Total"]) != inv.Total.Amount.String() || str(got["TotalTax"]) != inv.Tax.Amount.String() || str(got["SubTotal"]) != inv.Net.Amount.String() {
				t.Errorf("Xero totals %v/%v/%v, Remit's %s/%s/%s", got["SubTotal"], got["TotalTax"], got["Total"], inv.Net, inv.Tax, inv.Total)
			}
			want := map[bool]string{true: "Inclusive", false: "Exclusive"}[c.inclusive]
			if got["LineAmountTypes"] != want {
				t.Errorf("LineAmountTypes %v, want %s", got["LineAmountTypes"], want)
			}
			first := got["LineItems"].([]any)[0].(map[string]any)
			for _, k := range []string{"DiscountRate", "DiscountAmount"} {
				if _, has := first[k]; has != (k == c.sent) {
					t.Errorf("line sent %s: %v, want only %q", k, first, c.sent)
				}
			}
			if first["AccountCode"] != salesAccount || first["TaxType"] != gst15 {
				t.Errorf("line codes %v/%v", first["AccountCode"], first["TaxType"])
			}
		})
	}
}

func TestPushInvoiceTotalMismatchIsPermanent(t *testing.T) {
	s := xerotest.New(t)
	l, _ := MustLedger(t, s)
	inv := invoice("INV-0301", newClient("Mismatch Ltd"), false, line("Audit", "1", "100.00", "0", false))
	inv.Total = domain.MustMoney("115.01", "NZD") // a rounding Remit got wrong
	_, err := l.PushInvoice(context.Background(), inv)
	le := ledgerError(t, err)
	if le.Temporary || !strings.Contains(le.Message, "115.00") || !strings.Contains(le.Message, "115.01") {
		t.Errorf("error %+v: want permanent, naming Xero's 115.00 and Remit's 115.01", le)
	}
	// A retry finds the invoice and reports the same difference; it creates nothing.
	_, err = l.PushInvoice(context.Background(), inv)
	if le := ledgerError(t, err); le.Temporary || !strings.Contains(le.Message, "115.01") {
		t.Errorf("retry: %v", err)
	}
	if n := s.Count(http.MethodPut, "/Invoices"); n != 1 {
		t.Errorf("%d invoice creations, want 1", n)
	}
}

func TestPushInvoiceRefusedByXeroIsPermanentWithItsMessage(t *testing.T) {
	s := xerotest.New(t)
	l, _ := MustLedger(t, s)
	ln := line("Audit", "1", "100.00", "0", false)
	ln.AccountCode = "999"
	_, err := l.PushInvoice(context.Background(), invoice("INV-0401", newClient("Lisa Parker"), false, ln))
	le := ledgerError(t, err)
	if le.Temporary || le.Status != http.StatusBadRequest || !strings.Contains(le.Message, "Account code '999' is not a valid code") {
		t.Errorf("error %+v: want permanent 400 with Xero's validation message", le)
	}

	// A missing mapping is refused before anything is sent.
	ln.AccountCode = ""
	before := len(s.Requests())
	_, err = l.PushInvoice(context.Background(), invoice("INV-0402", newClient("Lisa Parker"), false, ln))
	if le := ledgerError(t, err); le.Temporary || !strings.Contains(le.Message, "account code") || len(s.Requests()) != before {
		t.Errorf("unmapped account: %v (%d requests)", err, len(s.Requests())-before)
	}
}

func TestPushPayment(t *testing.T) {
	s := xerotest.New(t)
	l, _ := MustLedger(t, s)
	inv := invoice("INV-0501", newClient("Payer Ltd"), false, line("Audit", "1", "200.00", "0", false))
	ack := MustPushInvoice(t, l, inv)
	p := accounting.Payment{
		ID: uuid.New(), InvoiceID: inv.ID, InvoiceLedgerID: ack.LedgerID, InvoiceNumber: inv.Number,
		Amount: domain.MustMoney("100.00", "NZD"), Date: domain.MustDate(2025, time.March, 10), AccountCode: bankAccount,
	}
	first, err := l.PushPayment(context.Background(), p)
	if err != nil || first.LedgerID == "" || first.Existing {
		t.Fatalf("payment: %+v, %v", first, err)
	}
	again, err := l.PushPayment(context.Background(), p)
	if err != nil || again.LedgerID != first.LedgerID || !again.Existing {
		t.Errorf("repeated payment: %+v, %v", again, err)
	}
	pays := s.Payments()
	if len(pays) != 1 || pays[0]["Reference"] != p.ID.String() || pays[0]["Account"].(map[string]any)["Code"] != bankAccount || str(pays[0]["Amount"]) != "100" {
		t.Errorf("payments in Xero: %v", pays)
	}
	if got := s.Invoice(ack.LedgerID); str(got["AmountDue"]) != "130" || got["Status"] != "AUTHORISED" {
		t.Errorf("invoice after part payment: due %v, status %v", got["AmountDue"], got["Status"])
	}

	rest := p
	rest.ID, rest.Amount = uuid.New(), domain.MustMoney("130.00", "NZD")
	if _, err := l.PushPayment(context.Background(), rest); err != nil {
		t.Fatal(err)
	}
	if got := s.Invoice(ack.LedgerID); got["Status"] != "PAID" {
		t.Errorf("invoice after full payment: status %v", got["Status"])
	}
	// Paying more than is due is Xero's refusal, shown as is.
	over := p
	over.ID = uuid.New()
	_, err = l.PushPayment(context.Background(), over)
	if le := ledgerError(t, err); le.Temporary || !strings.Contains(le.Message, "Payment cannot be applied") {
		t.Errorf("overpayment: %+v", le)
	}
}

func TestPushCreditNoteAllocatesOnce(t *testing.T) {
	s := xerotest.New(t)
	l, _ := MustLedger(t, s)
	client := newClient("Credit Me Ltd")
	inv := invoice("INV-0601", client, false, line("Audit", "2", "100.00", "0", false))
	ack := MustPushInvoice(t, l, inv)
	cl := line("Audit (one hour refunded)", "1", "100.00", "0", false)
	cn := accounting.CreditNote{
		ID: uuid.New(), InvoiceID: inv.ID, InvoiceLedgerID: ack.LedgerID, InvoiceNumber: inv.Number,
		Contact: client, Currency: nzd, Date: domain.MustDate(2025, time.March, 5), Reason: "refund",
		Lines: []accounting.Line{cl}, Net: cl.Net, Tax: cl.Tax, Total: cl.Gross,
	}
	// The allocation fails the first time: the credit note exists,
	// unallocated, and the error is temporary.
	s.Fail(xerotest.Fault{Method: http.MethodPut, Path: "/Allocations", Status: http.StatusServiceUnavailable, Body: `{"Message":"busy"}`})
	_, err := l.PushCreditNote(context.Background(), cn)
	if ok, _ := accounting.IsTemporary(err); !ok {
		t.Fatalf("first push: %v, want a temporary error", err)
	}
	got, err := l.PushCreditNote(context.Background(), cn)
	if err != nil || got.LedgerID == "" || !got.Existing || got.ContactID != ack.ContactID {
		t.Fatalf("retry: %+v, %v", got, err)
	}
	again, err := l.PushCreditNote(context.Background(), cn)
	if err != nil || again.LedgerID != got.LedgerID {
		t.Fatalf("third push: %+v, %v", again, err)
	}
	notes := s.CreditNotes()
	if len(notes) != 1 || notes[0]["Type"] != "ACCRECCREDIT" || notes[0]["Reference"] != cn.ID.String() || notes[0]["Status"] != "PAID" {
		t.Fatalf("credit notes in Xero: %v", notes)
	}
	if n := len(notes[0]["Allocations"].([]any)); n != 1 {
		t.Errorf("%d allocations, want 1", n)
	}
	if inv := s.Invoice(ack.LedgerID); str(inv["AmountCredited"]) != "115" || str(inv["AmountDue"]) != "115" {
		t.Errorf("invoice credited %v, due %v; want 115 and 115", inv["AmountCredited"], inv["AmountDue"])
	}
}

func TestPushCreditNoteWithDiscountedLine(t *testing.T) {
	s := xerotest.New(t)
	l, _ := MustLedger(t, s)
	client := newClient("Discounted Credit Ltd")
	inv := invoice("INV-0651", client, false, line("Audit", "3", "120.00", "10", false))
	ack := MustPushInvoice(t, l, inv)
	cl := line("Audit", "1", "120.00", "10", false)
	cn := accounting.CreditNote{
		ID: uuid.New(), InvoiceID: inv.ID, InvoiceLedgerID: ack.LedgerID, InvoiceNumber: inv.Number,
		Contact: client, Currency: nzd, Date: domain.MustDate(2025, time.March, 5),
		Lines: []accounting.Line{cl}, Net: cl.Net, Tax: cl.Tax, Total: cl.Gross,
	}
	if _, err := l.PushCreditNote(context.Background(), cn); err != nil {
		t.Fatal(err)
	}
	if n := s.CreditNotes()[0]; str(n["Total"]) != cl.Gross.Amount.String() {
		t.Errorf("credit note total %v, want %s", n["Total"], cl.Gross)
	}
}

func TestPushVoid(t *testing.T) {
	s := xerotest.New(t)
	l, _ := MustLedger(t, s)
	inv := invoice("INV-0701", newClient("Void Ltd"), false, line("Audit", "1", "100.00", "0", false))
	ack := MustPushInvoice(t, l, inv)
	v := accounting.Void{InvoiceID: inv.ID, InvoiceLedgerID: ack.LedgerID, InvoiceNumber: inv.Number, Reason: "issued in error"}
	first, err := l.PushVoid(context.Background(), v)
	if err != nil || first.Existing || first.LedgerID != ack.LedgerID {
		t.Fatalf("void: %+v, %v", first, err)
	}
	if got := s.Invoice(ack.LedgerID); got["Status"] != "VOIDED" {
		t.Fatalf("status %v, want VOIDED", got["Status"])
	}
	again, err := l.PushVoid(context.Background(), v)
	if err != nil || !again.Existing {
		t.Errorf("void again: %+v, %v; want success, Existing", again, err)
	}
	if n := s.Count(http.MethodPost, "/Invoices/"+ack.LedgerID); n != 1 {
		t.Errorf("%d void requests, want 1", n)
	}
	// "Re-create in ledger" after a void makes a new invoice rather than
	// answering the voided one.
	inv.Number = "INV-0701-R"
	re := MustPushInvoice(t, l, inv)
	if re.LedgerID == ack.LedgerID || re.Existing {
		t.Errorf("re-create answered %+v", re)
	}

	// An invoice with a payment cannot be voided: Xero says why.
	paid := invoice("INV-0702", newClient("Void Ltd"), false, line("Audit", "1", "100.00", "0", false))
	pack := MustPushInvoice(t, l, paid)
	if _, err := l.PushPayment(context.Background(), accounting.Payment{ID: uuid.New(), InvoiceLedgerID: pack.LedgerID, Amount: domain.MustMoney("10", "NZD"), Date: domain.MustDate(2025, time.March, 2), AccountCode: bankAccount}); err != nil {
		t.Fatal(err)
	}
	_, err = l.PushVoid(context.Background(), accounting.Void{InvoiceID: paid.ID, InvoiceLedgerID: pack.LedgerID, InvoiceNumber: paid.Number})
	if le := ledgerError(t, err); le.Temporary || !strings.Contains(le.Message, "payments") {
		t.Errorf("void of a paid invoice: %+v", le)
	}
}

func TestTemporaryFailures(t *testing.T) {
	s := xerotest.New(t)
	l, _ := MustLedger(t, s)
	inv := invoice("INV-0801", newClient("Busy Ltd"), false, line("Audit", "1", "100.00", "0", false))

	t.Run("RateLimited", func(t *testing.T) {
		s.Fail(xerotest.Fault{Path: "/Invoices", Status: http.StatusTooManyRequests,
			Header: http.Header{"Retry-After": {"42"}, "X-Rate-Limit-Problem": {"minute"}}})
		_, err := l.PushInvoice(context.Background(), inv)
		le := ledgerError(t, err)
		if !le.Temporary || le.RetryAfter != 42*time.Second || le.Status != 429 || !strings.Contains(le.Message, "minute") {
			t.Errorf("error %+v: want temporary, retry after 42s", le)
		}
		if ok, after := accounting.IsTemporary(err); !ok || after != 42*time.Second {
			t.Errorf("IsTemporary = %v, %v", ok, after)
		}
	})
	t.Run("ServerError", func(t *testing.T) {
		s.Fail(xerotest.Fault{Method: http.MethodPut, Path: "/Invoices", Status: http.StatusInternalServerError,
			Body: `{"ErrorNumber":500,"Type":"UnknownErrorException","Message":"An error occurred in Xero."}`})
		_, err := l.PushInvoice(context.Background(), inv)
		if le := ledgerError(t, err); !le.Temporary || le.Status != 500 || le.RetryAfter != 0 {
			t.Errorf("error %+v: want temporary 500", le)
		}
	})
	t.Run("Unreachable", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		dead.Close()
		store := &memTokens{tok: xero.Token{AccessToken: "x", RefreshToken: "y", Expiry: time.Now().Add(time.Hour)}}
		l2, err := xero.New(xero.Config{TenantID: "t", ClientID: "c", ClientSecret: "s", Tokens: store, BaseURL: dead.URL, TokenURL: dead.URL})
		if err != nil {
			t.Fatal(err)
		}
		_, err = l2.PushInvoice(context.Background(), inv)
		if ok, _ := accounting.IsTemporary(err); !ok {
			t.Errorf("error %v: want temporary", err)
		}
	})
	t.Run("ThenSucceeds", func(t *testing.T) {
		ack := MustPushInvoice(t, l, inv)
		if ack.Existing || s.Count(http.MethodPut, "/Invoices") != 2 { // the 500 was one
			t.Errorf("ack %+v after failures; %d creations", ack, s.Count(http.MethodPut, "/Invoices"))
		}
		if n := len(s.Invoices()); n != 1 {
			t.Errorf("%d invoices in Xero, want 1", n)
		}
	})
}

func TestTokenRefreshAndRotation(t *testing.T) {
	s := xerotest.New(t)
	l, store := MustLedger(t, s)
	initial := store.current().RefreshToken

	MustPushInvoice(t, l, invoice("INV-0901", newClient("Token Ltd"), false, line("Audit", "1", "100.00", "0", false)))
	afterFirst := store.current()
	if afterFirst.AccessToken == "" || afterFirst.RefreshToken == initial || !s.ValidRefreshToken(afterFirst.RefreshToken) || s.ValidRefreshToken(initial) {
		t.Fatalf("after the first refresh the store holds %+v", afterFirst)
	}

	// Xero refuses the access token: one refresh, the request asked again,
	// the rotated refresh token saved.
	s.ExpireAccessTokens()
	MustPushInvoice(t, l, invoice("INV-0902", newClient("Token Ltd"), false, line("Audit", "1", "100.00", "0", false)))
	afterSecond := store.current()
	if afterSecond.RefreshToken == afterFirst.RefreshToken || !s.ValidRefreshToken(afterSecond.RefreshToken) {
		t.Errorf("the rotated refresh token was not saved: %+v", afterSecond)
	}
	if n := s.TokenRequests(); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
	if n := len(store.saves); n != 2 {
		t.Errorf("%d saves, want 2", n)
	}
	var unauthorised int
	for _, r := range s.Requests() {
		if r.Status == http.StatusUnauthorized {
			unauthorised++
		}
	}
	if unauthorised != 1 {
		t.Errorf("%d requests answered 401, want 1", unauthorised)
	}

	// A refresh token Xero no longer knows is a permanent failure asking
	// to reconnect.
	bad, err := xero.New(xero.Config{TenantID: s.TenantID, ClientID: s.ClientID, ClientSecret: s.ClientSecret,
		Tokens: &memTokens{tok: xero.Token{RefreshToken: initial}}, BaseURL: s.URL, TokenURL: s.TokenURL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.PushInvoice(context.Background(), invoice("INV-0903", newClient("Token Ltd"), false, line("Audit", "1", "100.00", "0", false)))
	if le := ledgerError(t, err); le.Temporary || !strings.Contains(le.Message, "connect Xero again") {
		t.Errorf("revoked refresh token: %+v", le)
	}
}

func TestFileConfig(t *testing.T) {
	s := xerotest.New(t)
	data := t.TempDir()
	if _, err := xero.Open(data, nil); !errors.Is(err, xero.ErrNotConnected) {
		t.Errorf("open before connecting: %v, want ErrNotConnected", err)
	}
	if err := xero.Connect(data, xero.FileConfig{TenantID: s.TenantID}); err == nil {
		t.Errorf("connect without credentials succeeded")
	}
	if err := xero.Connect(data, xero.FileConfig{
		TenantID: s.TenantID, ClientID: s.ClientID, ClientSecret: s.ClientSecret,
		BaseURL: s.URL, TokenURL: s.TokenURL, Token: xero.Token{RefreshToken: s.RefreshToken()},
	}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(data, "ledger", "xero.json")
	l, err := xero.Open(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	MustPushInvoice(t, l, invoice("INV-1001", newClient("File Ltd"), false, line("Audit", "1", "100.00", "0", false)))

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := xero.LoadFileConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := again.Tokens.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if again.TenantID != s.TenantID || again.ClientSecret != s.ClientSecret || !s.ValidRefreshToken(tok.RefreshToken) || tok.AccessToken == "" {
		t.Errorf("file after a refresh: settings kept %v, token %+v", again.TenantID == s.TenantID, tok)
	}
	if _, err := xero.New(xero.Config{TenantID: "t"}); err == nil || !strings.Contains(err.Error(), "client id") {
		t.Errorf("incomplete config: %v", err)
	}
}

// TestConcurrentPushesShareOneToken pushes from several goroutines with an
// expired token: the adapter refreshes once, not once per goroutine (a
// second refresh would use a rotated-away refresh token).
func TestConcurrentPushesShareOneToken(t *testing.T) {
	s := xerotest.New(t)
	l, _ := MustLedger(t, s)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inv := invoice("INV-11"+string(rune('0'+i)), accounting.Contact{Name: "Lisa Parker", LedgerID: lisaParker}, false, line("Audit", "1", "100.00", "0", false))
			if _, err := l.PushInvoice(context.Background(), inv); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := s.TokenRequests(); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
	if n := len(s.Invoices()); n != 8 {
		t.Errorf("%d invoices, want 8", n)
	}
}

// TestLookupMissedIdempotencyKeyHolds: when Xero's search does not show an
// invoice created a moment ago (its answer was lost and the index lags),
// the repeated create carries the same Idempotency-Key and Xero answers
// the first creation instead of making a second invoice.
func TestLookupMissedIdempotencyKeyHolds(t *testing.T) {
	s := xerotest.New(t)
	l, _ := MustLedger(t, s)
	inv := invoice("INV-1201", accounting.Contact{Name: "Lisa Parker", LedgerID: lisaParker}, false, line("Audit", "1", "100.00", "0", false))
	first := MustPushInvoice(t, l, inv)
	s.Fail(xerotest.Fault{Method: http.MethodGet, Path: "/Invoices", Status: http.StatusOK, Body: `{"Invoices":[]}`})
	again := MustPushInvoice(t, l, inv)
	if again.LedgerID != first.LedgerID {
		t.Errorf("second push made %s, want the first's %s", again.LedgerID, first.LedgerID)
	}
	if n := len(s.Invoices()); n != 1 {
		t.Errorf("%d invoices in Xero, want 1", n)
	}
	reqs := s.Requests()
	if last := reqs[len(reqs)-1]; last.Method != http.MethodPut || !last.Replayed {
		t.Errorf("last request %+v: want a replayed PUT", last)
	}
}
