package gateways_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/integrations/payments"
	"remit/integrations/payments/gateways"
	"remit/integrations/payments/stripe/stripemock"
)

// movable is a clock the sandbox reads, for a bank debit to settle.
type movable struct {
	mu sync.Mutex
	at time.Time
}

func (c *movable) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.at }
func (c *movable) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

// mustSandbox starts the sandbox gateway on the fixture's store, closed
// when the test ends.
func (f *fixture) mustSandbox() gateways.Opened {
	f.t.Helper()
	o, err := gateways.Start(gateways.Config{DataDir: f.t.TempDir(), Store: f.store, Billing: f.svc})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { o.Sandbox.Close() })
	return o
}

// mustUncollected issues a 110.00 AUD invoice with no payment method.
func (f *fixture) mustUncollected() uuid.UUID {
	f.t.Helper()
	res, err := f.svc.IssueInvoice(context.Background(), billing.IssueInvoiceRequest{ClientID: f.client,
		Lines: []billing.InstantLine{{Description: "Advice", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(100), TaxRate: decimal.NewFromInt(10)}}},
		billing.Meta{Actor: "staff@firm.test"})
	if err != nil {
		f.t.Fatal(err)
	}
	return res.ID
}

func (f *fixture) invoice(id uuid.UUID) invoice.State {
	f.t.Helper()
	recs, err := f.store.ReadStream(context.Background(), invoice.StreamName(id), 0, eventstore.Forward, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	var st invoice.State
	cat := catalog.New()
	for _, rec := range recs {
		e, err := cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			f.t.Fatal(err)
		}
		st = invoice.Evolve(st, e)
	}
	return st
}

func payRequest(inv uuid.UUID, save bool) gateways.PayRequest {
	return gateways.PayRequest{InvoiceID: inv, SaveMethod: save,
		ReturnURL: "https://remit.test/c/i/x/paid?session=" + payments.SessionIDPlaceholder, CancelURL: "https://remit.test/c/i/x"}
}

// TestPayNowTwoTabsChargeOnce: two tabs of one invoice's pay-now page get
// the same session; the client pays by card in one, the other is closed;
// the return redirect and the signed webhook both record the payment, once,
// as a collection attempt with the attempt id in the payment's metadata;
// the invoice is paid and cannot be paid again.
func TestPayNowTwoTabsChargeOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.mustSandbox()
	inv := f.mustUncollected()
	tab1, err := o.PayNow.Start(ctx, payRequest(inv, false))
	if err != nil {
		t.Fatal(err)
	}
	tab2, err := o.PayNow.Start(ctx, payRequest(inv, false))
	if err != nil || tab2.ID != tab1.ID {
		t.Fatalf("the second tab got session %q (%v), want the first's %q", tab2.ID, err, tab1.ID)
	}
	card := neturl.Values{"number": {"4242 4242 4242 4242"}, "expiry": {"12/30"}, "cvc": {"123"}}
	if _, err := o.Sandbox.CompleteForTest(ctx, tab1.ID, payments.TypeCard, card); err != nil {
		t.Fatal(err)
	}
	// Paying in the second tab finds the session complete: no second charge
	// (counted below).
	if again, err := o.Sandbox.CompleteForTest(ctx, tab2.ID, payments.TypeCard, card); err != nil || again.Status != payments.SessionComplete {
		t.Fatalf("the second tab: %+v, %v", again, err)
	}
	paid, err := o.PayNow.Record(ctx, tab1.ID, "client-link")
	if err != nil || paid.Status != payments.SessionComplete || paid.InvoiceID != inv || paid.Payment == nil || paid.Payment.Status != payments.StatusSucceeded {
		t.Fatalf("record = %+v, %v", paid, err)
	}
	if paid.MethodID != uuid.Nil {
		t.Errorf("a method was kept that the client did not ask to keep")
	}
	srv := httptest.NewServer(o.Webhook)
	defer srv.Close()
	if n, err := o.Sandbox.DeliverWebhooks(ctx, srv.URL, nil); n < 2 || err != nil {
		t.Fatalf("webhooks delivered %d: %v", n, err)
	}
	if _, err := o.PayNow.Record(ctx, tab1.ID, "client-link"); err != nil {
		t.Fatalf("recording again: %v", err)
	}
	st := f.invoice(inv)
	if st.Status != invoice.StatusPaid || !st.Paid.Amount.Equal(decimal.NewFromInt(110)) {
		t.Errorf("invoice %s with %s paid, want paid 110.00", st.Status, st.Paid)
	}
	if n := countOf(f.events(inv), "InvoicePaymentSucceeded"); n != 1 {
		t.Errorf("%d payments recorded, want 1: %v", n, f.events(inv))
	}
	charges, err := o.Sandbox.Charges()
	if err != nil || len(charges) != 1 {
		t.Fatalf("%d charges on the gateway (%v), want 1", len(charges), err)
	}
	want := gateways.AttemptIDFor("remit-pay/" + inv.String() + "/110.00/0").String()
	if charges[0].Metadata["attempt_id"] != want || charges[0].Metadata["invoice_id"] != inv.String() {
		t.Errorf("the payment's metadata %v lacks the invoice and attempt %s", charges[0].Metadata, want)
	}
	if _, ok := st.Attempts[uuid.MustParse(want)]; !ok {
		t.Errorf("the payment is not recorded as attempt %s: %v", want, st.Attempts)
	}
	if _, err := o.PayNow.Start(ctx, payRequest(inv, false)); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("paying a paid invoice: %v, want a conflict", err)
	}
}

