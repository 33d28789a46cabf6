package gateways_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	stripego "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/integrations/payments"
	"remit/integrations/payments/gateways"
	"remit/integrations/payments/stripe"
	"remit/integrations/payments/stripe/stripemock"
	"remit/processes/billingrun"
)

const secret = "whsec_test_secret"

func TestOpenPicksTheGateway(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		cfg     gateways.Config
		want    string // the gateway's type, or the error's text
		webhook bool
	}{
		{"OK/SandboxByDefault", gateways.Config{DataDir: dir}, "*sandbox.Gateway", false},
		{"OK/Sandbox", gateways.Config{Gateway: "sandbox", DataDir: dir}, "*sandbox.Gateway", false},
		{"OK/StripeWithoutWebhookSecret", gateways.Config{Gateway: "stripe", StripeKey: "sk_test_1"}, "*stripe.Gateway", false},
		{"OK/StripeWithWebhook", gateways.Config{Gateway: "stripe", StripeKey: "sk_test_1", StripeWebhookSecret: secret, Store: mustStore(t), Billing: &billing.Service{}}, "*stripe.Gateway", true},
		{"ErrUnknownGateway", gateways.Config{Gateway: "paypal"}, `--gateway "paypal": choose sandbox or stripe`, false},
		{"ErrStripeWithoutKey", gateways.Config{Gateway: "stripe"}, "--gateway stripe needs --stripe-key", false},
		{"ErrPublishableKey", gateways.Config{Gateway: "stripe", StripeKey: "pk_test_1"}, "never a publishable key", false},
		{"ErrBadWebhookSecret", gateways.Config{Gateway: "stripe", StripeKey: "sk_test_1", StripeWebhookSecret: "secret"}, "signing secret, whsec_", false},
		{"ErrBadURL", gateways.Config{Gateway: "stripe", StripeKey: "sk_test_1", StripeURL: "localhost:12111"}, "give an http:// or https:// URL", false},
		{"ErrStripeFlagsWithSandbox", gateways.Config{DataDir: dir, StripeKey: "sk_test_1"}, "need --gateway stripe", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gw, h, err := gateways.Open(tc.cfg)
			if strings.HasPrefix(tc.name, "Err") {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, want an error saying %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", gw); got != tc.want {
				t.Errorf("gateway %s, want %s", got, tc.want)
			}
			// Its name is what payment methods on file with it record.
			if name := strings.TrimSuffix(strings.TrimPrefix(tc.want, "*"), ".Gateway"); gw.Name() != name {
				t.Errorf("gateway named %q, want %q", gw.Name(), name)
			}
			if (h != nil) != tc.webhook {
				t.Errorf("webhook handler %v, want one: %v", h, tc.webhook)
			}
		})
	}
}

func mustStore(tb testing.TB) *sqlite.Store {
	tb.Helper()
	st, err := sqlite.Open(tb.TempDir(), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// fixture is a firm with one client whose card is on file with Stripe, on a
// real embedded store.
type fixture struct {
	t      *testing.T
	store  *sqlite.Store
	svc    *billing.Service
	client uuid.UUID
	method uuid.UUID
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, store: mustStore(t)}
	f.svc = billing.New(billing.Config{Store: f.store, Now: time.Now, NewID: uuid.New})
	ctx := context.Background()
	meta := billing.Meta{Actor: "staff@firm.test"}
	if _, err := f.svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney",
		Address: domain.Address{Line1: "1 George St", City: "Sydney", Country: "AU"}}, meta); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.CreateClient(ctx, billing.ClientRequest{Name: "Acme", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@acme.example"}}}, meta)
	if err != nil {
		t.Fatal(err)
	}
	f.client = res.ID
	res, err = f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: f.client, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "stripe", GatewayToken: "pm_card_visa", Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2034,
	}}, meta)
	if err != nil {
		t.Fatal(err)
	}
	f.method = res.ID
	return f
}

// MustInvoiceDue issues a 110.00 AUD invoice to be collected today.
func (f *fixture) MustInvoiceDue() uuid.UUID {
	f.t.Helper()
	ctx := context.Background()
	meta := billing.Meta{Actor: "staff@firm.test"}
	res, err := f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: f.client, PaymentMethodID: f.method,
		Lines: []billing.InstantLine{{Description: "Advice", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(100), TaxRate: decimal.NewFromInt(10)}}}, meta)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: res.ID, PaymentMethodID: f.method, Date: today()}, meta); err != nil {
		f.t.Fatal(err)
	}
	return res.ID
}

