package qbo_test

// These tests run the adapter against qbotest, an in-memory QBO company.
// No official machine-readable QuickBooks Online spec can be had here, so
// qbotest checks each request against the fields and types Intuit's
// reference pages document as required (see its package doc, and
// qbotest_test.go for a bad body being rejected); it does not prove
// conformance to a spec the way the Xero adapter's tests do.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/integrations/accounting"
	"remit/integrations/accounting/qbo"
	"remit/integrations/accounting/qbo/qbotest"
)

type env struct {
	srv *qbotest.Server
	c   *qbo.Client
	dir string
}

func MustEnv(tb testing.TB) *env {
	tb.Helper()
	srv := qbotest.New(tb, qbotest.Options{})
	dir := tb.TempDir()
	err := qbo.Connect(dir, qbo.Connection{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(),
		Token: qbo.Token{RefreshToken: srv.RefreshToken()}})
	if err != nil {
		tb.Fatal(err)
	}
	return &env{srv: srv, c: MustOpen(tb, srv, dir), dir: dir}
}

func MustOpen(tb testing.TB, srv *qbotest.Server, dir string) *qbo.Client {
	tb.Helper()
	c, err := qbo.Open(dir, srv.RealmID, qbo.Options{BaseURL: srv.URL, TokenURL: srv.TokenURL})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func money(s string) domain.Money { return domain.MustMoney(s, "AUD") }

// invoice is INV-000042 to Harbour Dental: 2 × 50.00 at 10% tax (item 1,
// tax code TAX), total 110.00.
func invoice() accounting.Invoice {
	return accounting.Invoice{
		ID: uuid.New(), Number: "INV-000042",
		Contact:  accounting.Contact{ClientID: uuid.New(), Name: "Harbour Dental", Email: "accounts@harbour.example"},
		Currency: domain.MustCurrency("AUD"), IssueDate: domain.MustDate(2025, 3, 1), DueDate: domain.MustDate(2025, 3, 15),
		Lines: []accounting.Line{{Description: "Monthly bookkeeping", Quantity: decidertest.Dec("2"), UnitPrice: money("50"),
			Net: money("100"), Tax: money("10"), Gross: money("110"), TaxRate: decidertest.Dec("0.10"), AccountCode: "1", TaxType: "TAX"}},
		Net: money("100"), Tax: money("10"), Total: money("110"),
	}
}

func MustPush(tb testing.TB, c *qbo.Client, inv accounting.Invoice) accounting.Ack {
	tb.Helper()
	ack, err := c.PushInvoice(context.Background(), inv)
	if err != nil {
		tb.Fatalf("push invoice: %v", err)
	}
	return ack
}

func MustPermanent(tb testing.TB, err error, wantStatus int, wantMsg string) {
	tb.Helper()
	var le *accounting.Error
	if !errors.As(err, &le) {
		tb.Fatalf("err = %v, want a *accounting.Error", err)
	}
	if tmp, _ := accounting.IsTemporary(err); tmp {
		tb.Fatalf("err = %v is temporary, want permanent", err)
	}
	if le.Status != wantStatus || !strings.Contains(le.Message, wantMsg) {
		tb.Fatalf("err = %v (status %d), want status %d and a message containing %q", err, le.Status, wantStatus, wantMsg)
	}
}

func TestPushInvoice(t *testing.T) {
	e := MustEnv(t)
	inv := invoice()
	ack := MustPush(t, e.c, inv)
	if ack.LedgerID == "" || ack.ContactID == "" || ack.Existing {
		t.Fatalf("ack = %+v, want new ids", ack)
	}

	custs := e.srv.Customers()
	if len(custs) != 1 || custs[0].DisplayName != "Harbour Dental" || custs[0].PrimaryEmailAddr.Address != "accounts@harbour.example" || custs[0].ID != ack.ContactID {
		t.Fatalf("customers = %+v, want Harbour Dental created", custs)
	}
	invs := e.srv.Invoices()
	if len(invs) != 1 {
		t.Fatalf("invoices = %d, want 1", len(invs))
	}
	got := invs[0]
	if got.ID != ack.LedgerID || got.DocNumber != "INV-000042" || got.TxnDate != "2025-03-01" || got.DueDate != "2025-03-15" ||
		got.CustomerRef.Value != ack.ContactID || got.CurrencyRef.Value != "AUD" || got.GlobalTaxCalculation != "TaxExcluded" ||
		got.PrivateNote != "remit:"+inv.ID.String() || string(*got.TotalAmt) != "110.00" {
		t.Fatalf("invoice = %+v", got)
	}
	l := got.Line[0]
	if l.DetailType != "SalesItemLineDetail" || string(*l.Amount) != "100" || l.SalesItemLineDetail.ItemRef.Value != "1" ||
		string(*l.SalesItemLineDetail.Qty) != "2" || string(*l.SalesItemLineDetail.UnitPrice) != "50" || l.SalesItemLineDetail.TaxCodeRef.Value != "TAX" {
		t.Fatalf("line = %+v / %+v", l, *l.SalesItemLineDetail)
	}

	t.Run("RepushCreatesNothing", func(t *testing.T) {
		again := MustPush(t, e.c, inv)
		if again.LedgerID != ack.LedgerID || again.ContactID != ack.ContactID || !again.Existing {
			t.Fatalf("re-push ack = %+v, want %+v existing", again, ack)
		}
		if n, m := len(e.srv.Customers()), len(e.srv.Invoices()); n != 1 || m != 1 {
			t.Fatalf("after re-push: %d customers, %d invoices, want 1 and 1", n, m)
		}
	})

	t.Run("EveryRequestVersionedAndAuthorized", func(t *testing.T) {
		creates := 0
		for _, r := range e.srv.Requests() {
			if r.Query["minorversion"][0] != "75" || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") ||
				r.Header.Get("Accept") != "application/json" {
				t.Errorf("%s %s: query %v, headers %v", r.Method, r.Path, r.Query, r.Header)
			}
			if r.Method == http.MethodPost {
				creates++
				if len(r.Query["requestid"]) != 1 {
					t.Errorf("POST %s without requestid", r.Path)
				}
			}
			if r.Path == "/invoice" && r.Method == http.MethodPost && !strings.HasPrefix(r.Query["requestid"][0], inv.ID.String()) {
				t.Errorf("invoice requestid = %q, want Remit's invoice id first", r.Query["requestid"][0])
			}
		}
		if creates != 2 {
			t.Errorf("%d POSTs, want 2 (customer, invoice)", creates)
		}
	})
}

func TestPushInvoiceResponseLost(t *testing.T) {
	e := MustEnv(t)
	inv := invoice()
	// QBO creates the invoice but the answer never arrives.
	e.srv.FailNext(http.MethodPost, "/invoice", qbotest.Fault{Status: http.StatusBadGateway, AfterCommit: true})
	_, err := e.c.PushInvoice(context.Background(), inv)
	if tmp, _ := accounting.IsTemporary(err); !tmp {
		t.Fatalf("err = %v, want temporary", err)
	}
	ack := MustPush(t, e.c, inv)
	if !ack.Existing || len(e.srv.Invoices()) != 1 {
		t.Fatalf("retry ack = %+v with %d invoices, want the first one found", ack, len(e.srv.Invoices()))
	}
}

func TestPushInvoiceMatchesCustomerByName(t *testing.T) {
	e := MustEnv(t)
	for _, name := range []string{"Harbour Dental", `O'Brien \ Sons`} {
		t.Run(name, func(t *testing.T) {
			id := e.srv.AddCustomer(name)
			e.srv.AddCustomer(name + " Pty") // a near miss is not a match
			inv := invoice()
			inv.Number = "INV-" + id
			inv.Contact.Name = name
			ack := MustPush(t, e.c, inv)
			if ack.ContactID != id {
				t.Fatalf("contact = %s, want the existing customer %s", ack.ContactID, id)
			}
		})
	}
	if n := len(e.srv.Customers()); n != 4 {
		t.Fatalf("%d customers, want the 4 added and none created", n)
	}
}

func TestPushInvoiceMappedCustomer(t *testing.T) {
	e := MustEnv(t)
	id := e.srv.AddCustomer("Harbour Dental Group (AU)")
	inv := invoice()
	inv.Contact.LedgerID = id
	ack := MustPush(t, e.c, inv)
	if ack.ContactID != id || len(e.srv.Customers()) != 1 {
		t.Fatalf("ack = %+v, customers %+v: want the mapped customer only", ack, e.srv.Customers())
	}
	for _, r := range e.srv.Requests() {
		if strings.Contains(r.Query.Get("query"), "Customer") {
			t.Fatalf("a mapped customer was looked up by name: %s", r.Query.Get("query"))
		}
	}
}

func TestPushInvoiceTaxInclusiveAndDiscount(t *testing.T) {
	e := MustEnv(t)
	inv := invoice()
	inv.TaxInclusive = true
	inv.Lines = []accounting.Line{
		// 1 × 110.00 including 10% tax.
		{Description: "Advisory", Quantity: decidertest.Dec("1"), UnitPrice: money("110"), Net: money("100"), Tax: money("10"), Gross: money("110"),
			TaxRate: decidertest.Dec("0.1"), AccountCode: "1", TaxType: "TAX"},
		// 3 × 22.00 including tax, 10% off: 59.40 gross, 5.40 tax.
		{Description: "Payroll", Quantity: decidertest.Dec("3"), UnitPrice: money("22"), DiscountPercent: decidertest.Dec("10"), Net: money("54"), Tax: money("5.40"),
			Gross: money("59.40"), TaxRate: decidertest.Dec("0.1"), AccountCode: "2", TaxType: "TAX"},
	}
	inv.Net, inv.Tax, inv.Total = money("154"), money("15.40"), money("169.40")
	ack := MustPush(t, e.c, inv)
	got, _ := e.srv.Invoice(ack.LedgerID)
	if got.GlobalTaxCalculation != "TaxInclusive" || string(*got.TotalAmt) != "169.40" {
		t.Fatalf("invoice = %s total %s, want TaxInclusive 169.40", got.GlobalTaxCalculation, *got.TotalAmt)
	}
	d := got.Line[1].SalesItemLineDetail
	if string(*got.Line[1].Amount) != "54" || string(*d.TaxInclusiveAmt) != "59.4" || string(*d.UnitPrice) != "18" {
		t.Fatalf("discounted line = amount %s, incl %s, unit %s; want 54, 59.4, 18", *got.Line[1].Amount, *d.TaxInclusiveAmt, *d.UnitPrice)
	}

	t.Run("ExclusiveDiscount", func(t *testing.T) {
		inv := invoice()
		inv.Number = "INV-000043"
		inv.Lines[0].DiscountPercent = decidertest.Dec("10")
		inv.Lines[0].Net, inv.Lines[0].Tax, inv.Lines[0].Gross = money("90"), money("9"), money("99")
		inv.Net, inv.Tax, inv.Total = money("90"), money("9"), money("99")
		ack := MustPush(t, e.c, inv)
		got, _ := e.srv.Invoice(ack.LedgerID)
		if got.GlobalTaxCalculation != "TaxExcluded" || string(*got.TotalAmt) != "99.00" || string(*got.Line[0].SalesItemLineDetail.UnitPrice) != "45" {
			t.Fatalf("invoice = %+v", got)
		}
	})
}

func TestPushInvoiceTotalMismatchIsPermanent(t *testing.T) {
	e := MustEnv(t)
	inv := invoice()
	// Remit charged 15% but the mapping points at QBO's 10% code.
	inv.Lines[0].Tax, inv.Lines[0].Gross, inv.Lines[0].TaxRate = money("15"), money("115"), decidertest.Dec("0.15")
	inv.Tax, inv.Total = money("15"), money("115")
	_, err := e.c.PushInvoice(context.Background(), inv)
	MustPermanent(t, err, 0, "QuickBooks computed a total of AUD 110.00")
	if !strings.Contains(err.Error(), "AUD 115.00") {
		t.Fatalf("err = %v, want Remit's total named", err)
	}
	// Retrying cannot hide it.
	_, err = e.c.PushInvoice(context.Background(), inv)
	MustPermanent(t, err, 0, "QuickBooks computed a total of AUD 110.00")
	if n := len(e.srv.Invoices()); n != 1 {
		t.Fatalf("%d invoices, want 1", n)
	}
}

func TestPushInvoiceDocNumberTakenIsPermanent(t *testing.T) {
	e := MustEnv(t)
	MustPush(t, e.c, invoice())
	other := invoice() // another Remit invoice with the same number
	_, err := e.c.PushInvoice(context.Background(), other)
	MustPermanent(t, err, 0, "already has an invoice numbered INV-000042 that Remit did not create")
}

func TestPushPayment(t *testing.T) {
	e := MustEnv(t)
	inv := invoice()
	ia := MustPush(t, e.c, inv)
	p := accounting.Payment{ID: uuid.New(), InvoiceID: inv.ID, InvoiceLedgerID: ia.LedgerID, InvoiceNumber: inv.Number,
		Amount: money("110"), Date: domain.MustDate(2025, 3, 10), AccountCode: "35", Reference: "pi_3Nabc"}
	ack, err := e.c.PushPayment(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	pays := e.srv.Payments()
	if len(pays) != 1 || pays[0].ID != ack.LedgerID || ack.ContactID != ia.ContactID || ack.Existing {
		t.Fatalf("ack = %+v, payments = %+v", ack, pays)
	}
	got := pays[0]
	if got.CustomerRef.Value != ia.ContactID || string(*got.TotalAmt) != "110" || got.TxnDate != "2025-03-10" || got.DepositToAccountRef.Value != "35" ||
		got.PrivateNote != "remit:"+p.ID.String() || got.Line[0].LinkedTxn[0] != (qbotest.LinkedTxn{TxnID: ia.LedgerID, TxnType: "Invoice"}) {
		t.Fatalf("payment = %+v", got)
	}
	if i, _ := e.srv.Invoice(ia.LedgerID); string(*i.Balance) != "0.00" {
		t.Fatalf("invoice balance = %s, want 0.00", *i.Balance)
	}
	again, err := e.c.PushPayment(context.Background(), p)
	if err != nil || again.LedgerID != ack.LedgerID || !again.Existing || len(e.srv.Payments()) != 1 {
		t.Fatalf("re-push = %+v, %v with %d payments", again, err, len(e.srv.Payments()))
	}
}

func TestPushCreditNote(t *testing.T) {
	e := MustEnv(t)
	inv := invoice()
	ia := MustPush(t, e.c, inv)
	cn := accounting.CreditNote{ID: uuid.New(), InvoiceID: inv.ID, InvoiceLedgerID: ia.LedgerID, InvoiceNumber: inv.Number,
		Contact: inv.Contact, Currency: inv.Currency, Date: domain.MustDate(2025, 3, 5), Reason: "One hour not worked",
		Lines: []accounting.Line{{Description: "Credit: bookkeeping", Quantity: decidertest.Dec("1"), UnitPrice: money("20"), Net: money("20"),
			Tax: money("2"), Gross: money("22"), TaxRate: decidertest.Dec("0.1"), AccountCode: "1", TaxType: "TAX"}},
		Net: money("20"), Tax: money("2"), Total: money("22")}
	ack, err := e.c.PushCreditNote(context.Background(), cn)
	if err != nil {
		t.Fatal(err)
	}
	cms := e.srv.CreditMemos()
	if len(cms) != 1 || cms[0].ID != ack.LedgerID || ack.ContactID != ia.ContactID || string(*cms[0].TotalAmt) != "22.00" ||
		!strings.HasPrefix(cms[0].PrivateNote, "remit:"+cn.ID.String()) || cms[0].CustomerMemo.Value != "One hour not worked" {
		t.Fatalf("ack = %+v, credit memos = %+v", ack, cms)
	}
	// Applied to the invoice: 110 - 22 left owing.
	if i, _ := e.srv.Invoice(ia.LedgerID); string(*i.Balance) != "88.00" {
		t.Fatalf("invoice balance = %s, want 88.00", *i.Balance)
	}
	if cm := e.srv.CreditMemos()[0]; string(*cm.RemainingCredit) != "0.00" {
		t.Fatalf("remaining credit = %s, want 0.00", *cm.RemainingCredit)
	}
	again, err := e.c.PushCreditNote(context.Background(), cn)
	if err != nil || again.LedgerID != ack.LedgerID || !again.Existing {
		t.Fatalf("re-push = %+v, %v", again, err)
	}
	if n, m := len(e.srv.CreditMemos()), len(e.srv.Payments()); n != 1 || m != 1 {
		t.Fatalf("after re-push: %d credit memos, %d payments; want 1 and 1", n, m)
	}
}

func TestPushVoid(t *testing.T) {
	e := MustEnv(t)
	inv := invoice()
	ia := MustPush(t, e.c, inv)
	v := accounting.Void{InvoiceID: inv.ID, InvoiceLedgerID: ia.LedgerID, InvoiceNumber: inv.Number, Reason: "raised in error"}
	ack, err := e.c.PushVoid(context.Background(), v)
	if err != nil || ack.LedgerID != ia.LedgerID || ack.Existing {
		t.Fatalf("void = %+v, %v", ack, err)
	}
	got, _ := e.srv.Invoice(ia.LedgerID)
	if got.SyncToken != "1" || string(*got.TotalAmt) != "0.00" || got.PrivateNote != "Voided" {
		t.Fatalf("voided invoice = sync %s total %s note %q", got.SyncToken, *got.TotalAmt, got.PrivateNote)
	}

	t.Run("AgainSucceeds", func(t *testing.T) {
		ack, err := e.c.PushVoid(context.Background(), v)
		if err != nil || !ack.Existing {
			t.Fatalf("second void = %+v, %v; want success, existing", ack, err)
		}
		if got, _ := e.srv.Invoice(ia.LedgerID); got.SyncToken != "1" {
			t.Fatalf("sync token = %s, want 1 (untouched)", got.SyncToken)
		}
	})

	t.Run("StaleSyncTokenRereadOnce", func(t *testing.T) {
		inv := invoice()
		inv.Number = "INV-000044"
		ia := MustPush(t, e.c, inv)
		e.srv.TouchInvoice(ia.LedgerID) // edited in QBO: SyncToken 1
		// The void after the read still loses a race once.
		e.srv.FailNext(http.MethodPost, "/invoice", qbotest.Fault{Status: http.StatusBadRequest, Code: "5010", Message: "Stale Object Error"})
		ack, err := e.c.PushVoid(context.Background(), accounting.Void{InvoiceID: inv.ID, InvoiceLedgerID: ia.LedgerID, InvoiceNumber: inv.Number})
		if err != nil || ack.Existing {
			t.Fatalf("void = %+v, %v", ack, err)
		}
		if got, _ := e.srv.Invoice(ia.LedgerID); got.PrivateNote != "Voided" || got.SyncToken != "2" {
			t.Fatalf("invoice = note %q sync %s, want voided at 2", got.PrivateNote, got.SyncToken)
		}
	})
}

func TestTemporaryErrors(t *testing.T) {
	e := MustEnv(t)
	MustPush(t, e.c, invoice()) // connected
	for _, tc := range []struct {
		name      string
		fault     qbotest.Fault
		wantAfter time.Duration
	}{
		{"RateLimited", qbotest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "7", Message: "ThrottleExceeded"}, 7 * time.Second},
		{"ServiceUnavailable", qbotest.Fault{Status: http.StatusServiceUnavailable}, 0},
		{"InternalError", qbotest.Fault{Status: http.StatusInternalServerError, Message: "An application error has occurred"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.srv.FailNext(http.MethodGet, "/query", tc.fault)
			inv := invoice()
			_, err := e.c.PushInvoice(context.Background(), inv)
			tmp, after := accounting.IsTemporary(err)
			if !tmp || after != tc.wantAfter {
				t.Fatalf("err = %v: temporary %v after %v, want temporary after %v", err, tmp, after, tc.wantAfter)
			}
		})
	}
	t.Run("Unreachable", func(t *testing.T) {
		c, err := qbo.Open(e.dir, e.srv.RealmID, qbo.Options{BaseURL: "http://127.0.0.1:1", TokenURL: e.srv.TokenURL})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.PushInvoice(context.Background(), invoice())
		if tmp, _ := accounting.IsTemporary(err); !tmp {
			t.Fatalf("err = %v, want temporary", err)
		}
	})
}

func TestPermanentErrors(t *testing.T) {
	e := MustEnv(t)
	t.Run("RejectedWithFaultMessage", func(t *testing.T) {
		inv := invoice()
		inv.Lines[0].AccountCode = "999" // no such item in the company
		_, err := e.c.PushInvoice(context.Background(), inv)
		MustPermanent(t, err, http.StatusBadRequest, "Invalid Reference Id: Invalid Reference Id : Item assigned is not found: 999 (code 2500)")
	})
	t.Run("NoItemMapped", func(t *testing.T) {
		before := len(e.srv.Requests())
		inv := invoice()
		inv.Lines[0].AccountCode = ""
		_, err := e.c.PushInvoice(context.Background(), inv)
		MustPermanent(t, err, 0, "no QuickBooks item is mapped")
		if len(e.srv.Requests()) != before {
			t.Fatal("a request was sent for an invoice that cannot be mapped")
		}
	})
}

func TestUnauthorizedRefreshesAndPersistsRotatedToken(t *testing.T) {
	e := MustEnv(t)
	MustPush(t, e.c, invoice()) // first grant: rt-0 → rt-1
	e.srv.ExpireAccessToken()   // QBO now answers 401
	inv := invoice()
	inv.Number = "INV-000050"
	MustPush(t, e.c, inv)
	if e.srv.Grants() != 2 {
		t.Fatalf("%d refreshes, want 2", e.srv.Grants())
	}
	path := filepath.Join(e.dir, "ledger", "qbo.json")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s mode = %v, want 0600", path, fi.Mode().Perm())
	}
	conn, err := qbo.NewFileStore(e.dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	if conn.Token.RefreshToken != e.srv.RefreshToken() || conn.Token.RefreshToken == "rt-0" || conn.Token.RefreshTokenExpiry.IsZero() {
		t.Fatalf("stored token = %+v, want the rotated %s", conn.Token, e.srv.RefreshToken())
	}

	t.Run("FileInLedgersyncSecretsFormat", func(t *testing.T) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var keys map[string]any
		if err := json.Unmarshal(raw, &keys); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"client_id", "client_secret", "refresh_token", "access_token", "access_token_expires_at"} {
			if _, ok := keys[k]; !ok {
				t.Errorf("%s has no %q: %s", path, k, raw)
			}
		}
		if keys["refresh_token"] != e.srv.RefreshToken() {
			t.Errorf("refresh_token = %v, want %s", keys["refresh_token"], e.srv.RefreshToken())
		}
	})

	t.Run("RestartUsesStoredToken", func(t *testing.T) {
		e.srv.ExpireAccessToken()
		c := MustOpen(t, e.srv, e.dir) // a new process: only the file remembers
		inv := invoice()
		inv.Number = "INV-000051"
		MustPush(t, c, inv)
	})

	t.Run("RevokedRefreshTokenIsPermanent", func(t *testing.T) {
		dir := t.TempDir()
		if err := qbo.Connect(dir, qbo.Connection{ClientID: e.srv.ClientID(), ClientSecret: e.srv.ClientSecret(),
			Token: qbo.Token{RefreshToken: "rt-revoked"}}); err != nil {
			t.Fatal(err)
		}
		_, err := MustOpen(t, e.srv, dir).PushInvoice(context.Background(), invoice())
		MustPermanent(t, err, http.StatusBadRequest, "invalid_grant")
	})
}

