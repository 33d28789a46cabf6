package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/app"
	"remit/billing"
	"remit/domain"
	"remit/domain/client"
)

// TestCaptureThroughServeRecordsFromTheWebhook runs the wired app with the
// sandbox: POST /api/clients/{id}/payment-method-sessions answers the
// gateway's hosted page on Remit's own address, which is served without
// sign-in; the client enters a card there and never comes back (the
// redirect is not followed), and the sandbox's signed webhook, delivered to
// /api/webhooks/sandbox through the same code as Stripe's, records the
// method once. A relative return_url is refused, naming the field.
func TestCaptureThroughServeRecordsFromTheWebhook(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", NoAuth: true, NoOutbox: true, NoLedgerSync: true, NoBillingRun: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	meta, must := commandHelpers(t)
	must(a.Billing.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney"}, meta("firm")))
	c := must(a.Billing.CreateClient(ctx, billing.ClientRequest{Name: "Acme", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@acme.example"}}}, meta("client"))).ID

	bad, _ := http.NewRequest(http.MethodPost, a.URL()+"/api/clients/"+c.String()+"/payment-method-sessions", strings.NewReader(`{"return_url":"/back"}`))
	bad.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(bad)
	if err != nil {
		t.Fatal(err)
	}
	var problem struct {
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	_ = json.NewDecoder(res.Body).Decode(&problem)
	res.Body.Close()
	if res.StatusCode != http.StatusUnprocessableEntity || len(problem.Errors) != 1 || problem.Errors[0].Field != "return_url" {
		t.Errorf("a relative return_url: %d %+v, want 422 naming return_url", res.StatusCode, problem)
	}
	req, _ := http.NewRequest(http.MethodPost, a.URL()+"/api/clients/"+c.String()+"/payment-method-sessions", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Remit-Actor", "staff@firm.test")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		ID              string    `json:"id"`
		URL             string    `json:"url"`
		PaymentMethodID uuid.UUID `json:"payment_method_id"`
	}
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("session: %d %v", res.StatusCode, err)
	}
	res.Body.Close()
	if !strings.HasPrefix(s.URL, a.URL()+"/sandbox-gateway/checkout/") {
		t.Fatalf("hosted page %q, want one on Remit's own address", s.URL)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err = noFollow.PostForm(s.URL, url.Values{"type": {"card"}, "number": {"4242424242424242"}, "expiry": {"12/34"}, "cvc": {"123"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "/payment-methods/captured?session="+s.ID) {
		t.Fatalf("the gateway's page answered %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		sum, err := a.Models.Summary(ctx, c, domain.DateOf(time.Now(), time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.PaymentMethods) == 1 {
			m := sum.PaymentMethods[0]
			if m.ID != s.PaymentMethodID || m.Last4 != "4242" || m.Gateway != "sandbox" {
				t.Errorf("method recorded from the webhook: %+v", m)
			}
			break
		}
		if len(sum.PaymentMethods) > 1 || time.Now().After(deadline) {
			t.Fatalf("methods on file: %+v, want the one captured, recorded by the webhook", sum.PaymentMethods)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