func today() domain.Date { return domain.DateOf(time.Now(), sydney()) }

func sydney() *time.Location {
	loc, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		panic(err)
	}
	return loc
}

// events lists the types of the invoice's events.
func (f *fixture) events(id uuid.UUID) []string {
	f.t.Helper()
	recs, err := f.store.ReadStream(context.Background(), "invoice-"+id.String(), 0, eventstore.Forward, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Type)
	}
	return out
}

func (f *fixture) head() uint64 {
	f.t.Helper()
	h, err := f.store.Head(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

// event is a Stripe webhook event about a PaymentIntent Remit made for an
// invoice's first collection attempt.
func event(evtID, typ string, invoiceID uuid.UUID, pi string) []byte {
	attempt := billingrun.AttemptID(invoiceID, 1)
	return fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":%q,"type":%q,"data":{"object":%s}}`, evtID, stripego.APIVersion, typ,
		strings.NewReplacer("INVOICE", invoiceID.String(), "ATTEMPT", attempt.String()).Replace(pi))
}

const (
	succeededPI = `{"id":"pi_1","object":"payment_intent","status":"succeeded","amount":11000,"amount_received":11000,"currency":"aud",
		"metadata":{"invoice_id":"INVOICE","attempt_id":"ATTEMPT","remit_idempotency_key":"ATTEMPT"}}`
	failedPI = `{"id":"pi_2","object":"payment_intent","status":"requires_payment_method","amount":11000,"currency":"aud",
		"metadata":{"invoice_id":"INVOICE","attempt_id":"ATTEMPT","remit_idempotency_key":"ATTEMPT"},
		"last_payment_error":{"type":"card_error","code":"card_declined","decline_code":"debit_returned","message":"The bank returned the debit."}}`
)

func post(h http.Handler, payload []byte, sig string) int {
	req := httptest.NewRequest(http.MethodPost, gateways.WebhookPath, bytes.NewReader(payload))
	req.Header.Set("Stripe-Signature", sig)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code
}

func sign(payload []byte, key string) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: key}).Header
}

func webhookOf(t *testing.T, f *fixture) http.Handler {
	t.Helper()
	_, h, err := gateways.Open(gateways.Config{Gateway: gateways.Stripe, StripeKey: "sk_test_1", StripeWebhookSecret: secret, Store: f.store, Billing: f.svc})
	if err != nil || h == nil {
		t.Fatalf("open: %v, handler %v", err, h)
	}
	return h
}

