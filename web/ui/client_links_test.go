package ui_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"golang.org/x/crypto/bcrypt"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/domain/proposal"
	"remit/web/auth"
	"remit/web/ui"
)

// newLinkApp is newApp with client links on: its server is a UI with a
// link signer.
func newLinkApp(tb testing.TB) (*app, *auth.LinkSigner) {
	return newLinkAppWith(tb, "")
}

// newLinkAppWith is newLinkApp with Remit collecting through gateway, and
// its configuration changed by each of more.
func newLinkAppWith(tb testing.TB, gateway string, more ...func(*app, *ui.Config)) (*app, *auth.LinkSigner) {
	tb.Helper()
	a := newApp(tb)
	links, err := auth.NewLinkSigner(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		tb.Fatal(err)
	}
	cfg := ui.Config{Billing: a.svc, Models: a.models, Runner: a.runner, Store: a.store, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(logWriter{tb}, nil)), Links: links, Gateway: gateway, Checkout: a.checkout}
	for _, m := range more {
		m(a, &cfg)
	}
	h := ui.New(cfg)
	a.server.Close()
	a.server = httptest.NewServer(a.withGateway(h)) // closed by newApp's cleanup
	return a, links
}

// mustSentProposal drafts and sends a proposal of one automatic monthly
// line (250 + 10% tax) and one manual line (900, no tax).
func (a *app) mustSentProposal(clientID uuid.UUID, title string) uuid.UUID {
	a.tb.Helper()
	ctx := context.Background()
	res, err := a.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: clientID, Title: title, Lines: []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(250), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10),
			BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}, Automatic: true},
		{Name: "Tax return", UnitPrice: decimal.NewFromInt(900), Quantity: decimal.NewFromInt(1), BillingRule: domain.BillingRule{Frequency: domain.FrequencyOnCompletion}},
	}}, a.meta())
	if err != nil {
		a.tb.Fatalf("draft proposal: %v", err)
	}
	id := res.ID
	res, err = a.svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: id, RecipientEmail: "client@example.test"}, a.meta())
	if err != nil {
		a.tb.Fatalf("send proposal: %v", err)
	}
	a.wait(res)
	return id
}

// linkOn is the client link a staff page shows in the input with id, as
// a path on the test server.
func linkOn(tb testing.TB, p page, id string) string {
	tb.Helper()
	m := regexp.MustCompile(`id="` + id + `" type="text" readonly value="([^"]+)"`).FindStringSubmatch(p.Body)
	if m == nil {
		tb.Fatalf("the page shows no %s", id)
	}
	u, err := url.Parse(m[1])
	if err != nil {
		tb.Fatal(err)
	}
	return u.Path
}

