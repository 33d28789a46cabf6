package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"remit/domain/invoice"
	"remit/processes/billingrun"
	"remit/web/ui"
)

// newChargingLinkApp is newLinkApp whose client links charge a payment
// asked for today on the spot (billingrun.AttemptDueNow through the
// sandbox gateway), as remit serve wires them.
func newChargingLinkApp(t *testing.T) *app {
	t.Helper()
	a, _ := newLinkAppWith(t, "", func(a *app, c *ui.Config) {
		c.AttemptDueNow = func(ctx context.Context, invoiceID uuid.UUID, actor string) (billingrun.NowOutcome, error) {
			return billingrun.AttemptDueNow(ctx, a.svc, a.gw, invoiceID, actor)
		}
	})
	return a
}

// TestClientLinkChargesTodayOnTheSpot: a client who adds a card on their
// link and asks for the invoice to be paid today is charged then, and told
// what came of it: paid, or declined with the bank's reason (the invoice
// then waits for their retry), not "will be charged today" while the charge
// waits for tomorrow's run. Retrying today with a card on file charges at
// once too; a charge put off to a later date is only scheduled.
func TestClientLinkChargesTodayOnTheSpot(t *testing.T) {
	a := newChargingLinkApp(t)
	const today = "2025-03-10" // now, in the firm's Sydney
	addCardAndPay := func(inv uuid.UUID, card, on string) page {
		t.Helper()
		link := linkOn(t, a.get("/invoices/"+inv.String()), "method-link")
		p := a.get(link)
		r := a.post(link, url.Values{"retry": {"on"}, "retry_on": {on}, "_token": {hiddenToken(t, p.Body)}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("add a card and pay = %d: %s", r.Status, errorsOf(r.Body))
		}
		return a.throughGateway(r.Location, testCard(card))
	}

	paid := a.mustInvoice(a.mustClient("Acme"), "100")
	mustContain(t, addCardAndPay(paid, "4242424242424242", today), "Visa •••• 4242", "is on file", "Invoice INV-000001 is paid; a receipt is on its way.")
	if d := a.mustDetail(paid); d.StoredStatus != invoice.StatusPaid || len(d.Attempts) != 1 {
		t.Fatalf("status %s after %d attempts, want paid by one charge", d.StoredStatus, len(d.Attempts))
	}

	globex := a.mustClient("Globex")
	declined := a.mustInvoice(globex, "250")
	mustContain(t, addCardAndPay(declined, "4000000000009995", today), "Visa •••• 9995", "The payment of invoice INV-000002 was declined: Your card has insufficient funds.", "try another card")
	if d := a.mustDetail(declined); d.StoredStatus != invoice.StatusPaymentRejected {
		t.Fatalf("status %s, want the payment rejected", d.StoredStatus)
	}
	// The client adds a good card alongside and retries with it today.
	link := linkOn(t, a.get("/invoices/"+declined.String()), "method-link")
	p := a.get(link)
	r := a.post(link, url.Values{"_token": {hiddenToken(t, p.Body)}})
	a.throughGateway(r.Location, testCard("5555555555554444"))
	var good uuid.UUID
	sum, err := a.models.Summary(context.Background(), globex, date(today))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range sum.PaymentMethods {
		if m.Last4 == "4444" {
			good = m.ID
		}
	}
	p = a.get(link)
	r = a.post(link, url.Values{"do": {"retry"}, "retry_method": {good.String()}, "retry_date": {today}, "_token": {hiddenToken(t, p.Body)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("retry with the card on file = %d: %s", r.Status, errorsOf(r.Body))
	}
	mustContain(t, a.get(r.Location), "Invoice INV-000002 is paid; a receipt is on its way.")
	if d := a.mustDetail(declined); d.StoredStatus != invoice.StatusPaid {
		t.Fatalf("status %s after the retry today, want paid", d.StoredStatus)
	}

	later := a.mustInvoice(a.mustClient("Initech"), "80")
	mustContain(t, addCardAndPay(later, "4242424242424242", "2025-03-12"), "Invoice INV-000003 will be charged on 12 Mar 2025")
	if d := a.mustDetail(later); d.StoredStatus != invoice.StatusPaymentScheduled || len(d.Attempts) != 0 {
		t.Fatalf("status %s after %d attempts, want scheduled and not charged", d.StoredStatus, len(d.Attempts))
	}
}