func TestFuncStoreReceivesRotatedToken(t *testing.T) {
	srv := qbotest.New(t, qbotest.Options{})
	var saved []qbo.Token
	c, err := qbo.New(qbo.Config{RealmID: srv.RealmID, ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(),
		BaseURL: srv.URL, TokenURL: srv.TokenURL,
		Tokens: qbo.NewFuncStore(qbo.Token{RefreshToken: srv.RefreshToken()}, func(t qbo.Token) error { saved = append(saved, t); return nil })})
	if err != nil {
		t.Fatal(err)
	}
	MustPush(t, c, invoice())
	if len(saved) != 1 || saved[0].RefreshToken != srv.RefreshToken() || saved[0].AccessToken == "" || saved[0].Expiry.IsZero() {
		t.Fatalf("saved = %+v, want the rotated token %s once", saved, srv.RefreshToken())
	}
}

func TestOpenNotConnected(t *testing.T) {
	if _, err := qbo.Open(t.TempDir(), "1", qbo.Options{}); !errors.Is(err, qbo.ErrNotConnected) {
		t.Fatalf("err = %v, want ErrNotConnected", err)
	}
}

func TestConcurrentPushesCreateOnce(t *testing.T) {
	e := MustEnv(t)
	first := invoice()
	invs := []accounting.Invoice{first, first, first}
	for _, n := range []string{"INV-000060", "INV-000061"} { // the same new client on other invoices
		inv := invoice()
		inv.Number, inv.Contact = n, first.Contact
		invs = append(invs, inv)
	}
	acks := make([]accounting.Ack, len(invs))
	errs := make([]error, len(invs))
	var wg sync.WaitGroup
	for i, inv := range invs {
		wg.Go(func() { acks[i], errs[i] = e.c.PushInvoice(context.Background(), inv) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
		if acks[i].ContactID != acks[0].ContactID {
			t.Fatalf("push %d used customer %s, push 0 %s", i, acks[i].ContactID, acks[0].ContactID)
		}
	}
	if acks[1].LedgerID != acks[0].LedgerID || acks[2].LedgerID != acks[0].LedgerID {
		t.Fatalf("the same invoice pushed concurrently got ids %s, %s, %s", acks[0].LedgerID, acks[1].LedgerID, acks[2].LedgerID)
	}
	if n, m := len(e.srv.Customers()), len(e.srv.Invoices()); n != 1 || m != 3 {
		t.Fatalf("%d customers, %d invoices; want 1 and 3", n, m)
	}
}
