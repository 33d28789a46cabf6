package stripe_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	stripego "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"remit/domain"
	"remit/integrations/payments"
	"remit/integrations/payments/stripe"
	"remit/integrations/payments/stripe/stripemock"
)

// form decodes a recorded request body.
func form(t *testing.T, body string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCreateSetupSessionAgainstStripeMock: a setup session for a client
// with no Stripe customer creates the customer first (idempotently), then a
// Checkout Session in setup mode with the method types, currency, metadata
// and return URLs, and the Canadian PAD mandate options Stripe requires;
// stripe-mock validates every request against Stripe's OpenAPI spec.
func TestCreateSetupSessionAgainstStripeMock(t *testing.T) {
	rec := &recorder{}
	g := stripe.New(stripe.Config{SecretKey: "sk_test_123", URL: stripemock.MustStart(t), HTTPClient: &http.Client{Transport: rec}})
	s, err := g.CreateSession(context.Background(), payments.SessionRequest{
		IdempotencyKey: "setup-c1-1", Mode: payments.ModeSetup, CustomerName: "Acme", CustomerEmail: "ap@acme.test",
		MethodTypes: []payments.MethodType{payments.TypeCard, payments.TypeACSS}, Currency: domain.MustCurrency("CAD"),
		SuccessURL: "https://remit.test/c/m/x/done?session={CHECKOUT_SESSION_ID}", CancelURL: "https://remit.test/c/m/x",
		Metadata: map[string]string{"client_id": "c1", "purpose": "add"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.ID, "cs_") || s.Customer == "" {
		t.Errorf("session %+v", s)
	}
	if len(rec.reqs) != 2 || rec.reqs[0].URL.Path != "/v1/customers" || rec.reqs[0].Header.Get("Idempotency-Key") != "customer/setup-c1-1" {
		t.Fatalf("requests %v", rec.reqs)
	}
	cs := rec.reqs[1]
	f := form(t, rec.body[1])
	if cs.URL.Path != "/v1/checkout/sessions" || cs.Header.Get("Idempotency-Key") != "setup-c1-1" {
		t.Fatalf("session request %s key %q", cs.URL.Path, cs.Header.Get("Idempotency-Key"))
	}
	for k, want := range map[string]string{
		"mode": "setup", "currency": "cad", "customer": s.Customer, "payment_method_types[0]": "card", "payment_method_types[1]": "acss_debit",
		"metadata[client_id]": "c1", "setup_intent_data[metadata][purpose]": "add", "success_url": "https://remit.test/c/m/x/done?session={CHECKOUT_SESSION_ID}",
		"payment_method_options[acss_debit][currency]":                          "cad",
		"payment_method_options[acss_debit][mandate_options][payment_schedule]": "sporadic",
		"payment_method_options[acss_debit][mandate_options][transaction_type]": "business",
	} {
		if got := f.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

// TestCreatePaymentSessionAgainstStripeMock: a payment session sends one
// line of the amount in minor units, keeps the method (setup_future_usage,
// customer_creation) and puts the payment key in the PaymentIntent's
// metadata.
func TestCreatePaymentSessionAgainstStripeMock(t *testing.T) {
	rec := &recorder{}
	g := stripe.New(stripe.Config{SecretKey: "sk_test_123", URL: stripemock.MustStart(t), HTTPClient: &http.Client{Transport: rec}})
	_, err := g.CreateSession(context.Background(), payments.SessionRequest{
		IdempotencyKey: "pay-inv-1", Mode: payments.ModePayment, CustomerEmail: "ap@acme.test",
		MethodTypes: []payments.MethodType{payments.TypeCard, payments.TypeAUBECS}, Amount: aud("110.05"), Description: "Invoice INV-000001",
		SaveMethod: true, SuccessURL: "https://remit.test/paid", Metadata: map[string]string{"invoice_id": "inv-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.reqs) != 1 {
		t.Fatalf("%d requests, want the session alone", len(rec.reqs))
	}
	f := form(t, rec.body[0])
	for k, want := range map[string]string{
		"mode": "payment", "line_items[0][price_data][unit_amount]": "11005", "line_items[0][price_data][currency]": "aud",
		"line_items[0][quantity]": "1", "payment_intent_data[setup_future_usage]": "off_session", "customer_creation": "always",
		"payment_intent_data[metadata][remit_idempotency_key]": "checkout/pay-inv-1", "payment_intent_data[metadata][invoice_id]": "inv-1",
		"customer_email": "ap@acme.test",
	} {
		if got := f.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

// TestRetrieveSessionAgainstStripeMock: Session asks for the session with
// its intents' payment method and mandate expanded.
func TestRetrieveSessionAgainstStripeMock(t *testing.T) {
	rec := &recorder{}
	g := stripe.New(stripe.Config{SecretKey: "sk_test_123", URL: stripemock.MustStart(t), HTTPClient: &http.Client{Transport: rec}})
	s, err := g.Session(context.Background(), "cs_test_1")
	if err != nil {
		t.Fatal(err)
	}
	if s.ID == "" {
		t.Errorf("session %+v", s)
	}
	got, _ := url.QueryUnescape(rec.reqs[0].URL.RawQuery)
	for _, want := range []string{"setup_intent.payment_method", "setup_intent.mandate", "payment_intent.payment_method", "payment_intent.latest_charge"} {
		if !strings.Contains(got, want) {
			t.Errorf("expand %q lacks %s", got, want)
		}
	}
}

// TestSessionOfPaymentAgainstStripeMock: the session of a payment is found
// by listing Checkout Sessions filtered by the PaymentIntent, a request
// stripe-mock validates against Stripe's spec.
func TestSessionOfPaymentAgainstStripeMock(t *testing.T) {
	rec := &recorder{}
	g := stripe.New(stripe.Config{SecretKey: "sk_test_123", URL: stripemock.MustStart(t), HTTPClient: &http.Client{Transport: rec}})
	id, err := g.SessionOfPayment(context.Background(), "pi_123")
	if err != nil || id == "" {
		t.Fatalf("session of the payment: %q, %v", id, err)
	}
	if r := rec.reqs[0]; r.Method != http.MethodGet || r.URL.Path != "/v1/checkout/sessions" || r.URL.Query().Get("payment_intent") != "pi_123" {
		t.Errorf("asked %s %s, want the sessions listed by payment_intent", r.Method, r.URL)
	}
}

// TestSessionOfMapsMethods: a completed setup session's card, BECS account
// and SEPA mandate are mapped to what Remit keeps; a payment session's card
// the client did not keep is only what the payment was made with.
func TestSessionOfMapsMethods(t *testing.T) {
	cus := &stripego.Customer{ID: "cus_1"}
	card := stripe.SessionOf(&stripego.CheckoutSession{ID: "cs_1", Mode: "setup", Status: "complete", Customer: cus,
		SetupIntent: &stripego.SetupIntent{PaymentMethod: &stripego.PaymentMethod{ID: "pm_1", Type: "card",
			Card: &stripego.PaymentMethodCard{Brand: "visa", Last4: "4242", ExpMonth: 12, ExpYear: 2030}}}})
	if m := card.Method; m == nil || m.Token != "pm_1" || m.Brand != "visa" || m.Last4 != "4242" || m.ExpiryYear != 2030 || m.Customer != "cus_1" {
		t.Errorf("card %+v", card.Method)
	}
	becs := stripe.SessionOf(&stripego.CheckoutSession{ID: "cs_2", Mode: "setup", Status: "complete", Customer: cus,
		SetupIntent: &stripego.SetupIntent{
			PaymentMethod: &stripego.PaymentMethod{ID: "pm_2", Type: "au_becs_debit", AUBECSDebit: &stripego.PaymentMethodAUBECSDebit{BSBNumber: "000000", Last4: "3456"}},
			Mandate:       &stripego.Mandate{ID: "mandate_1", Status: "active"}}})
	if m := becs.Method; m == nil || m.MaskedAccount != "000-000 ****3456" || m.MandateReference != "mandate_1" || m.MandateStatus != "active" {
		t.Errorf("becs %+v", becs.Method)
	}
	sepa := stripe.SessionOf(&stripego.CheckoutSession{ID: "cs_3", Mode: "setup", Status: "complete", Customer: cus,
		SetupIntent: &stripego.SetupIntent{
			PaymentMethod: &stripego.PaymentMethod{ID: "pm_3", Type: "sepa_debit", SEPADebit: &stripego.PaymentMethodSEPADebit{Country: "DE", Last4: "3000"}},
			Mandate: &stripego.Mandate{ID: "mandate_2", Status: "pending", PaymentMethodDetails: &stripego.MandatePaymentMethodDetails{
				SEPADebit: &stripego.MandatePaymentMethodDetailsSEPADebit{Reference: "REF123"}}}}})
	if m := sepa.Method; m == nil || m.MandateReference != "REF123" || m.MandateStatus != "pending" || strings.Contains(m.MaskedAccount, "370400") {
		t.Errorf("sepa %+v", sepa.Method)
	}
	// A payment the client did not keep: no method to keep, but the card it
	// was made with, for the payment to name.
	paid := stripe.SessionOf(&stripego.CheckoutSession{ID: "cs_5", Mode: "payment", Status: "complete", Customer: cus,
		PaymentIntent: &stripego.PaymentIntent{ID: "pi_5", Status: "succeeded", Amount: 55000, Currency: "aud",
			PaymentMethod: &stripego.PaymentMethod{ID: "pm_5", Type: "card", Card: &stripego.PaymentMethodCard{Brand: "mastercard", Last4: "4444", ExpMonth: 1, ExpYear: 2031}}}})
	if paid.Method != nil || paid.PaidWith == nil || paid.PaidWith.Brand != "mastercard" || paid.PaidWith.Last4 != "4444" {
		t.Errorf("payment not kept: method %+v, paid with %+v", paid.Method, paid.PaidWith)
	}
	open := stripe.SessionOf(&stripego.CheckoutSession{ID: "cs_4", Mode: "setup", Status: "open", URL: "https://checkout.stripe.com/c/pay/cs_4"})
	if open.Method != nil || open.URL == "" {
		t.Errorf("open %+v", open)
	}
}

// TestWebhookPassesCheckoutSessions: a signed checkout.session.completed
// reaches OnCheckout with the session's id and metadata; an expired
// session is answered 200 and passed on to nothing.
func TestWebhookPassesCheckoutSessions(t *testing.T) {
	const secret = "whsec_test"
	var got []stripe.CheckoutNotification
	h := stripe.Webhook{Secret: secret, OnCheckout: func(_ context.Context, n stripe.CheckoutNotification) error {
		got = append(got, n)
		return nil
	}}
	post := func(typ string) int {
		payload := fmt.Appendf(nil, `{"id":"evt_%s","object":"event","api_version":%q,"type":%q,"data":{"object":{"id":"cs_1","object":"checkout.session","mode":"setup","status":"complete","metadata":{"client_id":"c1"}}}}`, typ, stripego.APIVersion, typ)
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret})
		req := httptest.NewRequest(http.MethodPost, "/api/webhooks/stripe", bytes.NewReader(payload))
		req.Header.Set("Stripe-Signature", signed.Header)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	if code := post("checkout.session.completed"); code != 200 {
		t.Fatalf("completed: %d", code)
	}
	if code := post("checkout.session.expired"); code != 200 {
		t.Fatalf("expired: %d", code)
	}
	if len(got) != 1 || got[0].SessionID != "cs_1" || got[0].Mode != payments.ModeSetup || got[0].Metadata["client_id"] != "c1" || got[0].Type != "checkout.session.completed" {
		t.Fatalf("notifications %+v", got)
	}
}
