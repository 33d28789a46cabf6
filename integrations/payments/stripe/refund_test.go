package stripe_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	stripego "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"remit/integrations/payments"
	"remit/integrations/payments/stripe"
	"remit/integrations/payments/stripe/stripemock"
)

// TestRefundAgainstStripeMock sends a partial refund of a PaymentIntent to
// stripe-mock, which validates it against Stripe's OpenAPI spec, and checks
// what Stripe needs: the PaymentIntent, the amount in minor units, the
// idempotency key header.
func TestRefundAgainstStripeMock(t *testing.T) {
	url := stripemock.MustStart(t)
	rec := &recorder{}
	g := stripe.New(stripe.Config{SecretKey: "sk_test_123", URL: url, HTTPClient: &http.Client{Transport: rec}})
	res, err := g.Refund(context.Background(), payments.RefundRequest{
		IdempotencyKey: "refund-1", ChargeReference: "pi_123", Amount: aud("55.02"), Reason: "Service cancelled",
		Metadata: map[string]string{"invoice_id": "inv-1"},
	})
	if err != nil {
		t.Fatalf("refund: %v", err)
	}
	if !strings.HasPrefix(res.Reference, "re_") {
		t.Errorf("reference %q, want a Refund id", res.Reference)
	}
	last, body := rec.reqs[len(rec.reqs)-1], decode(rec.body[len(rec.body)-1])
	if last.URL.Path != "/v1/refunds" || last.Header.Get("Idempotency-Key") != "refund-1" {
		t.Errorf("refund request %s with Idempotency-Key %q", last.URL.Path, last.Header.Get("Idempotency-Key"))
	}
	for _, want := range []string{"amount=5502", "payment_intent=pi_123", "metadata[invoice_id]=inv-1", "metadata[remit_idempotency_key]=refund-1"} {
		if !strings.Contains(body, want) {
			t.Errorf("refund request lacks %s: %s", want, body)
		}
	}
}

// TestWebhookDisputes: signed charge.dispute.created and .closed (lost)
// deliveries reach OnDispute with the PaymentIntent disputed, the amount,
// the reason, the status and, once lost, the fee; an inquiry (no money
// moved) does not.
func TestWebhookDisputes(t *testing.T) {
	const secret = "whsec_test"
	var got []stripe.DisputeNotification
	h := stripe.Webhook{Secret: secret, OnDispute: func(_ context.Context, n stripe.DisputeNotification) error {
		got = append(got, n)
		return nil
	}}
	post := func(evt, typ, status, bts string) int {
		payload := fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":%q,"type":%q,"data":{"object":{"id":"dp_1","object":"dispute","amount":11000,"currency":"aud","charge":"ch_1","payment_intent":"pi_1","reason":"fraudulent","status":%q,"created":1700000000,"balance_transactions":[%s]}}}`,
			evt, stripego.APIVersion, typ, status, bts)
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret})
		req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", bytes.NewReader(payload))
		req.Header.Set("Stripe-Signature", signed.Header)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	if code := post("evt_1", "charge.dispute.created", "needs_response", ""); code != http.StatusOK {
		t.Fatalf("created: %d", code)
	}
	if code := post("evt_2", "charge.dispute.closed", "lost", `{"id":"txn_1","object":"balance_transaction","amount":-11000,"fee":1500,"currency":"aud"}`); code != http.StatusOK {
		t.Fatalf("closed: %d", code)
	}
	if code := post("evt_3", "charge.dispute.created", "warning_needs_response", ""); code != http.StatusOK {
		t.Fatalf("inquiry: %d", code)
	}
	if len(got) != 2 {
		t.Fatalf("notifications %+v", got)
	}
	open, lost := got[0].Dispute, got[1].Dispute
	if open.Reference != "dp_1" || open.ChargeReference != "pi_1" || open.Status != payments.DisputeOpen || !open.Amount.Amount.Equal(aud("110.00").Amount) || open.Reason != "fraudulent" {
		t.Errorf("open dispute %+v", open)
	}
	if lost.Status != payments.DisputeLost || !lost.Fee.Amount.Equal(aud("15.00").Amount) {
		t.Errorf("lost dispute %+v", lost)
	}
}