// hiddenToken is the form's one-time token on a page.
func hiddenToken(tb testing.TB, body string) string {
	tb.Helper()
	m := regexp.MustCompile(`name="_token" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		tb.Fatal("the page has no form token")
	}
	return m[1]
}

// newMethod is the acceptance form's choice of a new card or bank account
// (entered next, on the gateway's page).
func newMethod() url.Values { return url.Values{"payment_method": {"new"}} }

func with(v url.Values, kv ...string) url.Values {
	out := clone(v)
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

func TestClientLinkAcceptProposal(t *testing.T) {
	a, _ := newLinkApp(t)
	acme := a.mustClient("Acme")
	a.mustCard(acme, "pm_card_visa")
	other := a.mustClient("Globex")
	a.mustCard(other, "pm_card_globex")
	pid := a.mustSentProposal(acme, "Services 2025")
	a.mustSentProposal(other, "Globex secret plan")

	staff := a.get("/proposals/" + pid.String())
	link := linkOn(t, staff, "client-link")
	if !strings.HasPrefix(link, "/c/p/") {
		t.Fatalf("acceptance link %q", link)
	}

	p := a.get(link)
	if p.Status != http.StatusOK {
		t.Fatalf("GET link = %d", p.Status)
	}
	mustContain(t, p, "Ledger &amp; Co", "Services 2025", "Bookkeeping", "Tax return", "A$25.00", "A$275.00 a month, A$900.00 on completion",
		"Visa •••• 4242", `value="Ada Acme"`, `name="accept"`)
	for _, leak := range []string{"Globex", "secret plan", "/clients", "Sign out"} {
		if strings.Contains(p.Body, leak) {
			t.Errorf("the acceptance page mentions %q", leak)
		}
	}

	t.Run("ErrInvalid appends nothing", func(t *testing.T) {
		before := a.head()
		bad := a.post(link, url.Values{"payment_method": {"new"}, "accepted_by_name": {""}, "accepted_by_email": {"nope"}})
		if bad.Status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d: %s", bad.Status, errorsOf(bad.Body))
		}
		for _, f := range []string{"accept", "accepted_by_name"} {
			if fieldError(bad.Body, f) == "" {
				t.Errorf("no inline error on %s: %s", f, errorsOf(bad.Body))
			}
		}
		for _, gone := range []string{"gateway_token", "method.last4", "Last 4"} {
			if strings.Contains(bad.Body, gone) {
				t.Errorf("the acceptance form still asks for %s", gone)
			}
		}
		// Another client's method is not a choice.
		otherMethod := a.mustCardID(other)
		bad = a.post(link, url.Values{"payment_method": {otherMethod.String()}, "accepted_by_name": {"Ada Acme"}, "accepted_by_email": {"ada@acme.test"}, "accept": {"on"}})
		if bad.Status != http.StatusUnprocessableEntity {
			t.Fatalf("another client's method = %d: %s", bad.Status, errorsOf(bad.Body))
		}
		if a.head() != before {
			t.Error("refused acceptances appended events")
		}
	})

	t.Run("OK accept, then add the card on the gateway's page", func(t *testing.T) {
		form := url.Values{"payment_method": {"new"}, "accepted_by_name": {"Ada Acme"}, "accepted_by_email": {"ada@acme.test"}, "accept": {"on"},
			"_token": {hiddenToken(t, a.get(link).Body)}}
		var wg sync.WaitGroup
		results := make([]page, 2)
		for i := range results {
			wg.Go(func() { results[i] = a.post(link, form) })
		}
		wg.Wait()
		for _, r := range results {
			if r.Status != http.StatusSeeOther {
				t.Fatalf("submit = %d: %s", r.Status, errorsOf(r.Body))
			}
		}
		if results[0].Location != results[1].Location {
			t.Errorf("a double submit opened two gateway pages: %s, %s", results[0].Location, results[1].Location)
		}
		thanks := a.throughGateway(results[0].Location, testCard("5555 5555 5555 4444"))
		mustContain(t, thanks, "your acceptance is recorded, and your payment method Mastercard •••• 4444", "Accepted by Ada Acme")
		if strings.Contains(thanks.Body, `name="accept"`) {
			t.Error("the accepted proposal still offers the form")
		}
		// Coming back again (a reload) records nothing more.
		head := a.head()
		if again := a.get(pathOf(results[0].Location)); again.Status != http.StatusOK || a.head() != head {
			t.Errorf("reloading the gateway's page = %d, appended %d", again.Status, a.head()-head)
		}

		sum, err := a.models.Summary(context.Background(), acme, date("2025-03-10"))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range sum.PaymentMethods {
			if m.Last4 == "4444" {
				n++
				if !m.Default {
					t.Errorf("the card added on acceptance is not the default the services pay with")
				}
			}
		}
		if n != 1 {
			t.Fatalf("%d new cards on file, want 1", n)
		}
		svcs, err := a.models.ClientServices(context.Background(), acme, date("2025-03-10"))
		if err != nil {
			t.Fatal(err)
		}
		if len(svcs.Active) != 2 {
			t.Fatalf("%d active services, want 2", len(svcs.Active))
		}
		var accepts int
		for _, pv := range sum.Proposals {
			if pv.ID == pid && pv.Status == proposal.StatusAccepted {
				accepts++
			}
		}
		if accepts != 1 {
			t.Errorf("proposal not accepted once")
		}
	})

	t.Run("closed proposals show their state", func(t *testing.T) {
		gone := a.mustSentProposal(acme, "Withdrawn offer")
		link := linkOn(t, a.get("/proposals/"+gone.String()), "client-link")
		a.wait(must(a.svc.WithdrawProposal(context.Background(), billing.ProposalRef{ProposalID: gone, Reason: "replaced"}, a.meta())))
		p := a.get(link)
		mustContain(t, p, "Withdrawn offer", "Withdrawn", "can no longer be accepted")
		if strings.Contains(p.Body, `name="accept"`) {
			t.Error("a withdrawn proposal offers the form")
		}
		before := a.head()
		if r := a.post(link, url.Values{"payment_method": {"new"}, "accepted_by_name": {"Ada"}, "accepted_by_email": {"ada@acme.test"}, "accept": {"on"}}); r.Status != http.StatusSeeOther || a.head() != before {
			t.Errorf("accepting a withdrawn proposal = %d, appended %d", r.Status, a.head()-before)
		}
	})
}

// mustCardID is the id of a client's first method.
func (a *app) mustCardID(clientID uuid.UUID) uuid.UUID {
	a.tb.Helper()
	s, err := a.models.Summary(context.Background(), clientID, date("2025-03-10"))
	if err != nil || len(s.PaymentMethods) == 0 {
		a.tb.Fatalf("no method for %s: %v", clientID, err)
	}
	return s.PaymentMethods[0].ID
}

func TestClientLinkRefused(t *testing.T) {
	a, links := newLinkApp(t)
	acme := a.mustClient("Acme")
	globex := a.mustClient("Globex")
	pid := a.mustSentProposal(acme, "Services 2025")
	gid := a.mustSentProposal(globex, "Globex plan")
	good := links.Sign(auth.Link{ClientID: acme, Purpose: auth.PurposeAcceptProposal, Resource: pid, Expires: now.Add(time.Hour)})
	if p := a.get("/c/p/" + good); p.Status != http.StatusOK {
		t.Fatalf("good link = %d", p.Status)
	}
	tampered := []byte(good)
	tampered[5] ^= 1
	cases := map[string]struct {
		path   string
		status int
	}{
		"expired":        {"/c/p/" + links.Sign(auth.Link{ClientID: acme, Purpose: auth.PurposeAcceptProposal, Resource: pid, Expires: now.Add(-time.Second)}), http.StatusForbidden},
		"tampered":       {"/c/p/" + string(tampered), http.StatusForbidden},
		"garbage":        {"/c/p/not-a-token", http.StatusForbidden},
		"other purpose":  {"/c/p/" + links.Sign(auth.Link{ClientID: acme, Purpose: auth.PurposePaymentMethod, Resource: pid, Expires: now.Add(time.Hour)}), http.StatusForbidden},
		"method path":    {"/c/m/" + good, http.StatusForbidden},
		"other signer":   {"/c/p/" + must(auth.NewLinkSigner(bytes.Repeat([]byte("x"), 32))).Sign(auth.Link{ClientID: acme, Purpose: auth.PurposeAcceptProposal, Resource: pid, Expires: now.Add(time.Hour)}), http.StatusForbidden},
		"other client":   {"/c/p/" + links.Sign(auth.Link{ClientID: acme, Purpose: auth.PurposeAcceptProposal, Resource: gid, Expires: now.Add(time.Hour)}), http.StatusNotFound},
		"no such thing":  {"/c/p/" + links.Sign(auth.Link{ClientID: acme, Purpose: auth.PurposeAcceptProposal, Resource: uuid.New(), Expires: now.Add(time.Hour)}), http.StatusNotFound},
		"unknown client": {"/c/m/" + links.Sign(auth.Link{ClientID: uuid.New(), Purpose: auth.PurposePaymentMethod, Expires: now.Add(time.Hour)}), http.StatusNotFound},
		"no path":        {"/c/x", http.StatusNotFound},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := a.get(c.path)
			if p.Status != c.status {
				t.Errorf("GET = %d, want %d", p.Status, c.status)
			}
			mustContain(t, p, "no longer valid")
			for _, leak := range []string{"Acme", "Globex", "Services 2025", "Ledger", "<form"} {
				if strings.Contains(p.Body, leak) {
					t.Errorf("the refusal shows %q", leak)
				}
			}
			before := a.head()
			r := a.post(c.path, with(newMethod(), "accepted_by_name", "Eve", "accepted_by_email", "eve@evil.test", "accept", "on"))
			if r.Status != c.status || a.head() != before {
				t.Errorf("POST = %d (want %d), appended %d", r.Status, c.status, a.head()-before)
			}
		})
	}
	t.Run("headers", func(t *testing.T) {
		resp, err := a.client.Get(a.server.URL + "/c/p/" + good)
		if err != nil {
			t.Fatal(err)
		}
		p := read(t, resp)
		for h, want := range map[string]string{"Content-Security-Policy": "script-src 'self'", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"} {
			if got := resp.Header.Get(h); !strings.Contains(got, want) {
				t.Errorf("%s = %q, want %q", h, got, want)
			}
		}
		if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]|\son[a-z]+="`).MatchString(p.Body) {
			t.Error("the page has inline script")
		}
	})
	t.Run("cross-site post", func(t *testing.T) {
		before := a.head()
		req, _ := http.NewRequest(http.MethodPost, a.server.URL+"/c/p/"+good, strings.NewReader(with(newMethod(), "accepted_by_name", "Ada", "accepted_by_email", "ada@acme.test", "accept", "on").Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		resp, err := a.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || a.head() != before {
			t.Errorf("cross-site POST = %d, appended %d", resp.StatusCode, a.head()-before)
		}
	})
}

func TestClientLinkPaymentMethodAndRetry(t *testing.T) {
	a, links := newLinkApp(t)
	ctx := context.Background()
	acme := a.mustClient("Acme")
	card := a.mustCard(acme, "pm_card_chargeDeclined")
	globex := a.mustClient("Globex")
	a.mustCard(globex, "pm_card_globex")
	inv := a.mustInvoice(acme, "100")
	a.wait(must(a.svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: inv, Date: date("2025-03-10"), PaymentMethodID: card}, a.meta())))
	a.wait(must(a.svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: inv, Outcome: invoice.AttemptRejected, Amount: decimal.NewFromInt(110),
		DeclineCode: "card_declined", DeclineMessage: "Your card was declined", PaymentMethodID: card}, a.meta())))

	staff := a.get("/invoices/" + inv.String())
	link := linkOn(t, staff, "method-link")
	if !strings.HasPrefix(link, "/c/m/") {
		t.Fatalf("method link %q", link)
	}
	p := a.get(link)
	if p.Status != http.StatusOK {
		t.Fatalf("GET = %d", p.Status)
	}
	mustContain(t, p, "Ledger &amp; Co", "Your card was declined", "A$110.00", "Visa •••• 4242", `name="retry"`)
	if strings.Contains(p.Body, "Globex") {
		t.Error("the page mentions another client")
	}

	for _, gone := range []string{"gateway_token", "method.last4", "Token from"} {
		if strings.Contains(p.Body, gone) {
			t.Errorf("the method page still asks for %s", gone)
		}
	}
	before := a.head()
	bad := a.post(link, url.Values{"replaces": {a.mustCardID(globex).String()}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "replaces") == "" {
		t.Fatalf("replacing another client's method = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	bad = a.post(link, url.Values{"retry": {"on"}, "retry_on": {"2025-03-01"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "retry_on") == "" {
		t.Fatalf("a retry in the past = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	if a.head() != before {
		t.Fatal("refused forms appended events")
	}

	form := url.Values{"replaces": {card.String()}, "retry": {"on"}, "_token": {hiddenToken(t, p.Body)}}
	r := a.post(link, form)
	if r.Status != http.StatusSeeOther || a.head() != before {
		t.Fatalf("POST = %d (appended %d): %s", r.Status, a.head()-before, errorsOf(r.Body))
	}
	// The client gives up on the gateway's page: back on the link, nothing added.
	if back := a.get(pathOf(r.Location)); !strings.Contains(back.Body, "Cancel and go back") {
		t.Errorf("the gateway's page offers no way back")
	}
	done := a.throughGateway(r.Location, testCard("5555555555554444"))
	mustContain(t, done, "Thank you", "Mastercard •••• 4444", "will be retried today with it")
	head := a.head()
	// The form sent again names the card it replaced, no longer on file.
	if again := a.post(link, form); again.Status != http.StatusUnprocessableEntity || a.head() != head {
		t.Errorf("a second submit = %d, appended %d", again.Status, a.head()-head)
	}

	d, err := a.models.Invoice(context.Background(), inv, date("2025-03-10"))
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := a.models.Summary(context.Background(), acme, date("2025-03-10"))
	var added uuid.UUID
	for _, m := range sum.PaymentMethods {
		if m.Last4 == "4444" && m.Replaces == card {
			added = m.ID
		}
	}
	if added == uuid.Nil {
		t.Fatal("the new card did not replace the declined one")
	}
	if d.Collection == nil || !d.Collection.Retry || d.Collection.Date != date("2025-03-10") || d.Collection.PaymentMethodID != added {
		t.Errorf("collection after the link: %+v, want a retry today with %s", d.Collection, added)
	}
	// The retry is pending: the client may still change it (it would be
	// replaced), and is told when it happens.
	mustContain(t, a.get(link), "A retry is scheduled for 10 Mar 2025", `name="retry"`)

	// Without an invoice: just add a bank account, with its mandate.
	plain := "/c/m/" + links.Sign(auth.Link{ClientID: acme, Purpose: auth.PurposePaymentMethod, Expires: now.Add(time.Hour)})
	pg := a.get(plain)
	if pg.Status != http.StatusOK || strings.Contains(pg.Body, "Invoice") {
		t.Fatalf("plain method link = %d", pg.Status)
	}
	r = a.post(plain, url.Values{"_token": {hiddenToken(t, pg.Body)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add bank account = %d: %s", r.Status, errorsOf(r.Body))
	}
	noMandate := becsAccount("000123456")
	noMandate.Del("mandate")
	if m := a.post(pathOf(r.Location), noMandate); m.Status != http.StatusUnprocessableEntity || !strings.Contains(m.Body, "Agree to the debit mandate") {
		t.Fatalf("BECS without its mandate = %d", m.Status)
	}
	mustContain(t, a.throughGateway(r.Location, becsAccount("000123456")), "000-000 ****3456")
}

// TestClientLinkRetryWhileRetryPending: the card was declined and the
// policy's retry is pending; through the link the client retries with
// another card on file on a date of their choosing, then adds a new card and
// retries now: each replaces the pending retry, so one retry is ever
// scheduled. Bad dates and other clients' methods are refused beside their
// fields, appending nothing.
func TestClientLinkRetryWhileRetryPending(t *testing.T) {
	a, _ := newLinkApp(t)
	ctx := context.Background()
	acme := a.mustClient("Acme")
	declined := a.mustCard(acme, "pm_card_chargeDeclined")
	globex := a.mustClient("Globex")
	a.mustCard(globex, "pm_card_globex")
	inv := a.mustInvoice(acme, "100")
	a.wait(must(a.svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: inv, Outcome: invoice.AttemptRejected,
		DeclineCode: "card_declined", DeclineMessage: "Your card was declined", PaymentMethodID: declined}, a.meta())))
	a.wait(must(a.svc.ScheduleRetry(ctx, billing.InvoiceRequest{InvoiceID: inv, Date: date("2025-03-13")}, a.meta()))) // as the policy does
	other := a.mustCard(acme, "pm_card_visa")

	link := linkOn(t, a.get("/invoices/"+inv.String()), "method-link")
	p := a.get(link)
	mustContain(t, p, "Your card was declined", "A retry is scheduled for 13 Mar 2025", `name="retry_method"`, `name="retry_date"`, `name="retry"`)

	before := a.head()
	for name, form := range map[string]url.Values{
		"retry_date":   {"do": {"retry"}, "retry_method": {other.String()}, "retry_date": {"2025-03-09"}},
		"retry_method": {"do": {"retry"}, "retry_method": {a.mustCardID(globex).String()}, "retry_date": {"2025-03-12"}},
	} {
		bad := a.post(link, form)
		if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, name) == "" {
			t.Errorf("bad %s = %d: %s", name, bad.Status, errorsOf(bad.Body))
		}
	}
	if bad := a.post(link, url.Values{"retry": {"on"}, "retry_on": {"2025-06-01"}}); bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "retry_on") == "" {
		t.Errorf("a retry too far ahead = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	if a.head() != before {
		t.Fatal("refused forms appended events")
	}

	r := a.post(link, url.Values{"do": {"retry"}, "retry_method": {other.String()}, "retry_date": {"2025-03-12"}, "_token": {hiddenToken(t, p.Body)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("retry with a card on file = %d: %s", r.Status, errorsOf(r.Body))
	}
	mustContain(t, a.get(r.Location), "will be retried on 12 Mar 2025 with Visa •••• 4242")
	if a.head() != before+1 {
		t.Fatalf("the retry appended %d events, want 1", a.head()-before)
	}
	d, _ := a.models.Invoice(context.Background(), inv, date("2025-03-10"))
	if d.Collection == nil || !d.Collection.Retry || d.Collection.Date != date("2025-03-12") || d.Collection.PaymentMethodID != other {
		t.Fatalf("collection %+v, want the retry moved to 12 March with the other card", d.Collection)
	}

	p = a.get(link)
	r = a.post(link, url.Values{"retry": {"on"}, "retry_on": {"2025-03-10"}, "_token": {hiddenToken(t, p.Body)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("new card and retry now = %d: %s", r.Status, errorsOf(r.Body))
	}
	mustContain(t, a.throughGateway(r.Location, testCard("5555555555554444")), "will be retried today with it")
	d, _ = a.models.Invoice(context.Background(), inv, date("2025-03-10"))
	if d.Collection == nil || !d.Collection.Retry || d.Collection.Date != date("2025-03-10") || d.Collection.PaymentMethodID == other || d.Collection.PaymentMethodID == declined {
		t.Fatalf("collection %+v, want one retry today with the new card", d.Collection)
	}
}

// A method a client adds through a link is on file with the gateway Remit
// collects with, so collection charges it there.
func TestClientLinkMethodIsOnTheRunningGateway(t *testing.T) {
	a, links := newLinkApp(t)
	acme := a.mustClient("Acme")
	link := "/c/m/" + links.Sign(auth.Link{ClientID: acme, Purpose: auth.PurposePaymentMethod, Expires: now.Add(time.Hour)})
	r := a.post(link, url.Values{"_token": {hiddenToken(t, a.get(link).Body)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add card = %d: %s", r.Status, errorsOf(r.Body))
	}
	a.throughGateway(r.Location, testCard("4242424242424242"))
	s, err := a.models.Summary(context.Background(), acme, date("2025-03-10"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.PaymentMethods) != 1 || s.PaymentMethods[0].Gateway != "sandbox" || !strings.HasPrefix(s.PaymentMethods[0].GatewayCustomer, "cus_sandbox_") {
		t.Fatalf("methods after the link: %+v, want one on file with the sandbox, on its customer", s.PaymentMethods)
	}
	// Another client's session is refused on this client's link, and
	// records nothing.
	other := a.mustClient("Globex")
	otherLink := "/c/m/" + links.Sign(auth.Link{ClientID: other, Purpose: auth.PurposePaymentMethod, Expires: now.Add(time.Hour)})
	r = a.post(otherLink, url.Values{"_token": {hiddenToken(t, a.get(otherLink).Body)}})
	done := a.post(pathOf(r.Location), testCard("4242424242424242"))
	stolen := strings.Replace(pathOf(done.Location), otherLink, link, 1)
	head := a.head()
	if p := a.get(stolen); p.Status != http.StatusSeeOther || a.head() != head {
		t.Fatalf("another client's session on this link = %d, appended %d", p.Status, a.head()-head)
	}
	if s, _ := a.models.Summary(context.Background(), acme, date("2025-03-10")); len(s.PaymentMethods) != 1 {
		t.Errorf("another client's session added a method here")
	}
}

// TestGateLetsClientLinksThrough: /c/ needs no staff sign-in; the token
// guards it.
func TestGateLetsClientLinksThrough(t *testing.T) {
	a, links := newLinkApp(t)
	acme := a.mustClient("Acme")
	pid := a.mustSentProposal(acme, "Services 2025")
	authn, err := auth.New(auth.Config{Store: a.store, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	h := ui.New(ui.Config{Billing: a.svc, Models: a.models, Runner: a.runner, Store: a.store, Now: func() time.Time { return now }, Links: links, Auth: authn,
		Checkout: a.checkout})
	srv := httpServer(t, a.withGateway(h))
	good := links.Sign(auth.Link{ClientID: acme, Purpose: auth.PurposeAcceptProposal, Resource: pid, Expires: now.Add(time.Hour)})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) page {
		resp, err := noRedirect.Get(srv + path)
		if err != nil {
			t.Fatal(err)
		}
		return read(t, resp)
	}
	if p := get("/c/p/" + good); p.Status != http.StatusOK || !strings.Contains(p.Body, "Services 2025") {
		t.Errorf("link through the gate = %d", p.Status)
	}
	if p := get("/c/p/bad"); p.Status != http.StatusForbidden {
		t.Errorf("bad link through the gate = %d", p.Status)
	}
	if p := get("/proposals/" + pid.String()); p.Status != http.StatusSeeOther {
		t.Errorf("staff page without sign-in = %d, want a redirect to sign in", p.Status)
	}
	resp, err := noRedirect.PostForm(srv+"/c/p/"+good, with(newMethod(), "accepted_by_name", "Ada Acme", "accepted_by_email", "ada@acme.test", "accept", "on"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/sandbox-gateway/") {
		t.Fatalf("accept through the gate = %d to %q", resp.StatusCode, loc)
	}
	// The gateway's page is not behind sign-in either.
	if p := get(resp.Header.Get("Location")); p.Status != http.StatusOK || !strings.Contains(p.Body, "Sandbox test gateway") {
		t.Errorf("the gateway's page through the gate = %d", p.Status)
	}
}
