package qbotest_test

// No official machine-readable QuickBooks Online spec can be had here, so
// qbotest checks requests against the fields and types Intuit's reference
// pages document as required. These tests show that it does reject what
// QBO would: a bad body gets 400 with QBO's Fault JSON.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"remit/integrations/accounting/qbo/qbotest"
)

type answer struct {
	status int
	body   map[string]any
}

// MustToken gets an access token from the server's token endpoint.
func MustToken(tb testing.TB, s *qbotest.Server) string {
	tb.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.RefreshToken()}}
	req, _ := http.NewRequest(http.MethodPost, s.TokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", s.BasicAuth())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		tb.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

func MustDo(tb testing.TB, s *qbotest.Server, token, method, path, query, body string) answer {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, s.URL+"/v3/company/"+s.RealmID+path+"?"+query, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	a.status = resp.StatusCode
	if err := json.NewDecoder(resp.Body).Decode(&a.body); err != nil {
		tb.Fatalf("%s %s: answer is not JSON: %v", method, path, err)
	}
	return a
}

// faultCode returns Fault.Error[0].code, failing when the body is not QBO's Fault shape.
func faultCode(tb testing.TB, a answer) string {
	tb.Helper()
	f, ok := a.body["Fault"].(map[string]any)
	if !ok {
		tb.Fatalf("answer %d %v is not a Fault", a.status, a.body)
	}
	errs, ok := f["Error"].([]any)
	if !ok || len(errs) == 0 {
		tb.Fatalf("Fault without Error[]: %v", a.body)
	}
	e := errs[0].(map[string]any)
	if e["Message"] == "" || f["type"] == "" {
		tb.Fatalf("Fault error without Message or type: %v", a.body)
	}
	return e["code"].(string)
}

func TestServerRejectsBadBodies(t *testing.T) {
	s := qbotest.New(t, qbotest.Options{})
	tok := MustToken(t, s)
	cust := MustDo(t, s, tok, "POST", "/customer", "minorversion=75", `{"DisplayName":"Harbour Dental"}`)
	if cust.status != 200 {
		t.Fatalf("create customer: %d %v", cust.status, cust.body)
	}
	custID := cust.body["Customer"].(map[string]any)["Id"].(string)
	line := `{"Amount":100,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"1"},"Qty":2,"UnitPrice":50}}`

	for _, tc := range []struct {
		name, path, body, code string
	}{
		{"CustomerWithoutDisplayName", "/customer", `{"PrimaryEmailAddr":{"Address":"a@b.example"}}`, "2020"},
		{"DuplicateDisplayName", "/customer", `{"DisplayName":"harbour dental"}`, "6240"},
		{"InvoiceWithoutCustomerRef", "/invoice", `{"Line":[` + line + `]}`, "2020"},
		{"InvoiceWithoutLine", "/invoice", `{"CustomerRef":{"value":"` + custID + `"}}`, "2020"},
		{"LineWithoutAmount", "/invoice", `{"CustomerRef":{"value":"` + custID + `"},"Line":[{"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"1"}}}]}`, "2020"},
		{"LineWithoutItemRef", "/invoice", `{"CustomerRef":{"value":"` + custID + `"},"Line":[{"Amount":1,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{}}]}`, "2020"},
		{"AmountNotANumber", "/invoice", `{"CustomerRef":{"value":"` + custID + `"},"Line":[{"Amount":{"v":1},"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"1"}}}]}`, "2010"},
		{"UnknownProperty", "/invoice", `{"CustomerRef":{"value":"` + custID + `"},"Reference":"x","Line":[` + line + `]}`, "2010"},
		{"AmountNotQtyTimesPrice", "/invoice", `{"CustomerRef":{"value":"` + custID + `"},"Line":[{"Amount":99,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"1"},"Qty":2,"UnitPrice":50}}]}`, "6070"},
		{"UnknownCustomer", "/invoice", `{"CustomerRef":{"value":"77777"},"Line":[` + line + `]}`, "2500"},
		{"PaymentWithoutTotalAmt", "/payment", `{"CustomerRef":{"value":"` + custID + `"}}`, "2020"},
		{"CreditMemoWithoutLine", "/creditmemo", `{"CustomerRef":{"value":"` + custID + `"}}`, "2020"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := MustDo(t, s, tok, "POST", tc.path, "minorversion=75", tc.body)
			if a.status != 400 {
				t.Fatalf("status %d, want 400: %v", a.status, a.body)
			}
			if code := faultCode(t, a); code != tc.code {
				t.Fatalf("fault code %s, want %s: %v", code, tc.code, a.body)
			}
		})
	}
	if n := len(s.Invoices()) + len(s.Payments()) + len(s.CreditMemos()); n != 0 {
		t.Fatalf("%d documents created by rejected requests", n)
	}

	t.Run("GoodInvoiceAccepted", func(t *testing.T) {
		a := MustDo(t, s, tok, "POST", "/invoice", "minorversion=75", `{"CustomerRef":{"value":"`+custID+`"},"Line":[`+line+`]}`)
		if a.status != 200 || a.body["Invoice"].(map[string]any)["TotalAmt"] != 100.0 {
			t.Fatalf("good invoice: %d %v", a.status, a.body)
		}
	})
	t.Run("NoMinorVersion", func(t *testing.T) {
		a := MustDo(t, s, tok, "GET", "/customer/"+custID, "", "")
		if a.status != 400 || faultCode(t, a) != "2020" {
			t.Fatalf("%d %v", a.status, a.body)
		}
	})
	t.Run("NoAuthorization", func(t *testing.T) {
		a := MustDo(t, s, "", "GET", "/customer/"+custID, "minorversion=75", "")
		if a.status != 401 || faultCode(t, a) != "3200" {
			t.Fatalf("%d %v", a.status, a.body)
		}
	})
	t.Run("VoidWithStaleSyncToken", func(t *testing.T) {
		id := s.Invoices()[0].ID
		a := MustDo(t, s, tok, "POST", "/invoice", "minorversion=75&operation=void", `{"Id":"`+id+`","SyncToken":"3"}`)
		if a.status != 400 || faultCode(t, a) != "5010" {
			t.Fatalf("%d %v", a.status, a.body)
		}
		a = MustDo(t, s, tok, "POST", "/invoice", "minorversion=75&operation=void", `{"Id":"`+id+`"}`)
		if a.status != 400 || faultCode(t, a) != "2020" {
			t.Fatalf("%d %v", a.status, a.body)
		}
	})
}

