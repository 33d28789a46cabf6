package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain/invoice"
	"remit/processes/billingrun"
	"remit/web/ui"
)

// TestCollectionsActionsReturnOnlyThere: an action form opened from the
// collections page carries the page (filters kept) and returns to it with
// the confirmation naming the invoice; a "back" leading anywhere else is
// ignored and the form returns to the invoice, so no link can use Remit's
// forms to send staff off the site. A failed action stays on its form,
// with the way back, and records nothing.
func TestCollectionsActionsReturnOnlyThere(t *testing.T) {
	a := newApp(t)
	c := a.mustClient("Acme")
	inv := a.mustInvoice(c, "100")
	ip := "/invoices/" + inv.String()
	back := "/collections?q=acme"

	form := a.get(ip + "/write-off?back=" + url.QueryEscape(back))
	if !strings.Contains(form.Body, `name="back" value="/collections?q=acme"`) || !strings.Contains(form.Body, `href="/collections?q=acme">Cancel`) {
		t.Fatalf("the write-off form opened from collections does not lead back there:\n%s", form.Body)
	}
	for _, evil := range []string{"https://evil.test/", "//evil.test/collections", "/clients", "/collectionsx"} {
		if f := a.get(ip + "/write-off?back=" + url.QueryEscape(evil)); strings.Contains(f.Body, `name="back"`) {
			t.Errorf("back=%s is kept by the form", evil)
		}
	}

	head := a.head()
	bad := a.post(ip+"/retry", url.Values{"date": {"not a date"}, "back": {back}})
	if bad.Status == http.StatusSeeOther || !strings.Contains(bad.Body, `name="back" value="/collections?q=acme"`) || a.head() != head {
		t.Errorf("a refused retry: %d, appended %d, form keeps the way back: %v", bad.Status, a.head()-head, strings.Contains(bad.Body, `name="back"`))
	}

	p := a.post(ip+"/write-off", url.Values{"reason": {"Gone"}, "back": {"https://evil.test/"}})
	if p.Status != http.StatusSeeOther || p.Location != ip {
		t.Errorf("write-off with a foreign back: %d to %q, want 303 to the invoice", p.Status, p.Location)
	}
	inv2 := a.mustInvoice(c, "50")
	done := a.mustPost("/invoices/"+inv2.String()+"/write-off", url.Values{"reason": {"Gone"}, "back": {back}}, "Balance written off.")
	if done.Location != back || !strings.Contains(done.Body, "<h1>Collections</h1>") {
		t.Errorf("write-off from collections returned to %q", done.Location)
	}
}

// newCollectingApp is newApp whose "Retry now" charges through the sandbox
// gateway (billingrun.CollectNow), as remit serve wires it.
func newCollectingApp(t *testing.T) *app {
	t.Helper()
	var a *app
	a = newBareApp(t, func(c *ui.Config) {
		c.CollectNow = func(ctx context.Context, invoiceID, methodID uuid.UUID, meta billing.Meta) (billingrun.NowOutcome, error) {
			return billingrun.CollectNow(ctx, a.svc, a.gw, invoiceID, methodID, meta)
		}
	})
	a.mustSetUpFirm()
	return a
}

// mustDeclined records a declined collection attempt on an invoice, as a
// failed payment shows on the collections page.
func (a *app) mustDeclined(inv, method uuid.UUID) {
	a.tb.Helper()
	res, err := a.svc.RecordCollectionAttempt(context.Background(), billing.InvoiceRequest{InvoiceID: inv, AttemptID: uuid.New(), Outcome: invoice.AttemptRejected,
		PaymentMethodID: method, DeclineCode: "insufficient_funds", DeclineMessage: "The card has insufficient funds."}, a.meta())
	if err != nil {
		a.tb.Fatal(err)
	}
	a.wait(res)
}

// TestCollectionsRetryNowChargesOnce: "Retry now" on a failed payment's row
// charges the card on the spot through the sandbox gateway and returns to
// the page (filters kept) saying the invoice is paid; the same form sent
// again (a double click, a retried request) charges nothing more and
// appends nothing. A card that declines again says so, with the reason.
// "Pause reminders" on the row pauses them and the row then offers
// "Resume reminders".
func TestCollectionsRetryNowChargesOnce(t *testing.T) {
	a := newCollectingApp(t)
	back := "/collections?currency=AUD"
	bravo := a.mustClient("Bravo")
	card := a.mustCard(bravo, "pm_card_visa")
	inv := a.mustInvoice(bravo, "200") // A$220.00
	a.mustDeclined(inv, card)
	charges := func() int {
		cs, err := a.gw.Charges()
		if err != nil {
			t.Fatal(err)
		}
		return len(cs)
	}
	before := charges()
	page := a.get(back)
	mustContain(t, page, `action="/invoices/`+inv.String()+`/retry-now"`, "Pause reminders")

	form := url.Values{"_token": {uuid.NewString()}, "back": {back}}
	done := a.mustPost("/invoices/"+inv.String()+"/retry-now", form, "paid: A$220.00 charged now.")
	if done.Location != back {
		t.Errorf("retry now returned to %q, want %q", done.Location, back)
	}
	if n := charges() - before; n != 1 {
		t.Errorf("%d charges after retry now, want 1", n)
	}
	head := a.head()
	again := a.post("/invoices/"+inv.String()+"/retry-now", form)
	if again.Status != http.StatusSeeOther || charges()-before != 1 || a.head() != head {
		t.Errorf("the same form again: %d, %d charges, appended %d; want nothing more", again.Status, charges()-before, a.head()-head)
	}

	delta := a.mustClient("Delta")
	poor := a.mustCard(delta, "pm_card_chargeDeclinedInsufficientFunds")
	inv2 := a.mustInvoice(delta, "100")
	a.mustDeclined(inv2, poor)
	a.mustPost("/invoices/"+inv2.String()+"/retry-now", url.Values{"back": {back}}, "the retry was declined: Your card has insufficient funds.")

	p := a.mustPost("/invoices/"+inv2.String()+"/pause-reminders", url.Values{"back": {back}}, "Reminders paused")
	mustContain(t, p, `action="/invoices/`+inv2.String()+`/resume-reminders"`, "Resume reminders")
	a.mustPost("/invoices/"+inv2.String()+"/resume-reminders", url.Values{"back": {back}}, "Reminders resumed")
}

// number is an invoice's number.
func (a *app) number(id uuid.UUID) string {
	a.tb.Helper()
	st, _, err := a.svc.InvoiceNow(context.Background(), id)
	if err != nil {
		a.tb.Fatal(err)
	}
	return st.Number
}

// mustOverdue issues an invoice of A$330.00 dated issued (YYYY-MM-DD),
// nothing collecting it: overdue once its 14 days have passed.
func (a *app) mustOverdue(clientID uuid.UUID, issued string) uuid.UUID {
	a.tb.Helper()
	res, err := a.svc.IssueInvoice(context.Background(), billing.IssueInvoiceRequest{ClientID: clientID, IssueDate: date(issued), Lines: []billing.InstantLine{
		{Description: "Year-end accounts", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.RequireFromString("300"), TaxRate: decimal.NewFromInt(10)},
	}}, a.meta())
	if err != nil {
		a.tb.Fatal(err)
	}
	a.wait(res)
	return res.ID
}
