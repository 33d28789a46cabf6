package stripe_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	stripego "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"remit/domain"
	"remit/integrations/payments"
	"remit/integrations/payments/stripe"
	"remit/integrations/payments/stripe/stripemock"
)

func aud(s string) domain.Money {
	return domain.NewMoney(decimal.RequireFromString(s), domain.MustCurrency("AUD"))
}

// recorder captures the requests the client sends, on their way to stripe-mock.
type recorder struct {
	reqs []*http.Request
	body []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var b []byte
	if req.Body != nil {
		b, _ = readAll(req)
	}
	r.reqs, r.body = append(r.reqs, req), append(r.body, string(b))
	return http.DefaultTransport.RoundTrip(req)
}

func readAll(req *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(req.Body)
	req.Body.Close()
	req.Body = nopCloser{bytes.NewReader(buf.Bytes())}
	return buf.Bytes(), err
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// TestChargeAgainstStripeMock sends a customer, an attached method and an
// off-session PaymentIntent to stripe-mock, which validates each request
// against Stripe's OpenAPI spec, and checks the request shapes Stripe needs:
// confirm, off_session, amount in minor units, the idempotency key header.
func TestChargeAgainstStripeMock(t *testing.T) {
	url := stripemock.MustStart(t)
	rec := &recorder{}
	g := stripe.New(stripe.Config{SecretKey: "sk_test_123", URL: url, HTTPClient: &http.Client{Transport: rec}})
	ctx := context.Background()

	cus, err := g.CreateCustomer(ctx, "client-1", "Acme", "ap@acme.test")
	if err != nil || !strings.HasPrefix(cus, "cus_") {
		t.Fatalf("create customer: %q %v", cus, err)
	}
	if err := g.AttachPaymentMethod(ctx, cus, "pm_card_visa"); err != nil {
		t.Fatalf("attach: %v", err)
	}
	res, err := g.Charge(ctx, payments.ChargeRequest{
		IdempotencyKey: "attempt-1", Customer: cus, PaymentMethod: "pm_card_visa", Amount: aud("110.05"),
		Description: "Invoice INV-000001", Metadata: map[string]string{"invoice_id": "inv-1"},
	})
	if err != nil {
		t.Fatalf("charge: %v", err)
	}
	if res.Reference == "" || !strings.HasPrefix(res.Reference, "pi_") {
		t.Errorf("reference %q, want a PaymentIntent id", res.Reference)
	}
	if res.Status != payments.StatusSucceeded && res.Status != payments.StatusPending && res.Status != payments.StatusRejected {
		t.Errorf("status %q", res.Status)
	}
	last := rec.reqs[len(rec.reqs)-1]
	body := rec.body[len(rec.body)-1]
	for _, i := range []int{len(rec.reqs) - 1, len(rec.reqs) - 2} { // the create (and a retrieve when processing)
		if rec.reqs[i].URL.Path == "/v1/payment_intents" {
			last, body = rec.reqs[i], rec.body[i]
		}
	}
	if last.URL.Path != "/v1/payment_intents" || last.Header.Get("Idempotency-Key") != "attempt-1" {
		t.Errorf("PaymentIntent request %s with Idempotency-Key %q", last.URL.Path, last.Header.Get("Idempotency-Key"))
	}
	for _, want := range []string{"amount=11005", "currency=aud", "confirm=true", "off_session=true", "customer=" + cus, "payment_method=pm_card_visa", "metadata[invoice_id]=inv-1", "metadata[remit_idempotency_key]=attempt-1"} {
		if !strings.Contains(decode(body), want) {
			t.Errorf("PaymentIntent request lacks %s: %s", want, decode(body))
		}
	}
}

func decode(form string) string {
	r := strings.NewReplacer("%5B", "[", "%5D", "]", "%3D", "=")
	return r.Replace(form)
}

func TestResultMapsPaymentIntents(t *testing.T) {
	for _, tc := range []struct {
		name string
		pi   stripego.PaymentIntent
		want payments.ChargeResult
	}{
		{"OK", stripego.PaymentIntent{ID: "pi_1", Status: "succeeded", AmountReceived: 11005, Currency: "aud"},
			payments.ChargeResult{Status: payments.StatusSucceeded, Reference: "pi_1", Amount: aud("110.05")}},
		{"BankDebitProcessing", stripego.PaymentIntent{ID: "pi_2", Status: "processing"},
			payments.ChargeResult{Status: payments.StatusPending, Reference: "pi_2"}},
		{"Declined", stripego.PaymentIntent{ID: "pi_3", Status: "requires_payment_method", LastPaymentError: &stripego.Error{DeclineCode: "insufficient_funds", Msg: "Your card has insufficient funds."}},
			payments.ChargeResult{Status: payments.StatusRejected, Reference: "pi_3", DeclineCode: "insufficient_funds", Message: "Your card has insufficient funds."}},
		{"DeclinedWithoutCodes", stripego.PaymentIntent{ID: "pi_4", Status: "requires_payment_method", LastPaymentError: &stripego.Error{}},
			payments.ChargeResult{Status: payments.StatusRejected, Reference: "pi_4", DeclineCode: "requires_payment_method", Message: "The payment was not completed."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := stripe.Result(&tc.pi)
			if got.Status != tc.want.Status || got.Reference != tc.want.Reference || got.DeclineCode != tc.want.DeclineCode || got.Message != tc.want.Message || !got.Amount.Amount.Equal(tc.want.Amount.Amount) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestWebhook: a signed payment_intent.payment_failed event reaches
// OnResult with the charge's idempotency key and decline code; a bad
// signature is refused with 400 and reaches nothing; a failing OnResult
// answers 500 so Stripe sends the event again.
func TestWebhook(t *testing.T) {
	const secret = "whsec_test"
	var got []stripe.Notification
	fail := false
	h := stripe.Webhook{Secret: secret, OnResult: func(_ context.Context, n stripe.Notification) error {
		if fail {
			return errors.New("store down")
		}
		got = append(got, n)
		return nil
	}}
	payload := fmt.Appendf(nil, `{"id":"evt_1","object":"event","api_version":%q,"type":"payment_intent.payment_failed","data":{"object":{"id":"pi_9","object":"payment_intent","status":"requires_payment_method","metadata":{"remit_idempotency_key":"attempt-7","invoice_id":"inv-7"},"last_payment_error":{"type":"card_error","code":"card_declined","decline_code":"debit_returned","message":"Returned"}}}}`, stripego.APIVersion)
	post := func(sig string) int {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", bytes.NewReader(payload))
		req.Header.Set("Stripe-Signature", sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret})
	if code := post(signed.Header); code != http.StatusOK {
		t.Fatalf("signed event: %d", code)
	}
	if len(got) != 1 || got[0].IdempotencyKey != "attempt-7" || got[0].Metadata["invoice_id"] != "inv-7" ||
		got[0].Result.Status != payments.StatusRejected || got[0].Result.DeclineCode != "debit_returned" {
		t.Fatalf("notifications %+v", got)
	}
	forged := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: "whsec_other"})
	if code := post(forged.Header); code != http.StatusBadRequest || len(got) != 1 {
		t.Fatalf("forged event: %d, %d notifications", code, len(got))
	}
	fail = true
	if code := post(signed.Header); code != http.StatusInternalServerError {
		t.Fatalf("failing handler: %d, want 500", code)
	}
}