func TestServerRequestIDReplaysFirstResponse(t *testing.T) {
	s := qbotest.New(t, qbotest.Options{})
	tok := MustToken(t, s)
	first := MustDo(t, s, tok, "POST", "/customer", "minorversion=75&requestid=r-1", `{"DisplayName":"Harbour Dental"}`)
	again := MustDo(t, s, tok, "POST", "/customer", "minorversion=75&requestid=r-1", `{"DisplayName":"Harbour Dental"}`)
	if first.status != 200 || again.status != 200 {
		t.Fatalf("statuses %d, %d; want 200 twice (the second a replay, not a duplicate-name error)", first.status, again.status)
	}
	id1 := first.body["Customer"].(map[string]any)["Id"]
	id2 := again.body["Customer"].(map[string]any)["Id"]
	if id1 != id2 || len(s.Customers()) != 1 {
		t.Fatalf("ids %v, %v with %d customers: want one customer, same answer", id1, id2, len(s.Customers()))
	}
	other := MustDo(t, s, tok, "POST", "/customer", "minorversion=75&requestid=r-2", `{"DisplayName":"Harbour Dental"}`)
	if other.status != 400 || faultCode(t, other) != "6240" {
		t.Fatalf("a new requestid with the same name: %d %v, want 6240", other.status, other.body)
	}
}

// TestServerRejectsBadTransfersAndPurchases: transfers and purchases that
// break what Intuit documents get QBO's Fault and create nothing.
func TestServerRejectsBadTransfersAndPurchases(t *testing.T) {
	s := qbotest.New(t, qbotest.Options{})
	tok := MustToken(t, s)
	expense := `{"Amount":5,"DetailType":"AccountBasedExpenseLineDetail","AccountBasedExpenseLineDetail":{"AccountRef":{"value":"8"}}}`
	for _, tc := range []struct{ name, path, body, code string }{
		{"TransferWithoutTo", "/transfer", `{"FromAccountRef":{"value":"4"},"Amount":10}`, "2020"},
		{"TransferAmountText", "/transfer", `{"FromAccountRef":{"value":"4"},"ToAccountRef":{"value":"35"},"Amount":"ten"}`, "2010"},
		{"TransferUnknownProperty", "/transfer", `{"FromAccountRef":{"value":"4"},"ToAccountRef":{"value":"35"},"Amount":10,"Memo":"x"}`, "2010"},
		{"TransferSameAccount", "/transfer", `{"FromAccountRef":{"value":"4"},"ToAccountRef":{"value":"4"},"Amount":10}`, "6000"},
		{"PurchaseWithoutPaymentType", "/purchase", `{"AccountRef":{"value":"4"},"Line":[` + expense + `]}`, "2020"},
		{"PurchaseReadOnlyTotal", "/purchase", `{"PaymentType":"Cash","AccountRef":{"value":"4"},"TotalAmt":5,"Line":[` + expense + `]}`, "2010"},
		{"PurchaseLineToABankAccount", "/purchase", `{"PaymentType":"Cash","AccountRef":{"value":"4"},"Line":[{"Amount":5,"DetailType":"AccountBasedExpenseLineDetail","AccountBasedExpenseLineDetail":{"AccountRef":{"value":"35"}}}]}`, "2500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := MustDo(t, s, tok, "POST", tc.path, "minorversion=75", tc.body)
			if a.status != http.StatusBadRequest {
				t.Fatalf("status %d %v, want 400", a.status, a.body)
			}
			if code := faultCode(t, a); code != tc.code {
				t.Errorf("code %s, want %s: %v", code, tc.code, a.body)
			}
		})
	}
	if len(s.Transfers())+len(s.Purchases()) != 0 {
		t.Error("a refused body created a document")
	}
}
