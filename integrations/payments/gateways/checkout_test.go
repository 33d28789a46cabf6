package gateways_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	stripego "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/eventstore"
	"remit/integrations/payments"
	"remit/integrations/payments/gateways"
)

// clientState folds the fixture client's stream.
func clientState(t *testing.T, f *fixture) client.State {
	t.Helper()
	recs, err := f.store.ReadStream(context.Background(), client.StreamName(f.client), 0, eventstore.Forward, 0)
	if err != nil {
		t.Fatal(err)
	}
	var st client.State
	cat := catalog.New()
	for _, rec := range recs {
		e, err := cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		st = client.Evolve(st, e)
	}
	return st
}

// TestCaptureRecordsOnceFromRedirectAndWebhook: a capture session opened
// for a client offers card and BECS (AUD), the client adds a BECS account
// with its mandate on the sandbox's page, and the return redirect and the
// signed webhook both record it: one method on file, with its masked
// account and mandate, attached to the same sandbox customer.
func TestCaptureRecordsOnceFromRedirectAndWebhook(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.mustSandbox()
	if o.Checkout == nil || o.Webhook == nil || o.Pages == nil || o.WebhookPath != "/api/webhooks/sandbox" {
		t.Fatalf("opened %+v", o)
	}
	s, err := o.Checkout.Start(ctx, gateways.CaptureRequest{ClientID: f.client, Purpose: gateways.PurposeAdd, Key: "form-1",
		ReturnURL: "https://remit.test/c/m/x/done/" + payments.SessionIDPlaceholder, Currency: domain.MustCurrency("AUD")})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := o.Checkout.Start(ctx, gateways.CaptureRequest{ClientID: f.client, Purpose: gateways.PurposeAdd, Key: "form-1",
		ReturnURL: "https://remit.test/c/m/x/done/" + payments.SessionIDPlaceholder, Currency: domain.MustCurrency("AUD")})
	if again.ID != s.ID {
		t.Errorf("the same form opened two sessions")
	}
	// Not complete yet: nothing is recorded.
	if c, err := o.Checkout.Record(ctx, s.ID, "client"); err != nil || c.Status != payments.SessionOpen || c.MethodID != uuid.Nil {
		t.Fatalf("open session recorded %+v %v", c, err)
	}
	if _, err := o.Sandbox.CompleteForTest(ctx, s.ID, payments.TypeAUBECS, neturl.Values{
		"bsb": {"000-000"}, "account_number": {"000123456"}, "name": {"Acme"}, "mandate": {"agree"}}); err != nil {
		t.Fatal(err)
	}
	c, err := o.Checkout.Record(ctx, s.ID, "client-link:x")
	if err != nil || c.Status != payments.SessionComplete || c.MethodID != gateways.MethodIDFor(s.ID) {
		t.Fatalf("record: %+v %v", c, err)
	}
	srv := httptest.NewServer(o.Webhook)
	defer srv.Close()
	if n, err := o.Sandbox.DeliverWebhooks(ctx, srv.URL, nil); n != 1 || err != nil {
		t.Fatalf("webhook delivered %d: %v", n, err)
	}
	st := clientState(t, f)
	var captured []client.PaymentMethod
	for _, m := range st.PaymentMethods {
		if m.Gateway == "sandbox" {
			captured = append(captured, m)
		}
	}
	if len(captured) != 1 {
		t.Fatalf("%d sandbox methods on file, want 1: %+v", len(captured), captured)
	}
	m := captured[0]
	if m.Kind != client.MethodBankDebit || m.Scheme != client.SchemeAUBECS || m.MaskedAccount != "000-000 ****3456" || m.MandateReference == "" || !strings.HasPrefix(m.GatewayCustomer, "cus_sandbox_") {
		t.Errorf("method %+v", m)
	}
}

