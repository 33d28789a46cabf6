package billingrun_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/eventstore"
	"remit/integrations/payments"
	"remit/processes/billingrun"
)

// recordingGateway stands in for a gateway other than the sandbox (Stripe)
// only to remember what it was asked; its answers are never checked.
type recordingGateway struct {
	name string
	mu   sync.Mutex
	reqs []payments.ChargeRequest
}

func (g *recordingGateway) Name() string { return g.name }

func (g *recordingGateway) Charge(_ context.Context, req payments.ChargeRequest) (payments.ChargeResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reqs = append(g.reqs, req)
	return payments.ChargeResult{Status: payments.StatusPending, Reference: "pi_pending"}, nil
}

func (g *recordingGateway) asked() []payments.ChargeRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]payments.ChargeRequest(nil), g.reqs...)
}

func stripeCard(customer string) client.PaymentMethodDetails {
	return client.PaymentMethodDetails{Kind: client.MethodCard, Gateway: "stripe", GatewayToken: "pm_1PqStripeCard", GatewayCustomer: customer,
		Brand: "mastercard", Last4: "4444", ExpiryMonth: 12, ExpiryYear: 2030}
}

func sandboxCard(customer string) client.PaymentMethodDetails {
	return client.PaymentMethodDetails{Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: "pm_card_visa", GatewayCustomer: customer,
		Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2030}
}

// MustMethod puts m on file for the client and returns its id.
func (f *fixture) MustMethod(clientID uuid.UUID, m client.PaymentMethodDetails) uuid.UUID {
	f.tb.Helper()
	return f.ok(f.svc.AddPaymentMethod(context.Background(), billing.PaymentMethodRequest{ClientID: clientID, Method: m}, staff())).ID
}

// MustInvoiceDue issues a 110.00 AUD invoice to the client, to be collected
// from method on day.
func (f *fixture) MustInvoiceDue(clientID, method uuid.UUID, day domain.Date) uuid.UUID {
	f.tb.Helper()
	ctx := context.Background()
	id := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: clientID, PaymentMethodID: method,
		Lines: []billing.InstantLine{{Description: "Advice", Quantity: dec("1"), UnitPrice: dec("100"), TaxRate: dec("10")}}}, staff())).ID
	f.ok(f.svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: id, PaymentMethodID: method, Date: day}, staff()))
	return id
}

// invoiceEvents lists the types of an invoice's events.
func (f *fixture) invoiceEvents(id uuid.UUID) []string {
	f.tb.Helper()
	recs, err := f.store.ReadStream(context.Background(), "invoice-"+id.String(), 0, eventstore.Forward, 0)
	if err != nil {
		f.tb.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Type)
	}
	return out
}

// TestCollectRefusesMethodsOfAnotherGateway: a method on file with Stripe is
// never sent to the sandbox, nor a sandbox one to Stripe. Collection asks
// the gateway nothing, appends nothing, reports the invoice with a message
// naming both gateways, logs it, and leaves the collection scheduled: once
// staff switch the invoice to a method of the running gateway, the next
// run collects it.
func TestCollectRefusesMethodsOfAnotherGateway(t *testing.T) {
	day := domain.MustDate(2025, time.March, 10)
	collect := func(f *fixture, gw payments.Gateway) (billingrun.CollectReport, string) {
		t.Helper()
		var logs bytes.Buffer
		rep, err := billingrun.Collect(context.Background(), f.store, f.svc, gw, day, billingrun.CollectOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return rep, logs.String()
	}
	mustRefuse := func(t *testing.T, rep billingrun.CollectReport, logs, number, methodGateway, gateway string) {
		t.Helper()
		if rep.Due != 1 || rep.Succeeded+rep.Rejected+rep.Pending != 0 || len(rep.Errors) != 1 {
			t.Fatalf("report %+v, want one invoice due, no answer, one error", rep)
		}
		e := rep.Errors[0]
		want := fmt.Sprintf("is on file with %s, but the gateway is %s", methodGateway, gateway)
		if e.Number != number || !errors.Is(e.Err, billingrun.ErrOtherGateway) || !strings.Contains(e.Error(), want) {
			t.Errorf("error %q (invoice %s), want ErrOtherGateway on %s saying %q", e.Error(), e.Number, number, want)
		}
		if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "invoice="+number) ||
			!strings.Contains(logs, "method_gateway="+methodGateway) || !strings.Contains(logs, "gateway="+gateway) {
			t.Errorf("log %q does not tell the operator", logs)
		}
	}
	wantEvents := fmt.Sprint([]string{"InvoiceIssued", "InvoiceCollectionScheduled"})

	t.Run("ErrStripeMethodWithSandbox", func(t *testing.T) {
		f := newFixture(t, day)
		f.MustSetUpFirm(false, 0)
		cl := f.MustClient("Acme", "")
		inv := f.MustInvoiceDue(cl, f.MustMethod(cl, stripeCard("cus_Acme")), day)
		number := f.mustNumber(inv)
		before := f.head()
		for range 2 { // it stays due, and is refused again the next run
			rep, logs := collect(f, f.gw)
			mustRefuse(t, rep, logs, number, "stripe", "sandbox")
		}
		if n := f.charges(); n != 0 {
			t.Errorf("the sandbox charged %d times", n)
		}
		if f.head() != before || fmt.Sprint(f.invoiceEvents(inv)) != wantEvents {
			t.Errorf("appended %d events; invoice events %v, want %s", f.head()-before, f.invoiceEvents(inv), wantEvents)
		}

		// Staff switch the invoice to a sandbox method: it is collected.
		f.ok(f.svc.ScheduleCollection(context.Background(), billing.InvoiceRequest{InvoiceID: inv, PaymentMethodID: f.MustMethod(cl, sandboxCard("")), Date: day}, staff()))
		rep := f.MustCollect(day)
		if rep.Succeeded != 1 || f.charges() != 1 {
			t.Errorf("after switching to a sandbox method: %+v, %d charges", rep, f.charges())
		}
	})

	t.Run("ErrSandboxMethodWithStripe", func(t *testing.T) {
		f := newFixture(t, day)
		f.MustSetUpFirm(false, 0)
		cl := f.MustClient("Acme", "")
		inv := f.MustInvoiceDue(cl, f.MustMethod(cl, sandboxCard("")), day) // the demo's pm_card_visa
		number := f.mustNumber(inv)
		before := f.head()
		gw := &recordingGateway{name: "stripe"}
		for range 2 {
			rep, logs := collect(f, gw)
			mustRefuse(t, rep, logs, number, "sandbox", "stripe")
		}
		if got := gw.asked(); len(got) != 0 {
			t.Errorf("Stripe was asked to charge %+v", got)
		}
		if f.head() != before {
			t.Errorf("appended %d events: %v", f.head()-before, f.invoiceEvents(inv))
		}
		if n := f.charges(); n != 0 {
			t.Errorf("the sandbox charged %d times", n)
		}
	})
}

