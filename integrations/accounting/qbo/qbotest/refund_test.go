package qbotest_test

import (
	"net/http"
	"testing"

	"remit/integrations/accounting/qbo/qbotest"
)

// TestServerRejectsBadRefundChecks: a check to Accounts Receivable with no
// customer, a payment linking a check of another customer, or applying more
// than the check put on the customer's account get QBO's Fault and change
// nothing; the good check and its application go through.
func TestServerRejectsBadRefundChecks(t *testing.T) {
	s := qbotest.New(t, qbotest.Options{})
	tok := MustToken(t, s)
	ana, bo := s.AddCustomer("Ana"), s.AddCustomer("Bo")
	arLine := `{"Amount":50,"DetailType":"AccountBasedExpenseLineDetail","AccountBasedExpenseLineDetail":{"AccountRef":{"value":"84"}}}`
	if a := MustDo(t, s, tok, "POST", "/purchase", "minorversion=75", `{"PaymentType":"Check","AccountRef":{"value":"4"},"Line":[`+arLine+`]}`); a.status != http.StatusBadRequest || faultCode(t, a) != "6000" {
		t.Fatalf("a check to A/R without a customer: %d %v", a.status, a.body)
	}
	a := MustDo(t, s, tok, "POST", "/purchase", "minorversion=75",
		`{"PaymentType":"Check","AccountRef":{"value":"4"},"EntityRef":{"value":"`+ana+`","type":"Customer"},"Line":[`+arLine+`]}`)
	if a.status != http.StatusOK {
		t.Fatalf("the check: %d %v", a.status, a.body)
	}
	check := a.body["Purchase"].(map[string]any)["Id"].(string)
	for _, tc := range []struct{ name, body string }{
		{"OtherCustomer", `{"CustomerRef":{"value":"` + bo + `"},"TotalAmt":0,"Line":[{"Amount":50,"LinkedTxn":[{"TxnId":"` + check + `","TxnType":"Check"}]}]}`},
		{"MoreThanTheCheck", `{"CustomerRef":{"value":"` + ana + `"},"TotalAmt":60,"Line":[{"Amount":60,"LinkedTxn":[{"TxnId":"` + check + `","TxnType":"Check"}]}]}`},
		{"WrongType", `{"CustomerRef":{"value":"` + ana + `"},"TotalAmt":50,"Line":[{"Amount":50,"LinkedTxn":[{"TxnId":"` + check + `","TxnType":"Expense"}]}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if a := MustDo(t, s, tok, "POST", "/payment", "minorversion=75", tc.body); a.status != http.StatusBadRequest || faultCode(t, a) != "6000" {
				t.Errorf("status %d %v, want 400 and 6000", a.status, a.body)
			}
		})
	}
	if len(s.Payments()) != 0 || !s.CheckApplied(check).IsZero() {
		t.Error("a refused payment changed the company")
	}
	if a := MustDo(t, s, tok, "POST", "/payment", "minorversion=75",
		`{"CustomerRef":{"value":"`+ana+`"},"TotalAmt":50,"Line":[{"Amount":50,"LinkedTxn":[{"TxnId":"`+check+`","TxnType":"Check"}]}]}`); a.status != http.StatusOK {
		t.Fatalf("paying the check: %d %v", a.status, a.body)
	}
	if got := s.CheckApplied(check); got.String() != "50" {
		t.Errorf("applied: %s", got)
	}
}
