package gateways_test

import (
	"context"
	"net/http/httptest"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

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
	o, err := gateways.Start(gateways.Config{DataDir: t.TempDir(), Store: f.store, Billing: f.svc})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Sandbox.Close()
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
	o, err := gateways.Start(gateways.Config{DataDir: t.TempDir(), Store: f.store, Billing: f.svc})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Sandbox.Close()
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
