package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/integrations/payments"
	"remit/integrations/payments/sandbox"
)

// mustPaidInvoice issues an AUD 110.00 instant bill and records its
// collection by the sandbox with token; it returns the invoice's path.
func (a *app) mustPaidInvoice(name, token string) string {
	a.tb.Helper()
	clientID := a.mustCreateClient(name)
	inv := "/api/invoices/" + str(a.tb, a.must(http.StatusCreated, "POST", "/api/invoices", map[string]any{"client_id": clientID, "lines": []any{
		map[string]any{"description": "Advice", "quantity": "1", "unit_price": "100", "tax_rate": "10"}}}), "id")
	ch, err := a.gw.Charge(context.Background(), payments.ChargeRequest{IdempotencyKey: inv, PaymentMethod: token, Amount: domain.MustMoney("110.00", "AUD")})
	if err != nil || ch.Status != payments.StatusSucceeded {
		a.tb.Fatalf("charge: %+v %v", ch, err)
	}
	a.must(http.StatusCreated, "POST", inv+"/attempts", map[string]any{"outcome": "succeeded", "gateway_reference": ch.Reference, "amount": "110.00"})
	return inv
}

func amountOf(tb testing.TB, v any, path ...any) decimal.Decimal {
	tb.Helper()
	return decimal.RequireFromString(str(tb, v, append(path, "amount")...))
}

// TestRefundHalfAPI: staff refund half of a collected payment; the refund,
// its credit note and the paid invoice show, and a retry with the same
// Idempotency-Key refunds nothing more.
func TestRefundHalfAPI(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	inv := a.mustPaidInvoice("Acme", sandbox.TokenCardSucceeds)

	res := a.must(http.StatusCreated, "POST", inv+"/refunds", map[string]any{"amount": "55.00", "reason": "Half the work was cancelled"}, "Idempotency-Key", "refund-half-1")
	if !amountOf(t, res, "amount").Equal(decimal.RequireFromString("55")) || str(t, res, "reason") != "Half the work was cancelled" || str(t, res, "gateway_refund_reference") == "" {
		t.Fatalf("refund %v", res)
	}
	a.do("POST", inv+"/refunds", map[string]any{"amount": "55.00", "reason": "Half the work was cancelled"}, "Idempotency-Key", "refund-half-1")
	list := items(t, a.must(http.StatusOK, "GET", inv+"/refunds", nil))
	if len(list) != 1 {
		t.Fatalf("%d refunds after a retried request, want 1", len(list))
	}
	d := a.must(http.StatusOK, "GET", inv, nil)
	cns := get(t, d, "credit_notes").([]any)
	if str(t, d, "status") != "paid" || len(cns) != 1 || !amountOf(t, cns[0], "amount").Equal(decimal.RequireFromString("55")) ||
		str(t, cns[0], "id") != str(t, res, "credit_note_id") || !amountOf(t, d, "refunded").Equal(decimal.RequireFromString("55")) {
		t.Fatalf("invoice after the refund: %v", d)
	}
	a.must(http.StatusOK, "GET", inv+"/refunds/"+str(t, res, "id"), nil)
}

// TestRefundBadInput: refused refunds name their field, append nothing and
// refund nothing at the gateway.
func TestRefundBadInput(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	inv := a.mustPaidInvoice("Acme", sandbox.TokenCardSucceeds)
	unpaid := "/api/invoices/" + str(t, a.must(http.StatusCreated, "POST", "/api/invoices", map[string]any{"client_id": a.mustCreateClient("Beta"), "lines": []any{
		map[string]any{"description": "Advice", "quantity": "1", "unit_price": "100", "tax_rate": "10"}}}), "id")
	for _, c := range []struct {
		name   string
		path   string
		body   map[string]any
		status int
		field  string
	}{
		{"MoreThanCollected", inv, map[string]any{"amount": "110.01", "reason": "x"}, 422, "amount"},
		{"NoReason", inv, map[string]any{"amount": "10.00"}, 400, "reason"},
		{"Negative", inv, map[string]any{"amount": "-1", "reason": "x"}, 422, "amount"},
		{"UnknownPayment", inv, map[string]any{"charge_reference": "ch_nope", "reason": "x"}, 422, "charge_reference"},
		{"NothingCollected", unpaid, map[string]any{"reason": "x"}, 409, "-"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := a.head()
			r := a.do("POST", c.path+"/refunds", c.body)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d\n%s", r.Status, c.status, r.Body)
			}
			if c.field != "-" {
				found := false
				for _, e := range get(t, r.JSON(t), "errors").([]any) {
					found = found || str(t, e, "field") == c.field
				}
				if !found {
					t.Fatalf("no error for field %q: %s", c.field, r.Body)
				}
			}
			if a.head() != before {
				t.Fatal("a refused refund appended events")
			}
		})
	}
	// Nothing was refunded at the gateway: the whole payment still can be.
	a.must(http.StatusCreated, "POST", inv+"/refunds", map[string]any{"reason": "All of it"})
}
