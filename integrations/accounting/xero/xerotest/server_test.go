package xerotest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"remit/integrations/accounting/xero/xerotest"
)

// MustAccessToken runs the refresh_token grant against the server.
func MustAccessToken(tb testing.TB, s *xerotest.Server) string {
	tb.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.RefreshToken()}}
	req, _ := http.NewRequest(http.MethodPost, s.TokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.ClientID, s.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		tb.Fatalf("token endpoint: status %d, %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// send makes one raw request and returns its status and body.
func send(tb testing.TB, s *xerotest.Server, token, method, path, body string) (int, string) {
	tb.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("xero-tenant-id", s.TenantID)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSpecValidatorRejectsBadBodies sends bodies that break Xero's spec,
// raw, and expects the validator (not the organisation's own checks) to
// refuse each with 400 and nothing to be created. The payment's bad
// quantity sits inside the spec's self-referencing schemas (Payment →
// Invoice → LineItem), where Prism accepts anything.
func TestSpecValidatorRejectsBadBodies(t *testing.T) {
	s := xerotest.New(t)
	s.ExpectSpecViolations()
	tok := MustAccessToken(t, s)
	contact := `{"ContactID":"5cc8cf28-567e-4d43-b287-687cfcaec47c"}`
	line := `{"Description":"Bookkeeping","Quantity":1,"UnitAmount":100,"AccountCode":"200","TaxType":"OUTPUT2"}`
	cases := []struct {
		name, method, path, body, want string
	}{
		{"NonNumericQuantity", "PUT", "/Invoices",
			`{"Invoices":[{"Type":"ACCREC","Contact":` + contact + `,"LineItems":[{"Description":"x","Quantity":"one","UnitAmount":100}]}]}`,
			`Quantity`},
		{"WrongTypeEnum", "PUT", "/Invoices",
			`{"Invoices":[{"Type":"SALESINVOICE","Contact":` + contact + `,"LineItems":[` + line + `]}]}`,
			`Type`},
		{"ReadOnlyTotal", "PUT", "/Invoices",
			`{"Invoices":[{"Type":"ACCREC","Contact":` + contact + `,"LineItems":[` + line + `],"Total":115}]}`,
			`Total`},
		{"NotAUUID", "PUT", "/Invoices",
			`{"Invoices":[{"Type":"ACCREC","Contact":{"ContactID":"Katherine"},"LineItems":[` + line + `]}]}`,
			`ContactID`},
		{"BadQuantityInsideTheCycle", "PUT", "/Payments",
			`{"Payments":[{"Invoice":{"InvoiceID":"5cc8cf28-567e-4d43-b287-687cfcaec47c","LineItems":[{"Quantity":"lots"}]},"Account":{"Code":"091"},"Amount":10}]}`,
			`Quantity`},
		{"AllocationWithoutAmount", "PUT", "/CreditNotes/5cc8cf28-567e-4d43-b287-687cfcaec47c/Allocations",
			`{"Allocations":[{"Invoice":{"InvoiceID":"5cc8cf28-567e-4d43-b287-687cfcaec47c"},"Date":"2025-01-01"}]}`,
			`Amount`},
		{"BodyNotAnObject", "PUT", "/CreditNotes", `[1,2,3]`, `CreditNotes`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(s.SpecViolations())
			status, body := send(t, s, tok, c.method, c.path, c.body)
			if status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", status, body)
			}
			if !strings.Contains(body, "does not match the Xero Accounting API spec") {
				t.Errorf("answer %s is not the validator's", body)
			}
			v := s.SpecViolations()
			if len(v) != before+1 || !strings.Contains(v[len(v)-1], c.want) {
				t.Errorf("violations %q: want one more naming %s", v[before:], c.want)
			}
		})
	}
	if n := len(s.Invoices()) + len(s.Payments()) + len(s.CreditNotes()); n != 0 {
		t.Errorf("%d documents were created from refused requests", n)
	}

	// The same invoice with a numeric quantity passes the validator and is
	// kept, with Xero's totals.
	status, body := send(t, s, tok, "PUT", "/Invoices", `{"Invoices":[{"Type":"ACCREC","Status":"AUTHORISED","Contact":`+contact+`,"LineItems":[`+line+`]}]}`)
	if status != http.StatusOK || !strings.Contains(body, `"Total":115`) {
		t.Fatalf("good invoice: status %d, body %s", status, body)
	}
}

func TestUnauthorisedAndTenant(t *testing.T) {
	s := xerotest.New(t)
	if status, _ := send(t, s, "not-a-token", "GET", "/Invoices", ""); status != http.StatusUnauthorized {
		t.Errorf("unknown token: status %d, want 401", status)
	}
	tok := MustAccessToken(t, s)
	s.ExpireAccessTokens()
	if status, _ := send(t, s, tok, "GET", "/Invoices", ""); status != http.StatusUnauthorized {
		t.Errorf("expired token: status %d, want 401", status)
	}
	tok = MustAccessToken(t, s)
	req, _ := http.NewRequest("GET", s.URL+"/Invoices", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("xero-tenant-id", "someone-else")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("other tenant: status %d, want 403", resp.StatusCode)
	}
}

func TestWhereFilter(t *testing.T) {
	s := xerotest.New(t)
	tok := MustAccessToken(t, s)
	for _, c := range []struct {
		where string
		want  []string
	}{
		{`Name=="Lisa Parker"`, []string{"Lisa Parker"}},
		{`Name=="lisa parker"`, []string{"Lisa Parker"}},
		{`Name=="Lisa Parker" OR Name=="Katherine Warren"`, []string{"Katherine Warren", "Lisa Parker"}},
		{`Name=="Lisa Parker" AND ContactStatus!="ACTIVE"`, nil},
		{`Name=="Lisa ""The"" Parker"`, nil},
	} {
		status, body := send(t, s, tok, "GET", "/Contacts?where="+url.QueryEscape(c.where), "")
		if status != http.StatusOK {
			t.Fatalf("%s: status %d %s", c.where, status, body)
		}
		var out struct{ Contacts []struct{ Name string } }
		json.Unmarshal([]byte(body), &out)
		var got []string
		for _, c := range out.Contacts {
			got = append(got, c.Name)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("where %s: got %q, want %q", c.where, got, c.want)
		}
	}
	if status, _ := send(t, s, tok, "GET", "/Contacts?where="+url.QueryEscape(`Name=="unterminated`), ""); status != http.StatusBadRequest {
		t.Errorf("bad filter: status %d, want 400", status)
	}
}

// TestSpecValidatorRejectsBadBankingBodies: a bank transfer without its
// destination and a bank transaction without its type break the spec, and
// the validator refuses them before the organisation sees them.
func TestSpecValidatorRejectsBadBankingBodies(t *testing.T) {
	s := xerotest.New(t)
	s.ExpectSpecViolations()
	tok := MustAccessToken(t, s)
	for _, c := range []struct{ path, body string }{
		{"/BankTransfers", `{"BankTransfers":[{"FromBankAccount":{"Code":"091"},"Amount":10}]}`},
		{"/BankTransfers", `{"BankTransfers":[{"FromBankAccount":{"Code":"091"},"ToBankAccount":{"Code":"092"},"Amount":"ten"}]}`},
		{"/BankTransactions", `{"BankTransactions":[{"BankAccount":{"Code":"091"},"LineItems":[{"Description":"fees","UnitAmount":1,"AccountCode":"404"}]}]}`},
		{"/BankTransactions", `{"BankTransactions":[{"Type":"FEES","BankAccount":{"Code":"091"},"LineItems":[]}]}`},
	} {
		status, body := send(t, s, tok, http.MethodPut, c.path, c.body)
		if status != http.StatusBadRequest || !strings.Contains(body, "does not match the Xero Accounting API spec") {
			t.Errorf("PUT %s %s: %d %s", c.path, c.body, status, body)
		}
	}
	if n := len(s.SpecViolations()); n != 4 {
		t.Errorf("violations recorded: %d, want 4", n)
	}
	if len(s.BankTransfers())+len(s.BankTransactions()) != 0 {
		t.Error("a refused body created a document")
	}
}

// TestSpecValidatorRejectsBadRefundBodies: a payment against a credit note
// (a refund) whose credit note id is not a uuid, or whose amount is not a
// number, breaks the spec and is refused before the organisation sees it.
func TestSpecValidatorRejectsBadRefundBodies(t *testing.T) {
	s := xerotest.New(t)
	s.ExpectSpecViolations()
	tok := MustAccessToken(t, s)
	for _, body := range []string{
		`{"Payments":[{"CreditNote":{"CreditNoteID":"CN-0001"},"Account":{"Code":"091"},"Amount":10,"Reference":"re_1"}]}`,
		`{"Payments":[{"CreditNote":{"CreditNoteID":"5cc8cf28-567e-4d43-b287-687cfcaec47c"},"Account":{"Code":"091"},"Amount":"ten"}]}`,
	} {
		status, answer := send(t, s, tok, http.MethodPut, "/Payments", body)
		if status != http.StatusBadRequest || !strings.Contains(answer, "does not match the Xero Accounting API spec") {
			t.Errorf("PUT /Payments %s: %d %s", body, status, answer)
		}
	}
	if n := len(s.SpecViolations()); n != 2 {
		t.Errorf("violations recorded: %d, want 2", n)
	}
	if len(s.Payments()) != 0 {
		t.Error("a refused refund created a payment")
	}
}
