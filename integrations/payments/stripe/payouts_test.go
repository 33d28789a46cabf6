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
	"time"

	stripego "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"remit/integrations/payments"
	"remit/integrations/payments/stripe"
	"remit/integrations/payments/stripe/stripemock"
)

// TestPayoutsAgainstStripeMock lists paid and failed payouts created since
// a time and each one's balance transactions with their sources expanded,
// as stripe-mock (Stripe's OpenAPI spec) accepts, and maps its answers.
func TestPayoutsAgainstStripeMock(t *testing.T) {
	url := stripemock.MustStart(t)
	rec := &recorder{}
	g := stripe.New(stripe.Config{SecretKey: "sk_test_123", URL: url, HTTPClient: &http.Client{Transport: rec}})
	since := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ps, err := g.Payouts(context.Background(), since)
	if err != nil {
		t.Fatalf("payouts: %v", err)
	}
	if len(ps) == 0 {
		t.Fatal("stripe-mock's payout list mapped to no payouts")
	}
	for _, p := range ps {
		if !strings.HasPrefix(p.Reference, "po_") || p.Currency.IsZero() || p.ArrivalDate.IsZero() || p.Created.IsZero() {
			t.Errorf("payout %+v", p)
		}
		for _, l := range p.Lines {
			if l.Reference == "" || !l.Gross.Sub(l.Fee).Equal(l.Net) {
				t.Errorf("line %+v of %s", l, p.Reference)
			}
		}
	}
	var listed, balances int
	for i, r := range rec.reqs {
		q := decode(r.URL.RawQuery)
		switch r.URL.Path {
		case "/v1/payouts":
			listed++
			if r.Method != http.MethodGet || !strings.Contains(q, fmt.Sprintf("created[gte]=%d", since.Unix())) || !strings.Contains(q, "status=") {
				t.Errorf("payout list request %s %s %s", r.Method, q, rec.body[i])
			}
		case "/v1/balance_transactions":
			balances++
			if !strings.Contains(q, "payout=po_") || !strings.Contains(q, "expand[0]=data.source") {
				t.Errorf("balance transactions request %s", q)
			}
		}
	}
	if listed != 2 || balances == 0 {
		t.Errorf("%d payout lists (want paid and failed), %d balance transaction lists", listed, balances)
	}
}

// TestPayoutWebhook: a signed payout.paid reaches OnPayout with the
// payout's id; a failing OnPayout answers 500 so Stripe sends it again; a
// forged one reaches nothing.
func TestPayoutWebhook(t *testing.T) {
	const secret = "whsec_test"
	var got []string
	fail := false
	h := stripe.Webhook{Secret: secret, OnPayout: func(_ context.Context, eventID, payoutID string) error {
		if fail {
			return errors.New("store down")
		}
		got = append(got, eventID+"/"+payoutID)
		return nil
	}}
	payload := fmt.Appendf(nil, `{"id":"evt_2","object":"event","api_version":%q,"type":"payout.paid","data":{"object":{"id":"po_123","object":"payout","status":"paid","amount":10777,"currency":"aud"}}}`, stripego.APIVersion)
	post := func(secret string) int {
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret})
		req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", bytes.NewReader(payload))
		req.Header.Set("Stripe-Signature", signed.Header)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	if code := post(secret); code != http.StatusOK || len(got) != 1 || got[0] != "evt_2/po_123" {
		t.Fatalf("signed payout.paid: %d, %v", code, got)
	}
	if code := post("whsec_other"); code != http.StatusBadRequest || len(got) != 1 {
		t.Fatalf("forged: %d, %v", code, got)
	}
	fail = true
	if code := post(secret); code != http.StatusInternalServerError {
		t.Fatalf("failing sync: %d, want 500", code)
	}
}

var _ payments.PayoutSource = (*stripe.Gateway)(nil)
