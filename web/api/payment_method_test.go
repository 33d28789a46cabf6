package api_test

import (
	"net/http"
	"testing"
)

// TestPaymentMethodGatewayCustomer: a Stripe method is put on file, and
// replaced, with the Stripe customer it is attached to (gateway_customer),
// which collection needs to charge it off-session; it reads back as sent. A
// method without one reads back without one, and a malformed one is a 422
// on its field that appends nothing.
func TestPaymentMethodGatewayCustomer(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	base := "/api/clients/" + a.mustCreateClient("Acme Pty Ltd") + "/payment-methods"
	card := func(token, customer string) map[string]any {
		m := map[string]any{"kind": "card", "gateway": "stripe", "gateway_token": token, "brand": "visa", "last4": "4242", "expiry_month": 12, "expiry_year": 2030}
		if customer != "" {
			m["gateway_customer"] = customer
		}
		return m
	}

	added := a.must(http.StatusCreated, "POST", base, card("pm_1Abc", "cus_Acme1"))
	if got := str(t, added, "gateway_customer"); got != "cus_Acme1" {
		t.Errorf("added method's gateway_customer %q, want cus_Acme1: %v", got, added)
	}
	if got := str(t, a.must(http.StatusOK, "GET", base+"/"+str(t, added, "id"), nil), "gateway_customer"); got != "cus_Acme1" {
		t.Errorf("read back gateway_customer %q, want cus_Acme1", got)
	}

	replaced := a.must(http.StatusCreated, "POST", base+"/"+str(t, added, "id")+"/replace", card("pm_2Def", "cus_Acme2"))
	if got := str(t, replaced, "gateway_customer"); got != "cus_Acme2" {
		t.Errorf("replacement's gateway_customer %q, want cus_Acme2: %v", got, replaced)
	}

	plain := a.must(http.StatusCreated, "POST", base, card("pm_3Ghi", ""))
	if _, ok := plain["gateway_customer"]; ok {
		t.Errorf("a method without a customer reads back with one: %v", plain)
	}

	before := a.head()
	r := a.do("POST", base, card("pm_4Jkl", "cus with spaces"))
	if r.Status != http.StatusUnprocessableEntity || get(t, r.JSON(t), "errors") == nil {
		t.Fatalf("malformed gateway_customer: %d %s", r.Status, r.Body)
	}
	if a.head() != before {
		t.Errorf("a refused method appended %d events", a.head()-before)
	}
}
