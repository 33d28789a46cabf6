package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	stripego "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"remit/domain"
	"remit/integrations/payments"
	"remit/integrations/payments/sandbox"
)

// page serves the gateway's hosted page and posts forms to it as a browser
// would, without following redirects.
type page struct {
	t   *testing.T
	srv *httptest.Server
	c   *http.Client
}

func newPage(t *testing.T, g *sandbox.Gateway) *page {
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	return &page{t: t, srv: srv, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (p *page) get(path string) (int, string) {
	p.t.Helper()
	resp, err := p.c.Get(p.srv.URL + path)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (p *page) post(path string, form url.Values) (int, string, string) {
	p.t.Helper()
	resp, err := p.c.PostForm(p.srv.URL+path, form)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func setupRequest(key string, types ...payments.MethodType) payments.SessionRequest {
	return payments.SessionRequest{
		IdempotencyKey: key, Mode: payments.ModeSetup, CustomerName: "Acme Pty Ltd", CustomerEmail: "ap@acme.test",
		MethodTypes: types, Currency: domain.MustCurrency("AUD"),
		SuccessURL: "https://remit.test/c/m/tok/done?session={CHECKOUT_SESSION_ID}", CancelURL: "https://remit.test/c/m/tok",
		Metadata: map[string]string{"client_id": "c1", "purpose": "add"},
	}
}

func card(number string) url.Values {
	return url.Values{"type": {"card"}, "number": {number}, "expiry": {"12 / 30"}, "cvc": {"123"}}
}

// TestSetupSessionCapturesACardOnThePage: the client opens the session's
// page, enters Stripe's test Visa, and is sent back to SuccessURL with the
// session id; the session answers the method (brand, last 4, expiry, a
// token unique to this capture that charges like pm_card_visa), and no
// card number is kept anywhere.
func TestSetupSessionCapturesACardOnThePage(t *testing.T) {
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	g := MustOpen(t, dir, clk)
	ctx := context.Background()
	s, err := g.CreateSession(ctx, setupRequest("add-c1-1", payments.TypeCard, payments.TypeAUBECS))
	if err != nil {
		t.Fatal(err)
	}
	again, err := g.CreateSession(ctx, setupRequest("add-c1-1", payments.TypeCard, payments.TypeAUBECS))
	if err != nil || again.ID != s.ID {
		t.Fatalf("the same key made another session: %q %q %v", s.ID, again.ID, err)
	}
	if s.Status != payments.SessionOpen || !strings.HasPrefix(s.URL, sandbox.CheckoutPath) {
		t.Fatalf("new session %+v", s)
	}
	p := newPage(t, g)
	code, body := p.get(s.URL)
	if code != 200 || !strings.Contains(body, "no real money moves") || !strings.Contains(body, `<label for="card-number">`) || !strings.Contains(body, "BSB") {
		t.Fatalf("page %d:\n%s", code, body)
	}
	code, loc, _ := p.post(s.URL, card("4242 4242 4242 4242"))
	if code != http.StatusSeeOther || loc != "https://remit.test/c/m/tok/done?session="+s.ID {
		t.Fatalf("submit: %d %q", code, loc)
	}
	got, err := g.Session(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	m := got.Method
	if got.Status != payments.SessionComplete || m == nil || m.Brand != "visa" || m.Last4 != "4242" || m.ExpiryMonth != 12 || m.ExpiryYear != 2030 || m.Customer != got.Customer || got.Metadata["purpose"] != "add" {
		t.Fatalf("completed session %+v method %+v", got, m)
	}
	res := MustCharge(t, g, "attempt-1", m.Token)
	if res.Status != payments.StatusSucceeded {
		t.Errorf("charging the captured card: %+v", res)
	}
	// A second capture of the same client makes another token.
	s2, _ := g.CreateSession(ctx, setupRequest("add-c1-2", payments.TypeCard))
	g2, err := g.CompleteForTest(ctx, s2.ID, payments.TypeCard, card("4242424242424242"))
	if err != nil || g2.Method.Token == m.Token {
		t.Errorf("second capture: %+v %v (first token %s)", g2.Method, err, m.Token)
	}
	assertNoCardNumber(t, g)
}

func assertNoCardNumber(t *testing.T, g *sandbox.Gateway) {
	t.Helper()
	evs, err := g.WebhookEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		for _, n := range []string{"4242424242424242", "000123456", "DE89370400440532013000"} {
			if strings.Contains(string(e.Payload), n) {
				t.Errorf("event %s holds %s", e.ID, n)
			}
		}
	}
}

// TestDeclinedCardsOnThePage: Stripe's declined test card and a number that
// is no test card are refused beside the card number field, the session
// stays open and nothing is kept; a card that declines later charges is
// kept, and its charges are declined.
func TestDeclinedCardsOnThePage(t *testing.T) {
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	g := MustOpen(t, t.TempDir(), clk)
	ctx := context.Background()
	s, _ := g.CreateSession(ctx, setupRequest("add-c1", payments.TypeCard))
	p := newPage(t, g)
	for _, tc := range []struct{ number, says string }{
		{"4000 0000 0000 0002", "Your card was declined."},
		{"4111 1111 1111 1112", "Your card number is invalid."},
		{"4012 8888 8888 1881", "test gateway"},
	} {
		code, _, body := p.post(s.URL, card(tc.number))
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, tc.says) || !strings.Contains(body, `aria-invalid="true" aria-describedby="card-number-error"`) {
			t.Errorf("%s: %d\n%s", tc.number, code, body)
		}
	}
	code, _, body := p.post(s.URL, url.Values{"type": {"card"}, "number": {"4242424242424242"}, "expiry": {"01/24"}, "cvc": {"1"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "expiry date is in the past") || !strings.Contains(body, "security code is incomplete") {
		t.Errorf("bad expiry and cvc: %d\n%s", code, body)
	}
	if got, _ := g.Session(ctx, s.ID); got.Status != payments.SessionOpen || got.Method != nil {
		t.Fatalf("after declines: %+v", got)
	}
	if evs, _ := g.WebhookEvents(ctx); len(evs) != 0 {
		t.Fatalf("declines queued events: %d", len(evs))
	}
	got, err := g.CompleteForTest(ctx, s.ID, payments.TypeCard, card("4000000000000341"))
	if err != nil {
		t.Fatal(err)
	}
	if res := MustCharge(t, g, "a1", got.Method.Token); res.Status != payments.StatusRejected || res.DeclineCode != "card_declined" {
		t.Errorf("charging the 0341 card: %+v", res)
	}
	// The session is complete: the page says so, and another submission
	// (a second tab) goes back to SuccessURL without capturing again.
	code, loc, _ := p.post(s.URL, card("4242424242424242"))
	if again, _ := g.Session(ctx, s.ID); code != http.StatusSeeOther || !strings.Contains(loc, s.ID) || again.Method.Token != got.Method.Token {
		t.Errorf("second tab: %d %q %+v", code, loc, again.Method)
	}
}

// TestBankDebitNeedsItsMandate: a BECS account needs the mandate agreed;
// the test account that is returned makes a token whose debits are
// returned; only the masked account is kept.
func TestBankDebitNeedsItsMandate(t *testing.T) {
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	g := MustOpen(t, t.TempDir(), clk)
	ctx := context.Background()
	s, _ := g.CreateSession(ctx, setupRequest("add-c1", payments.TypeCard, payments.TypeAUBECS))
	p := newPage(t, g)
	form := url.Values{"type": {"au_becs_debit"}, "bsb": {"000-000"}, "account_number": {"900123456"}, "name": {"Acme Pty Ltd"}}
	code, _, body := p.post(s.URL, form)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Agree to the debit mandate") || !strings.Contains(body, `value="900123456"`) {
		t.Fatalf("no mandate: %d\n%s", code, body)
	}
	form.Set("mandate", "agree")
	if code, _, _ := p.post(s.URL, form); code != http.StatusSeeOther {
		t.Fatalf("with mandate: %d", code)
	}
	got, _ := g.Session(ctx, s.ID)
	m := got.Method
	if m.Type != payments.TypeAUBECS || m.MaskedAccount != "000-000 ****3456" || !strings.HasPrefix(m.MandateReference, "SBX") || m.MandateStatus != "active" {
		t.Fatalf("method %+v", m)
	}
	if res := MustCharge(t, g, "a1", m.Token); res.Status != payments.StatusPending {
		t.Errorf("debit at once: %+v", res)
	}
	clk.add(4 * 24 * time.Hour)
	if res := MustCharge(t, g, "a1", m.Token); res.Status != payments.StatusRejected || res.DeclineCode != "debit_returned" {
		t.Errorf("debit after 4 days: %+v", res)
	}
	for _, tc := range []struct {
		typ  payments.MethodType
		form url.Values
		mask string
	}{
		{payments.TypeUSACH, url.Values{"routing_number": {"110000000"}, "account_number": {"000123456789"}}, "****6789"},
		{payments.TypeBacs, url.Values{"sort_code": {"108800"}, "account_number": {"00012345"}}, "10-88-00 ****2345"},
		{payments.TypeSEPA, url.Values{"iban": {"DE89 3704 0044 0532 0130 00"}}, "DE89 **** 3000"},
		{payments.TypeACSS, url.Values{"transit_number": {"11000"}, "institution_number": {"000"}, "account_number": {"000123456789"}}, "11000-000 ****6789"},
	} {
		s, _ := g.CreateSession(ctx, setupRequest("k-"+string(tc.typ), tc.typ))
		tc.form.Set("name", "Acme")
		tc.form.Set("mandate", "agree")
		got, err := g.CompleteForTest(ctx, s.ID, tc.typ, tc.form)
		if err != nil || got.Method.MaskedAccount != tc.mask {
			t.Errorf("%s: %+v %v", tc.typ, got.Method, err)
		}
	}
	assertNoCardNumber(t, g)
}

// receiver is Remit's webhook endpoint, checking signatures with the code
// Stripe's webhooks go through.
type receiver struct {
	mu     sync.Mutex
	secret string
	fail   int // answer 500 to this many deliveries first
	events []stripego.Event
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	ev, err := webhook.ConstructEvent(body, req.Header.Get("Stripe-Signature"), r.secret)
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		http.Error(w, "down", 500)
		return
	}
	r.events = append(r.events, ev)
}

// payByDebit opens a payment session for A$110 (the method kept) and pays
// it with the BECS test account that settles.
func payByDebit(t *testing.T, g *sandbox.Gateway) (payments.Session, payments.Session) {
	t.Helper()
	ctx := context.Background()
	req := payments.SessionRequest{
		IdempotencyKey: "pay-inv-1", Mode: payments.ModePayment, CustomerName: "Acme", MethodTypes: []payments.MethodType{payments.TypeCard, payments.TypeAUBECS},
		Amount: aud("110.00"), Description: "Invoice INV-000001", SaveMethod: true, SuccessURL: "https://remit.test/paid/{CHECKOUT_SESSION_ID}",
		Metadata: map[string]string{"invoice_id": "inv-1"},
	}
	s, err := g.CreateSession(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// The 0341 card would be declined when charged: on the page, now.
	if _, err := g.CompleteForTest(ctx, s.ID, payments.TypeCard, card("4000000000000341")); err == nil || !strings.Contains(err.Error(), "Your card was declined") {
		t.Fatalf("0341 in payment mode: %v", err)
	}
	got, err := g.CompleteForTest(ctx, s.ID, payments.TypeAUBECS, url.Values{"bsb": {"000000"}, "account_number": {"000123456"}, "name": {"Acme"}, "mandate": {"agree"}})
	if err != nil {
		t.Fatal(err)
	}
	return s, got
}

// TestPaymentSession: a payment session paid by BECS records a pending
// charge under the session's payment key, which Charge answers like any
// other; once the debit settles the session answers it succeeded.
func TestPaymentSession(t *testing.T) {
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	g := MustOpen(t, t.TempDir(), clk)
	ctx := context.Background()
	s, got := payByDebit(t, g)
	if got.Payment == nil || got.Payment.Status != payments.StatusPending || got.PaymentKey == "" || got.Method == nil {
		t.Fatalf("paid by debit: %+v", got)
	}
	res, err := g.Charge(ctx, payments.ChargeRequest{IdempotencyKey: got.PaymentKey, PaymentMethod: "x", Amount: aud("1")})
	if err != nil || res.Status != payments.StatusPending || res.Reference != got.Payment.Reference {
		t.Fatalf("status check by payment key: %+v %v", res, err)
	}
	clk.add(3 * 24 * time.Hour)
	if now, _ := g.Session(ctx, s.ID); now.Payment.Status != payments.StatusSucceeded || !now.Payment.Amount.Amount.Equal(aud("110").Amount) {
		t.Errorf("settled session %+v", now.Payment)
	}
	if _, err := g.Session(ctx, "cs_nope"); !errors.Is(err, payments.ErrUnknownSession) {
		t.Errorf("unknown session: %v", err)
	}
}

// TestWebhooksAreSignedAndRetried: checkout.session.completed is delivered
// signed (and again after a 500); once the debit settles, the async and
// payment_intent.succeeded events follow, Stripe-shaped, each once.
func TestWebhooksAreSignedAndRetried(t *testing.T) {
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	g := MustOpen(t, t.TempDir(), clk)
	ctx := context.Background()
	secret, err := g.WebhookSecret(ctx)
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q %v", secret, err)
	}
	rcv := &receiver{secret: secret, fail: 1}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	s, got := payByDebit(t, g)
	if n, _ := g.DeliverWebhooks(ctx, srv.URL, nil); n != 0 {
		t.Fatalf("first pass delivered %d despite the 500", n)
	}
	time.Sleep(1100 * time.Millisecond) // the retry's back-off is real time
	if n, err := g.DeliverWebhooks(ctx, srv.URL, nil); n != 1 || err != nil {
		t.Fatalf("retry delivered %d: %v", n, err)
	}
	clk.add(3 * 24 * time.Hour)
	if n, err := g.DeliverWebhooks(ctx, srv.URL, nil); n != 2 || err != nil {
		t.Fatalf("after settling delivered %d: %v", n, err)
	}
	if n, _ := g.DeliverWebhooks(ctx, srv.URL, nil); n != 0 {
		t.Fatalf("delivered again: %d", n)
	}
	var types []string
	for _, ev := range rcv.events {
		types = append(types, string(ev.Type))
	}
	if strings.Join(types, ",") != "checkout.session.completed,checkout.session.async_payment_succeeded,payment_intent.succeeded" {
		t.Fatalf("events %v", types)
	}
	var cs stripego.CheckoutSession
	if err := json.Unmarshal(rcv.events[0].Data.Raw, &cs); err != nil || cs.ID != s.ID || cs.Metadata["invoice_id"] != "inv-1" || cs.Mode != "payment" {
		t.Errorf("completed event: %+v %v", cs, err)
	}
	var pi stripego.PaymentIntent
	if err := json.Unmarshal(rcv.events[2].Data.Raw, &pi); err != nil || pi.ID != got.Payment.Reference || pi.Status != "succeeded" || pi.AmountReceived != 11000 || pi.Metadata["remit_idempotency_key"] != got.PaymentKey {
		t.Errorf("payment_intent event: %+v %v", pi, err)
	}
}

// TestSessionExpires: after a day an open session answers expired, and its
// page refuses captures.
func TestSessionExpires(t *testing.T) {
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	g := MustOpen(t, t.TempDir(), clk)
	ctx := context.Background()
	s, _ := g.CreateSession(ctx, setupRequest("k", payments.TypeCard))
	clk.add(25 * time.Hour)
	got, _ := g.Session(ctx, s.ID)
	if got.Status != payments.SessionExpired || got.URL != "" {
		t.Fatalf("after a day: %+v", got)
	}
	p := newPage(t, g)
	if code, _, body := p.post(s.URL, card("4242424242424242")); code != http.StatusConflict || !strings.Contains(body, "expired") {
		t.Errorf("capture on an expired session: %d\n%s", code, body)
	}
}

// TestMissingBankDetailsNamedBesideTheirFields: an empty SEPA form names
// each missing field beside it, abbreviations kept.
func TestMissingBankDetailsNamedBesideTheirFields(t *testing.T) {
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	g := MustOpen(t, t.TempDir(), clk)
	s, _ := g.CreateSession(context.Background(), setupRequest("k", payments.TypeSEPA))
	code, _, body := newPage(t, g).post(s.URL, url.Values{"type": {"sepa_debit"}})
	for _, want := range []string{`id="sepa_debit-iban-error">Enter the IBAN.`, `id="sepa_debit-name-error">Enter the account holder&#39;s name.`, `id="sepa_debit-mandate-error"`} {
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, want) {
			t.Errorf("%d: the page lacks %s", code, want)
		}
	}
}
