package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain/invoice"
)

// TestClientSinceIsADate: the client summary says since when the firm has
// the client as a date in the firm's time zone, with no clock time.
func TestClientSinceIsADate(t *testing.T) {
	a := newApp(t)
	acme := a.mustClient("Acme") // at 20:00 on 10 March 2025 in Sydney
	p := a.get("/clients/" + acme.String())
	mustContain(t, p, "<dt>Client since</dt><dd>10 Mar 2025</dd>")
	if strings.Contains(p.Body, "20:00") || strings.Contains(p.Body, "AEDT") {
		t.Errorf("client summary shows a clock time")
	}
}

// TestDeclineReadsAsASentence: the gateway's decline message is shown with
// its code as a detail, on the staff invoice page and its retry page, and
// the client's link page says why in one sentence with one full stop,
// whether the gateway's message ends in one or not.
func TestDeclineReadsAsASentence(t *testing.T) {
	for _, message := range []string{"Your card was declined.", "Your card was declined"} {
		t.Run(message, func(t *testing.T) {
			a, _ := newLinkApp(t)
			ctx := context.Background()
			acme := a.mustClient("Acme")
			card := a.mustCard(acme, "pm_card_chargeDeclined")
			inv := a.mustInvoice(acme, "100")
			a.wait(must(a.svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: inv, Date: date("2025-03-10"), PaymentMethodID: card}, a.meta())))
			a.wait(must(a.svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: inv, Outcome: invoice.AttemptRejected, Amount: decimal.NewFromInt(110),
				DeclineCode: "card_declined", DeclineMessage: message, PaymentMethodID: card}, a.meta())))

			ip := "/invoices/" + inv.String()
			staff := a.get(ip)
			mustContain(t, staff, "Your card was declined. Gateway code: card_declined")
			mustContain(t, a.get(ip+"/retry"), "Rejected: Your card was declined. Gateway code: card_declined")
			if strings.Contains(staff.Body, "(card_declined)") {
				t.Errorf("the invoice page shows the code in brackets")
			}

			p := a.get(linkOn(t, staff, "method-link"))
			mustContain(t, p, "Your last payment was declined: Your card was declined. Retry it")
			if strings.Contains(p.Body, "declined..") {
				t.Errorf("the client's page ends the decline with two full stops")
			}
		})
	}
}
