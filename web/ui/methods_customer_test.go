package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"remit/web/auth"
)

// TestPaymentMethodGatewayCustomer: staff put a Stripe method on file, and
// replace it, with the Stripe customer it is attached to (which collection
// sends with every charge); a client adds one through a signed link the
// same way. A method without one is stored without one, and a malformed one
// is refused on its field, appending nothing.
func TestPaymentMethodGatewayCustomer(t *testing.T) {
	a, links := newLinkApp(t)
	id := a.mustClient("Acme")
	base := "/clients/" + id.String() + "/payment-methods"
	mustContain(t, a.get(base+"/new"), `<label for="f-method-gateway_customer">Gateway customer`)
	customers := func() map[string]string {
		t.Helper()
		sum, err := a.models.Summary(context.Background(), id, date("2025-03-10"))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, m := range sum.PaymentMethods {
			out[m.GatewayToken] = m.GatewayCustomer
		}
		return out
	}
	card := url.Values{"method.kind": {"card"}, "method.gateway": {"stripe"}, "method.gateway_token": {"pm_1Abc"}, "method.gateway_customer": {"cus_Acme1"},
		"method.brand": {"visa"}, "method.last4": {"4242"}, "method.expiry_month": {"8"}, "method.expiry_year": {"2030"}}
	a.mustPost(base+"/new", card, "added.")
	if got := customers()["pm_1Abc"]; got != "cus_Acme1" {
		t.Fatalf("added method's customer %q, want cus_Acme1", got)
	}

	before := a.head()
	bad := a.post(base+"/new", with(card, "method.gateway_token", "pm_9Xyz", "method.gateway_customer", "cus Acme"))
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "method.gateway_customer") == "" {
		t.Fatalf("malformed customer: %d: %s", bad.Status, errorsOf(bad.Body))
	}
	if a.head() != before {
		t.Error("a refused method appended events")
	}

	sum, _ := a.models.Summary(context.Background(), id, date("2025-03-10"))
	a.mustPost(base+"/"+sum.PaymentMethods[0].ID.String()+"/replace", with(card, "method.gateway_token", "pm_2Def", "method.gateway_customer", "cus_Acme2", "method.last4", "1881"), "replaced by")
	a.mustPost(base+"/new", with(card, "method.gateway_token", "pm_3Ghi", "method.gateway_customer", ""), "added.")

	plain := "/c/m/" + links.Sign(auth.Link{ClientID: id, Purpose: auth.PurposePaymentMethod, Expires: now.Add(time.Hour)})
	mustContain(t, a.get(plain), `<label for="f-method-gateway_customer">`)
	r := a.post(plain, with(newCard("pm_card_mastercard", "4444"), "payment_method", "", "method.gateway_customer", "cus_Link1"))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add through the link = %d: %s", r.Status, errorsOf(r.Body))
	}

	got := customers()
	for token, want := range map[string]string{"pm_2Def": "cus_Acme2", "pm_3Ghi": "", "pm_card_mastercard": "cus_Link1"} {
		if c, ok := got[token]; !ok || c != want {
			t.Errorf("method %s on file with customer %q (on file: %v), want %q", token, c, ok, want)
		}
	}
}
