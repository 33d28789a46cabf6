package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/projections"
)

// mustDetail is the invoice as its page shows it.
func (a *app) mustDetail(id uuid.UUID) projections.InvoiceDetail {
	a.tb.Helper()
	d, err := a.models.Invoice(context.Background(), id, domain.MustDate(2025, 3, 10))
	if err != nil {
		a.tb.Fatalf("invoice %s: %v", id, err)
	}
	return d
}

// TestCancelCollectionButton: an instant bill to a client with a card shows
// its collection and a "Cancel collection" button; pressing it records the
// cancellation (shown in the audit trail); pressing it again is refused with
// the reason, appending nothing. An invoice with no method says how to pay.
func TestCancelCollectionButton(t *testing.T) {
	a := newApp(t)
	id := a.mustClient("Acme")
	a.mustCard(id, "pm_card_visa")
	inv := a.mustInvoice(id, "1450")
	ip := "/invoices/" + inv.String()
	mustContain(t, a.get(ip), "Payment scheduled", "10 Mar 2025 from", `action="`+ip+`/cancel-collection"`, "Cancel collection")

	before := a.head()
	p := a.mustPost(ip+"/cancel-collection", url.Values{}, "Payment collection cancelled")
	if a.head() != before+1 {
		t.Fatalf("cancel appended %d events, want 1", a.head()-before)
	}
	mustContain(t, p, "Awaiting payment", "payment collection of 10 Mar 2025", "cancelled", "How to pay", "Not charged automatically")
	if strings.Contains(p.Body, `action="`+ip+`/cancel-collection"`) {
		t.Error("the cancel button is still shown with nothing scheduled")
	}
	if d := a.mustDetail(inv); d.Collection != nil || d.StoredStatus != invoice.StatusAwaitingPayment {
		t.Fatalf("after cancel: %s, %+v", d.StoredStatus, d.Collection)
	}

	before = a.head()
	bad := a.post(ip+"/cancel-collection", url.Values{})
	if bad.Status != http.StatusConflict || !strings.Contains(errorsOf(bad.Body), "no payment collection scheduled") {
		t.Fatalf("cancel again = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	if a.head() != before {
		t.Error("a refused cancel appended events")
	}

	// A reason, from the action's own form, is kept in the audit trail.
	a.mustPost(ip+"/collect", url.Values{"date": {"2025-03-12"}}, "Payment collection scheduled.")
	mustContain(t, a.get(ip+"/cancel-collection"), "Cancels the collection of 12 Mar 2025", `name="reason"`)
	p = a.mustPost(ip+"/cancel-collection", url.Values{"reason": {"Client pays by transfer"}}, "Payment collection cancelled")
	mustContain(t, p, "cancelled: Client pays by transfer")

	bare := a.mustInvoice(a.mustClient("Bare"), "100")
	mustContain(t, a.get("/invoices/"+bare.String()), "How to pay", "Not charged automatically: the client pays by bank transfer", "give the firm's account", "quoting INV-000002")
}

// TestChangeMethodAndRetryWhileRetryPending: the card was declined and the
// policy's retry is pending; staff still see the rejected payment, and
// "Change method and retry" replaces the pending retry with one today from
// another card (one collection, never two). "Retry payment now" does the
// same with the method on the invoice.
func TestChangeMethodAndRetryWhileRetryPending(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	id := a.mustClient("Brick")
	declined := a.mustCard(id, "pm_card_chargeDeclined")
	inv := a.mustInvoice(id, "100")
	ip := "/invoices/" + inv.String()
	res, err := a.svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: inv, Outcome: invoice.AttemptRejected, PaymentMethodID: declined,
		DeclineCode: "card_declined", DeclineMessage: "Your card was declined."}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)
	// A rejected payment is retried, not paid by hand: the page offers the
	// retry and does not say the invoice is not charged automatically.
	if p := a.get(ip); !strings.Contains(p.Body, "Retry payment now") || strings.Contains(p.Body, "Not charged automatically") {
		t.Errorf("the rejected invoice's page should offer the retry, not how to pay by hand: %s", p.Body)
	}
	res, err = a.svc.ScheduleRetry(ctx, billing.InvoiceRequest{InvoiceID: inv, Date: domain.MustDate(2025, 3, 13)}, a.meta()) // as the policy does
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)

	mustContain(t, a.get(ip), "Payment rejected", "Your card was declined.", "A retry is scheduled for 13 Mar 2025", "Retry payment now", "Change method and retry", "Cancel retry")
	good := a.mustCard(id, "pm_card_visa")
	mustContain(t, a.get(ip+"/retry"), "Rejected: Your card was declined.", "A retry is scheduled for 13 Mar 2025", "this one replaces it", `name="payment_method_id"`)

	before := a.head()
	p := a.mustPost(ip+"/retry", url.Values{"date": {"2025-03-10"}, "payment_method_id": {good.String()}}, "Payment retry scheduled.")
	if a.head() != before+1 {
		t.Fatalf("change method and retry appended %d events, want 1", a.head()-before)
	}
	d := a.mustDetail(inv)
	if d.Collection == nil || !d.Collection.Retry || d.Collection.Date != domain.MustDate(2025, 3, 10) || d.Collection.PaymentMethodID != good {
		t.Fatalf("collection %+v; want one retry today from the new card", d.Collection)
	}
	mustContain(t, p, "A retry is scheduled for 10 Mar 2025")

	// "Retry payment now" with the same method and day: nothing doubles.
	before = a.head()
	a.mustPost(ip+"/retry", url.Values{"date": {"2025-03-10"}, "payment_method_id": {good.String()}}, "Payment retry scheduled.")
	if a.head() != before {
		t.Errorf("the same retry again appended %d events", a.head()-before)
	}
}

// TestClientLinkPaysAnInvoiceWithNoMethod: an invoice issued with no method
// on file says how to pay and offers the client a link; the client adds a
// card through it and has the invoice charged to it today.
func TestClientLinkPaysAnInvoiceWithNoMethod(t *testing.T) {
	a, _ := newLinkApp(t)
	id := a.mustClient("Bare")
	inv := a.mustInvoice(id, "100")
	staff := a.get("/invoices/" + inv.String())
	mustContain(t, staff, "Not charged automatically", "pay this invoice with it")
	link := linkOn(t, staff, "method-link")
	p := a.get(link)
	mustContain(t, p, "Nothing is set to charge this invoice", "quoting INV-000001", "Pay invoice INV-000001 (A$110.00) with this method")

	r := a.post(link, url.Values{"retry": {"on"}, "retry_on": {"2025-03-10"}, "_token": {hiddenToken(t, p.Body)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add a card and pay = %d: %s", r.Status, errorsOf(r.Body))
	}
	mustContain(t, a.throughGateway(r.Location, testCard("4242424242424242")), "Invoice INV-000001 will be charged today to it.")
	d := a.mustDetail(inv)
	if d.Collection == nil || d.Collection.Retry || d.Collection.Date != domain.MustDate(2025, 3, 10) || d.StoredStatus != invoice.StatusPaymentScheduled {
		t.Fatalf("collection %+v (%s), want it charged today to the new card", d.Collection, d.StoredStatus)
	}
}