// TestCollectSendsTheMethodsGatewayCustomer: a method that names its
// gateway customer (Stripe's cus_…, which Stripe needs to charge a saved
// method off-session) is charged with it; a method without one still
// charges with the sandbox, with no customer.
func TestCollectSendsTheMethodsGatewayCustomer(t *testing.T) {
	day := domain.MustDate(2025, time.March, 10)
	t.Run("OK/StripeWithCustomer", func(t *testing.T) {
		f := newFixture(t, day)
		f.MustSetUpFirm(false, 0)
		cl := f.MustClient("Acme", "")
		inv := f.MustInvoiceDue(cl, f.MustMethod(cl, stripeCard("cus_Acme")), day)
		gw := &recordingGateway{name: "stripe"}
		rep, err := billingrun.Collect(context.Background(), f.store, f.svc, gw, day, billingrun.CollectOptions{})
		if err != nil || len(rep.Errors) > 0 {
			t.Fatalf("collect: %v %v", err, rep.Errors)
		}
		got := gw.asked()
		if len(got) != 1 || got[0].Customer != "cus_Acme" || got[0].PaymentMethod != "pm_1PqStripeCard" || got[0].Metadata["invoice_id"] != inv.String() {
			t.Fatalf("asked %+v, want one charge of pm_1PqStripeCard for customer cus_Acme", got)
		}
	})
	t.Run("OK/SandboxWithoutCustomer", func(t *testing.T) {
		f := newFixture(t, day)
		f.MustSetUpFirm(false, 0)
		cl := f.MustClient("Acme", "")
		inv := f.MustInvoiceDue(cl, f.MustMethod(cl, sandboxCard("")), day)
		rep := f.MustCollect(day)
		cs, err := f.gw.Charges()
		if err != nil {
			t.Fatal(err)
		}
		if rep.Succeeded != 1 || len(cs) != 1 || cs[0].Customer != "" || cs[0].PaymentMethod != "pm_card_visa" {
			t.Fatalf("report %+v, charges %+v: want one paid charge without a customer", rep, cs)
		}
		if got := f.invoiceEvents(inv); got[len(got)-1] != "InvoicePaymentSucceeded" {
			t.Errorf("invoice events %v", got)
		}
	})
	t.Run("OK/SandboxWithCustomer", func(t *testing.T) {
		f := newFixture(t, day)
		f.MustSetUpFirm(false, 0)
		cl := f.MustClient("Acme", "")
		f.MustInvoiceDue(cl, f.MustMethod(cl, sandboxCard("cus_sandbox_1")), day)
		rep := f.MustCollect(day)
		cs, _ := f.gw.Charges()
		if rep.Succeeded != 1 || len(cs) != 1 || cs[0].Customer != "cus_sandbox_1" {
			t.Fatalf("report %+v, charges %+v: want one paid charge for cus_sandbox_1", rep, cs)
		}
	})
}

// mustNumber is an issued invoice's number.
func (f *fixture) mustNumber(id uuid.UUID) string {
	f.tb.Helper()
	idx := f.index()
	if err := idx.Update(context.Background()); err != nil {
		f.tb.Fatal(err)
	}
	st, ok := idx.Invoice(id)
	if !ok {
		f.tb.Fatalf("no invoice %s", id)
	}
	return st.Number
}