// TestPayNowBankDebitSavedAndSettledByWebhook: a client pays by BECS
// direct debit and keeps the account for future invoices; the method goes
// on file at once, the payment only when the debit settles, from the
// payment_intent.succeeded webhook the existing Recorder handles.
func TestPayNowBankDebitSavedAndSettledByWebhook(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	clk := &movable{at: time.Now()}
	o, err := gateways.Start(gateways.Config{DataDir: t.TempDir(), Store: f.store, Billing: f.svc, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Sandbox.Close()
	inv := f.mustUncollected()
	s, err := o.PayNow.Start(ctx, payRequest(inv, true))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(sessionTypes(t, o, s.ID), payments.TypeAUBECS) {
		t.Errorf("an AUD invoice's session does not offer BECS")
	}
	if _, err := o.Sandbox.CompleteForTest(ctx, s.ID, payments.TypeAUBECS, neturl.Values{
		"bsb": {"000-000"}, "account_number": {"000123456"}, "name": {"Acme"}, "mandate": {"agree"}}); err != nil {
		t.Fatal(err)
	}
	paid, err := o.PayNow.Record(ctx, s.ID, "client-link")
	if err != nil || paid.Payment == nil || paid.Payment.Status != payments.StatusPending || paid.MethodID != gateways.MethodIDFor(s.ID) {
		t.Fatalf("record = %+v, %v; want a pending debit and the account kept", paid, err)
	}
	if st := f.invoice(inv); st.Status == invoice.StatusPaid || len(st.Attempts) != 0 {
		t.Fatalf("a pending debit was recorded: %s %v", st.Status, st.Attempts)
	}
	if m, ok := clientState(t, f).PaymentMethod(paid.MethodID); !ok || m.MaskedAccount != "000-000 ****3456" {
		t.Errorf("the kept account = %+v, %v", m, ok)
	}
	srv := httptest.NewServer(o.Webhook)
	defer srv.Close()
	if _, err := o.Sandbox.DeliverWebhooks(ctx, srv.URL, nil); err != nil {
		t.Fatal(err)
	}
	clk.add(4 * 24 * time.Hour)
	if _, err := o.Sandbox.DeliverWebhooks(ctx, srv.URL, nil); err != nil {
		t.Fatal(err)
	}
	if st := f.invoice(inv); st.Status != invoice.StatusPaid {
		t.Fatalf("after the debit settled the invoice is %s, want paid (events %v)", st.Status, f.events(inv))
	}
	if n := countOf(f.events(inv), "InvoicePaymentSucceeded"); n != 1 {
		t.Errorf("%d payments recorded, want 1", n)
	}
}

func countOf(types []string, t string) int {
	n := 0
	for _, x := range types {
		if x == t {
			n++
		}
	}
	return n
}

// sessionTypes reads the method types the sandbox's page offers for a
// session, from its form.
func sessionTypes(t *testing.T, o gateways.Opened, id string) []payments.MethodType {
	t.Helper()
	srv := httptest.NewServer(o.Pages)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/sandbox-gateway/checkout/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := string(raw)
	var out []payments.MethodType
	for _, ty := range []payments.MethodType{payments.TypeCard, payments.TypeAUBECS} {
		if strings.Contains(body, `value="`+string(ty)+`"`) {
			out = append(out, ty)
		}
	}
	return out
}

// TestPayNowAgainstStripeMock: with Stripe, Start opens a Checkout Session
// in payment mode for the invoice's balance, against Stripe's own mock
// server (which validates the request's shape), answering a hosted page.
func TestPayNowAgainstStripeMock(t *testing.T) {
	url := stripemock.MustStart(t)
	f := newFixture(t)
	o, err := gateways.Start(gateways.Config{Gateway: gateways.Stripe, StripeKey: "sk_test_123", StripeURL: url, StripeWebhookSecret: secret, Store: f.store, Billing: f.svc})
	if err != nil {
		t.Fatal(err)
	}
	inv := f.mustUncollected()
	s, err := o.PayNow.Start(context.Background(), payRequest(inv, true))
	if err != nil {
		t.Fatalf("stripe-mock refused the payment session: %v", err)
	}
	if s.ID == "" || s.URL == "" {
		t.Errorf("session %+v: want an id and a hosted page", s)
	}
}

// onlyPaymentIntents is a webhook endpoint that takes Stripe's
// payment_intent.* events and refuses the others for now (500: sent again
// later), as when Stripe delivers the payment's event before the session's.
func onlyPaymentIntents(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || !strings.Contains(string(body), `"type":"payment_intent.`) {
			http.Error(w, "not now", http.StatusInternalServerError)
			return
		}
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		next.ServeHTTP(w, r)
	})
}

