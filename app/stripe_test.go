package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	stripego "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"remit/app"
	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/integrations/payments/gateways"
	"remit/integrations/payments/stripe/stripemock"
	"remit/processes/billingrun"
)

// TestStripeWebhookThroughServe runs the wired app with Stripe as its
// gateway (Stripe's own mock server): the webhook is reachable without a
// session, refuses a badly signed delivery, and a signed result about a
// charge Remit made pays the invoice once, however often it is delivered.
func TestStripeWebhookThroughServe(t *testing.T) {
	const secret = "whsec_remit_app_test"
	ctx := context.Background()
	dir := t.TempDir()
	loc, _ := time.LoadLocation("Australia/Sydney")
	a, err := app.Open(ctx, app.Config{DataDir: dir, Addr: "127.0.0.1:0", NoOutbox: true, NoLedgerSync: true,
		Payments: gateways.Config{Gateway: gateways.Stripe, StripeKey: "sk_test_123", StripeWebhookSecret: secret, StripeURL: stripemock.MustStart(t)}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.StripeWebhook == nil {
		t.Fatal("Stripe with a webhook secret built no webhook")
	}
	meta := billing.Meta{Actor: "test"}
	svc := a.Billing
	must := func(r billing.Result, err error) billing.Result {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	must(svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney"}, meta))
	c := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Acme", Kind: client.KindBusiness, Contacts: []client.Contact{{Name: "Jo", Email: "jo@acme.example"}}}, meta)).ID
	pm := must(svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: c, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "stripe", GatewayToken: "pm_card_visa", Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2034}}, meta)).ID
	inv := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, PaymentMethodID: pm,
		Lines: []billing.InstantLine{{Description: "Advice", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(100), TaxRate: decimal.NewFromInt(10)}}}, meta)).ID
	must(svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: inv, PaymentMethodID: pm, Date: domain.DateOf(time.Now(), loc)}, meta))

	attempt := billingrun.AttemptID(inv, 1)
	payload := fmt.Appendf(nil, `{"id":"evt_app_1","object":"event","api_version":%q,"type":"payment_intent.succeeded","data":{"object":`+
		`{"id":"pi_app_1","object":"payment_intent","status":"succeeded","amount":11000,"amount_received":11000,"currency":"aud",`+
		`"metadata":{"invoice_id":%q,"attempt_id":%q,"remit_idempotency_key":%q}}}}`, stripego.APIVersion, inv, attempt, attempt)
	post := func(body []byte, sig string) int {
		req, _ := http.NewRequest(http.MethodPost, a.URL()+gateways.WebhookPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Stripe-Signature", sig)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	head := func() uint64 {
		h, err := a.Store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	before := head()
	if code := post(payload, "t=1,v1=deadbeef"); code != http.StatusBadRequest {
		t.Errorf("a badly signed delivery: %d, want 400", code)
	}
	if head() != before {
		t.Fatal("a refused delivery appended events")
	}
	sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret}).Header
	for range 2 {
		if code := post(payload, sig); code != http.StatusOK {
			t.Fatalf("a signed delivery: %d, want 200", code)
		}
	}
	pos := head()
	if err := a.Runner.WaitFor(ctx, pos); err != nil {
		t.Fatal(err)
	}
	d, err := a.Models.Invoice(context.Background(), inv, domain.DateOf(time.Now(), loc))
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != "paid" || len(d.Payments) != 1 {
		t.Errorf("after the webhook the invoice is %s with %d payments, want paid with 1", d.Status, len(d.Payments))
	}
}
