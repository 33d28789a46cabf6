package ui_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"remit/billing"
	"remit/domain/client"
	"remit/domain/user"
	"remit/processes/billingrun"
	"remit/web/auth"
	"remit/web/ui"
)

// TestActivityNamesPeopleAndInvoices: activity and audit trails name people
// (by name, email on hover), the client through their link and the billing
// run; invoices by number, linked; and an edit says old → new.
func TestActivityNamesPeopleAndInvoices(t *testing.T) {
	a := newApp(t)
	authn, err := auth.New(auth.Config{Store: a.store, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := authn.AddUser(ctx, auth.NewUser{Email: "olive@firm.example", Name: "Olive Owner", Role: user.RoleOwner, Password: "owner-password-1"}, "test"); err != nil {
		t.Fatal(err)
	}
	h := ui.New(ui.Config{Billing: a.svc, Models: a.models, Runner: a.runner, Store: a.store, Now: func() time.Time { return now }, Users: authn, Auth: authn,
		Logger:    slog.New(slog.NewTextHandler(logWriter{t}, nil)),
		CSRFToken: func(r *http.Request) string { p, _ := auth.PrincipalFrom(r.Context()); return p.CSRFToken },
		Actor:     func(r *http.Request) string { p, _ := auth.PrincipalFrom(r.Context()); return p.Actor() },
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := &connectApp{app: a, url: srv.URL, authn: authn}
	owner, csrf := c.browser(t, "olive@firm.example", "owner-password-1")

	acme := a.mustClient("Acme")
	sid := a.mustService(acme, "Bookkeeping", "100", date("2025-03-01"), true)
	// Olive changes the quantity from the service's edit form.
	p := do(t, owner, http.MethodPost, srv.URL+"/services/"+sid.String()+"/edit", url.Values{"csrf_token": {csrf}, "_token": {uuid.NewString()},
		"effective_from": {"2025-03-01"}, "description": {"Bookkeeping"}, "unit_price": {"100"}, "quantity": {"1.5"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("edit service = %d: %s", p.Status, errorsOf(p.Body))
	}
	// The billing run bills the item due; the client adds a card through
	// their link.
	if _, err := billingrun.Run(ctx, a.store, a.svc, date("2025-03-10"), billingrun.Options{}); err != nil {
		t.Fatal(err)
	}
	res, err := a.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: acme, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: "pm_card_visa", Brand: "visa", Last4: "4242", ExpiryMonth: 8, ExpiryYear: 2030,
	}}, billing.Meta{Actor: "client-link:" + acme.String()})
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)
	a.wait(billing.Result{Position: a.head()})

	activity := do(t, owner, http.MethodGet, srv.URL+"/services/"+sid.String()+"/activity", nil).Body
	inv := regexp.MustCompile(`billed on invoice <a href="/invoices/([0-9a-f-]{36})">INV-000001</a>`).FindStringSubmatch(activity)
	if inv == nil {
		t.Errorf("the billed item does not link its invoice by number:\n%s", activityOf(activity))
	}
	for _, want := range []string{"quantity 1 → 1.5", `by <span title="olive@firm.example">Olive Owner</span>`, "by the billing run"} {
		if !strings.Contains(activity, want) {
			t.Errorf("the service's activity lacks %q:\n%s", want, activityOf(activity))
		}
	}
	methods := do(t, owner, http.MethodGet, srv.URL+"/clients/"+acme.String()+"/payment-methods", nil).Body
	if !strings.Contains(methods, "by the client, through their link") {
		t.Errorf("the method's activity does not name the client:\n%s", activityOf(methods))
	}
	if inv != nil {
		audit := do(t, owner, http.MethodGet, srv.URL+"/invoices/"+inv[1], nil).Body
		if !strings.Contains(audit, "by the billing run") {
			t.Errorf("the invoice's audit trail does not name the billing run:\n%s", activityOf(audit))
		}
		activity += audit
	}
	for _, raw := range []string{"user:", "client-link:", "billing-run)", "(by "} {
		if strings.Contains(activity+methods, raw) {
			t.Errorf("a trail shows the raw actor %q", raw)
		}
	}
	if m := regexp.MustCompile(`invoice [0-9a-f]{8}-`).FindString(activity); m != "" {
		t.Errorf("a trail names an invoice by its id: %q", m)
	}
}

// activityOf is the activity lists of a page, for failure messages.
func activityOf(body string) string {
	return strings.Join(regexp.MustCompile(`(?s)<ol class="activity">.*?</ol>`).FindAllString(body, -1), "\n")
}