// TestPayNowWebhookFirstNamesTheMethod: when the payment's own webhook
// (payment_intent.succeeded) arrives before the client's return and the
// session's event, the payment is recorded from its session all the
// same: a card the client did not keep is named (Visa •••• 4242), and a
// card the client asked to keep goes on file with the payment made with
// it. The return that follows records nothing more.
func TestPayNowWebhookFirstNamesTheMethod(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.mustSandbox()
	srv := httptest.NewServer(onlyPaymentIntents(o.Webhook))
	defer srv.Close()
	card := neturl.Values{"number": {"4242 4242 4242 4242"}, "expiry": {"12/30"}, "cvc": {"123"}}
	for _, keep := range []bool{false, true} {
		inv := f.mustUncollected()
		s, err := o.PayNow.Start(ctx, payRequest(inv, keep))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.Sandbox.CompleteForTest(ctx, s.ID, payments.TypeCard, card); err != nil {
			t.Fatal(err)
		}
		if _, err := o.Sandbox.DeliverWebhooks(ctx, srv.URL, nil); err != nil {
			t.Fatal(err)
		}
		paid := paymentOf(t, f, inv)
		if paid == nil {
			t.Fatalf("keep %v: the payment's webhook recorded no payment: %v", keep, f.events(inv))
		}
		if keep {
			m, ok := clientState(t, f).PaymentMethod(gateways.MethodIDFor(s.ID))
			if !ok || m.Last4 != "4242" || paid.PaymentMethodID != m.ID {
				t.Errorf("kept card %+v (%v), payment made with %s; want the card kept and the payment made with it", m, ok, paid.PaymentMethodID)
			}
		} else if paid.PaidWith == nil || paid.PaidWith.Brand != "visa" || paid.PaidWith.Last4 != "4242" || paid.PaymentMethodID != uuid.Nil {
			t.Errorf("payment %+v; want it made with a Visa ending 4242, not kept", paid)
		}
		if _, err := o.PayNow.Record(ctx, s.ID, "client-link"); err != nil {
			t.Fatalf("the return after the webhook: %v", err)
		}
		if n := countOf(f.events(inv), "InvoicePaymentSucceeded"); n != 1 {
			t.Errorf("keep %v: %d payments recorded, want 1", keep, n)
		}
	}
}

// paymentOf is the invoice's recorded payment, nil when none.
func paymentOf(t *testing.T, f *fixture, inv uuid.UUID) *invoice.InvoicePaymentSucceeded {
	t.Helper()
	recs, err := f.store.ReadStream(context.Background(), invoice.StreamName(inv), 0, eventstore.Forward, 0)
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.New()
	for _, rec := range recs {
		e, err := cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := e.(invoice.InvoicePaymentSucceeded); ok {
			return &p
		}
	}
	return nil
}