// TestWebhookRecordsAsynchronousResults: a bank debit the collection run
// left pending (it records nothing for a pending charge) settles days later
// and Stripe says so through the webhook; the invoice is paid once, however
// often Stripe delivers the event. A failed one is recorded as a rejection
// with Stripe's decline code. A badly signed event, or one signed with
// another endpoint's secret, is refused with 400 and appends nothing.
func TestWebhookRecordsAsynchronousResults(t *testing.T) {
	f := newFixture(t)
	h := webhookOf(t, f)
	paid, returned := f.MustInvoiceDue(), f.MustInvoiceDue()

	t.Run("ErrBadSignature", func(t *testing.T) {
		before := f.head()
		payload := event("evt_forged", "payment_intent.succeeded", paid, succeededPI)
		for _, sig := range []string{"", "t=1,v1=deadbeef", sign(payload, "whsec_another_endpoint")} {
			if code := post(h, payload, sig); code != http.StatusBadRequest {
				t.Errorf("signature %q: %d, want 400", sig, code)
			}
		}
		tampered := event("evt_1", "payment_intent.succeeded", paid, succeededPI)
		sig := sign(tampered, secret)
		tampered = bytes.Replace(tampered, []byte(`11000`), []byte(`1`), 1)
		if code := post(h, tampered, sig); code != http.StatusBadRequest {
			t.Errorf("tampered payload: %d, want 400", code)
		}
		if f.head() != before {
			t.Errorf("a refused event appended %d events", f.head()-before)
		}
	})
	t.Run("OK/Succeeded", func(t *testing.T) {
		payload := event("evt_1", "payment_intent.succeeded", paid, succeededPI)
		for range 2 { // Stripe may deliver an event twice
			if code := post(h, payload, sign(payload, secret)); code != http.StatusOK {
				t.Fatalf("signed event: %d", code)
			}
		}
		again := event("evt_1b", "payment_intent.succeeded", paid, succeededPI) // another event about the same charge
		if code := post(h, again, sign(again, secret)); code != http.StatusOK {
			t.Fatalf("signed event: %d", code)
		}
		got := f.events(paid)
		if want := []string{"InvoiceIssued", "InvoiceCollectionScheduled", "InvoicePaymentSucceeded"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("invoice events %v, want %v", got, want)
		}
		// The payment is dated the firm's today in Sydney.
		recs, err := f.store.ReadStream(context.Background(), "invoice-"+paid.String(), 2, eventstore.Forward, 1)
		if err != nil || len(recs) != 1 || !strings.Contains(string(recs[0].Data), `"date":"`+today().String()+`"`) {
			t.Errorf("payment event %v (%v), want it dated %s", recs, err, today())
		}
		// The collection run now finds nothing to collect on it.
		gw := recordingGateway{t: t}
		rep, err := billingrun.Collect(context.Background(), f.store, f.svc, &gw, today(), billingrun.CollectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Due != 1 || len(gw.charged) != 1 || gw.charged[0] == paid.String() {
			t.Errorf("after the webhook, collection is due on %d invoices, charged %v (the paid one is %s)", rep.Due, gw.charged, paid)
		}
	})
	t.Run("OK/Failed", func(t *testing.T) {
		f2 := newFixture(t)
		h2 := webhookOf(t, f2)
		inv := f2.MustInvoiceDue()
		payload := event("evt_2", "payment_intent.payment_failed", inv, failedPI)
		for range 2 {
			if code := post(h2, payload, sign(payload, secret)); code != http.StatusOK {
				t.Fatalf("signed event: %d", code)
			}
		}
		got := f2.events(inv)
		if want := []string{"InvoiceIssued", "InvoiceCollectionScheduled", "InvoicePaymentRejected"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("invoice events %v, want %v", got, want)
		}
		recs, _ := f2.store.ReadStream(context.Background(), "invoice-"+inv.String(), 2, eventstore.Forward, 1)
		if !bytes.Contains(recs[0].Data, []byte(`"debit_returned"`)) {
			t.Errorf("rejection %s lacks Stripe's decline code", recs[0].Data)
		}
	})
	t.Run("OK/NotRemits", func(t *testing.T) {
		before := f.head()
		for _, pi := range []string{
			`{"id":"pi_x","object":"payment_intent","status":"succeeded","amount_received":500,"currency":"aud","metadata":{}}`,
			strings.Replace(succeededPI, "INVOICE", uuid.NewString(), 1), // an invoice this store does not have
		} {
			payload := event("evt_x", "payment_intent.succeeded", returned, pi)
			if code := post(h, payload, sign(payload, secret)); code != http.StatusOK {
				t.Errorf("%d for a payment Remit did not make, want 200 (nothing to retry)", code)
			}
		}
		other := event("evt_y", "customer.created", returned, `{"id":"cus_1","object":"customer"}`)
		if code := post(h, other, sign(other, secret)); code != http.StatusOK {
			t.Errorf("%d for an event type Remit does not act on", code)
		}
		if f.head() != before {
			t.Errorf("appended %d events", f.head()-before)
		}
	})
}

// recordingGateway answers every charge pending and remembers what it was
// asked to charge.
type recordingGateway struct {
	t       *testing.T
	charged []string
}

func (g *recordingGateway) Name() string { return gateways.Stripe }

func (g *recordingGateway) Charge(_ context.Context, req payments.ChargeRequest) (payments.ChargeResult, error) {
	g.charged = append(g.charged, req.Metadata["invoice_id"])
	return payments.ChargeResult{Status: payments.StatusPending, Reference: "pi_pending"}, nil
}

// TestStripeAgainstStripeMock: the collection run charges through the
// gateway Open picks for --gateway stripe --stripe-url, against Stripe's own
// mock server, and records its answer; the webhook event about the same
// charge then appends nothing.
func TestStripeAgainstStripeMock(t *testing.T) {
	url := stripemock.MustStart(t)
	f := newFixture(t)
	gw, h, err := gateways.Open(gateways.Config{Gateway: gateways.Stripe, StripeKey: "sk_test_123", StripeURL: url, StripeWebhookSecret: secret, Store: f.store, Billing: f.svc})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := gw.(*stripe.Gateway); !ok {
		t.Fatalf("gateway %T", gw)
	}
	inv := f.MustInvoiceDue()
	rep, err := billingrun.Collect(context.Background(), f.store, f.svc, gw, today(), billingrun.CollectOptions{})
	if err != nil || len(rep.Errors) > 0 {
		t.Fatalf("collect: %v %v", err, rep.Errors)
	}
	if rep.Due != 1 || rep.Succeeded+rep.Rejected+rep.Pending != 1 {
		t.Fatalf("collect: %+v", rep)
	}
	got := f.events(inv)
	t.Logf("stripe-mock answered: %+v; invoice events %v", rep, got)
	typ, pi := "payment_intent.succeeded", succeededPI
	switch {
	case rep.Succeeded == 1:
	case rep.Rejected == 1:
		// stripe-mock answers from fixtures; its PaymentIntent may not have succeeded.
		typ, pi = "payment_intent.payment_failed", strings.Replace(strings.Replace(failedPI, "debit_returned", "", 1), "card_declined", "requires_payment_method", 1)
	default:
		t.Skip("stripe-mock left the charge processing: nothing recorded yet")
	}
	if len(got) < 3 || (got[2] != "InvoicePaymentSucceeded" && got[2] != "InvoicePaymentRejected") {
		t.Fatalf("invoice events %v, want the collection's outcome recorded", got)
	}
	before := f.head()
	payload := event("evt_1", typ, inv, pi)
	if code := post(h, payload, sign(payload, secret)); code != http.StatusOK {
		t.Fatalf("webhook: %d", code)
	}
	if f.head() != before {
		t.Errorf("the webhook recorded again what the collection run had recorded: %v", f.events(inv))
	}
}

// bodies records the form bodies of the requests sent to Stripe, by path.
type bodies struct {
	mu   sync.Mutex
	sent map[string][]string
}

func (b *bodies) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	b.mu.Lock()
	if b.sent == nil {
		b.sent = map[string][]string{}
	}
	b.sent[req.URL.Path] = append(b.sent[req.URL.Path], string(body))
	b.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// TestStripeChargesWithTheMethodsCustomer: a saved Stripe PaymentMethod is
// attached to a customer, and Stripe charges it off-session only with that
// customer named. The collection run sends the method's gateway_customer as
// the PaymentIntent's customer, to Stripe's own mock server.
func TestStripeChargesWithTheMethodsCustomer(t *testing.T) {
	url := stripemock.MustStart(t)
	f := newFixture(t)
	rec := &bodies{}
	gw, _, err := gateways.Open(gateways.Config{Gateway: gateways.Stripe, StripeKey: "sk_test_123", StripeURL: url, HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cus, err := gw.(*stripe.Gateway).CreateCustomer(ctx, "client-"+f.client.String(), "Acme", "jo@acme.example")
	if err != nil || !strings.HasPrefix(cus, "cus_") {
		t.Fatalf("create customer: %q %v", cus, err)
	}
	res, err := f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: f.client, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "stripe", GatewayToken: "pm_card_mastercard", GatewayCustomer: cus,
		Brand: "mastercard", Last4: "4444", ExpiryMonth: 12, ExpiryYear: 2034,
	}}, billing.Meta{Actor: "staff@firm.test"})
	if err != nil {
		t.Fatal(err)
	}
	f.method = res.ID
	inv := f.MustInvoiceDue()
	rep, err := billingrun.Collect(ctx, f.store, f.svc, gw, today(), billingrun.CollectOptions{})
	if err != nil || len(rep.Errors) > 0 || rep.Due != 1 || rep.Succeeded+rep.Rejected+rep.Pending != 1 {
		t.Fatalf("collect: %+v %v", rep, err)
	}
	rec.mu.Lock()
	sent := rec.sent["/v1/payment_intents"]
	rec.mu.Unlock()
	if len(sent) != 1 {
		t.Fatalf("%d PaymentIntents created, want 1", len(sent))
	}
	form, err := neturl.ParseQuery(sent[0])
	if err != nil {
		t.Fatal(err)
	}
	if form.Get("customer") != cus || form.Get("payment_method") != "pm_card_mastercard" || form.Get("metadata[invoice_id]") != inv.String() || form.Get("off_session") != "true" {
		t.Errorf("PaymentIntent request %v, want customer %s, payment_method pm_card_mastercard, off_session, the invoice id", form, cus)
	}
}