// TestCaptureOnAcceptanceBecomesTheDefault: the method captured for an
// acceptance is made the client's default (which the accepted services pay
// with).
func TestCaptureOnAcceptanceBecomesTheDefault(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o, err := gateways.Start(gateways.Config{DataDir: t.TempDir(), Store: f.store, Billing: f.svc, Now: func() time.Time { return time.Now() }})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Sandbox.Close()
	s, err := o.Checkout.Start(ctx, gateways.CaptureRequest{ClientID: f.client, Purpose: gateways.PurposeAccept, ProposalID: uuid.New(), Key: "k",
		ReturnURL: "https://remit.test/r", Currency: domain.MustCurrency("AUD")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Sandbox.CompleteForTest(ctx, s.ID, payments.TypeCard, neturl.Values{"number": {"5555 5555 5555 4444"}, "expiry": {"12/30"}, "cvc": {"123"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Checkout.Record(ctx, s.ID, "client"); err != nil {
		t.Fatal(err)
	}
	if st := clientState(t, f); st.DefaultPaymentMethodID != gateways.MethodIDFor(s.ID) {
		t.Errorf("default %s, want the captured method", st.DefaultPaymentMethodID)
	}
}

// TestCaptureReplacesOnTheSameCustomer: a second capture for a client
// reuses its gateway customer, and one opened to replace a method records
// the new one in its place.
func TestCaptureReplacesOnTheSameCustomer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.mustSandbox()
	s, _ := o.Checkout.Start(ctx, gateways.CaptureRequest{ClientID: f.client, Purpose: gateways.PurposeAdd, Key: "k1",
		ReturnURL: "https://remit.test/r", Currency: domain.MustCurrency("AUD")})
	if _, err := o.Sandbox.CompleteForTest(ctx, s.ID, payments.TypeCard, neturl.Values{"number": {"4242424242424242"}, "expiry": {"12/30"}, "cvc": {"123"}}); err != nil {
		t.Fatal(err)
	}
	c, err := o.Checkout.Record(ctx, s.ID, "staff")
	if err != nil {
		t.Fatal(err)
	}
	var first client.PaymentMethod
	for _, pm := range clientState(t, f).PaymentMethods {
		if pm.ID == c.MethodID {
			first = pm
		}
	}
	s2, _ := o.Checkout.Start(ctx, gateways.CaptureRequest{ClientID: f.client, Purpose: gateways.PurposeReplace, Replaces: first.ID, Key: "k2",
		ReturnURL: "https://remit.test/r", Currency: domain.MustCurrency("AUD")})
	if s2.Customer != first.GatewayCustomer {
		t.Errorf("second session's customer %q, want %q", s2.Customer, first.GatewayCustomer)
	}
	if _, err := o.Sandbox.CompleteForTest(ctx, s2.ID, payments.TypeCard, neturl.Values{"number": {"5555555555554444"}, "expiry": {"12/30"}, "cvc": {"123"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Checkout.Record(ctx, s2.ID, "staff"); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, pm := range clientState(t, f).PaymentMethods {
		if pm.ID == gateways.MethodIDFor(s2.ID) {
			found = true
			if pm.Replaces != first.ID || pm.Brand != "mastercard" || pm.Last4 != "4444" {
				t.Errorf("replacement %+v", pm)
			}
		}
	}
	if !found {
		t.Error("the replacement is not on file")
	}
}

// stripeLike answers one completed Stripe Checkout Session in setup mode,
// as Stripe's API would once the client finished (stripe-mock keeps no
// state, so it cannot).
type stripeLike struct{ s payments.Session }

func (f stripeLike) CreateSession(context.Context, payments.SessionRequest) (payments.Session, error) {
	return f.s, nil
}

func (f stripeLike) SessionOfPayment(context.Context, string) (string, error) {
	return "", payments.ErrUnknownSession
}

func (f stripeLike) Session(_ context.Context, id string) (payments.Session, error) {
	if id != f.s.ID {
		return payments.Session{}, payments.ErrUnknownSession
	}
	return f.s, nil
}

// TestStripeCheckoutWebhookRecordsTheMethod: Stripe's signed
// checkout.session.completed, through the webhook handler Start builds for
// Stripe, records the SEPA account and its mandate the session captured,
// once however often it is delivered; a session Remit did not open is
// answered 200 and records nothing.
func TestStripeCheckoutWebhookRecordsTheMethod(t *testing.T) {
	f := newFixture(t)
	o, err := gateways.Start(gateways.Config{Gateway: gateways.Stripe, StripeKey: "sk_test_1", StripeWebhookSecret: secret, Store: f.store, Billing: f.svc})
	if err != nil {
		t.Fatal(err)
	}
	if o.WebhookPath != gateways.WebhookPath || o.Pages != nil || o.Checkout == nil {
		t.Fatalf("opened %+v", o)
	}
	o.Checkout.Gateway = stripeLike{payments.Session{ID: "cs_test_1", Mode: payments.ModeSetup, Status: payments.SessionComplete, Customer: "cus_1",
		Metadata: map[string]string{"remit_client_id": f.client.String(), "remit_purpose": gateways.PurposeAdd},
		Method:   &payments.Method{Token: "pm_sepa_1", Customer: "cus_1", Type: payments.TypeSEPA, MaskedAccount: "DE** **** 3000", MandateReference: "MREF1", MandateStatus: "active"}}}
	srv := httptest.NewServer(o.Webhook)
	defer srv.Close()
	post := func(sessionID string) int {
		payload := fmt.Appendf(nil, `{"id":"evt_cs_%s","object":"event","api_version":%q,"type":"checkout.session.completed","data":{"object":{"id":%q,"object":"checkout.session","mode":"setup","status":"complete","metadata":{"remit_client_id":%q}}}}`,
			sessionID, stripego.APIVersion, sessionID, f.client)
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(payload))
		req.Header.Set("Stripe-Signature", webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret}).Header)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for range 2 {
		if code := post("cs_test_1"); code != http.StatusOK {
			t.Fatalf("delivery: %d", code)
		}
	}
	if code := post("cs_not_remits"); code != http.StatusOK {
		t.Fatalf("a session Remit did not open: %d", code)
	}
	n := 0
	for _, m := range clientState(t, f).PaymentMethods {
		if m.Gateway == gateways.Stripe && m.Scheme == client.SchemeSEPA {
			n++
			if m.ID != gateways.MethodIDFor("cs_test_1") || m.GatewayToken != "pm_sepa_1" || m.GatewayCustomer != "cus_1" || m.MandateReference != "MREF1" {
				t.Errorf("method %+v", m)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d SEPA methods on file, want 1", n)
	}
}
