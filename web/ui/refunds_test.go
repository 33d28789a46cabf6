package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain/invoice"
)

// TestInvoicePageShowsADispute: a disputed card payment shows on the
// invoice page as disputed and awaiting payment, with the amount and the
// reason, and the Refund action is not offered while it is open; once lost
// the page says so with the fee.
func TestInvoicePageShowsADispute(t *testing.T) {
	a := newApp(t)
	bg := context.Background()
	inv := a.mustInvoice(a.mustClient("Acme"), "100")
	a.wait(must(a.svc.RecordCollectionAttempt(bg, billing.InvoiceRequest{InvoiceID: inv, AttemptID: uuid.New(), Outcome: invoice.AttemptSucceeded,
		GatewayReference: "ch_1", Amount: decimal.RequireFromString("110")}, a.meta())))
	page := "/invoices/" + inv.String()
	if body := a.get(page).Body; !strings.Contains(body, `href="/invoices/`+inv.String()+`/refund"`) {
		t.Fatal("a paid invoice offers no Refund")
	}
	report := billing.DisputeReport{InvoiceID: inv, ChargeReference: "ch_1", GatewayDisputeReference: "dp_1", Amount: decimal.RequireFromString("110"), Reason: "product_not_received"}
	a.wait(must(a.svc.RecordDispute(bg, report, a.meta())))
	body := a.get(page).Body
	for _, want := range []string{`id="disputed"`, "Awaiting payment", "Open: awaiting payment", "110.00", "Product not received"} {
		if !strings.Contains(body, want) {
			t.Errorf("the disputed invoice's page lacks %q", want)
		}
	}
	if strings.Contains(body, `/refund"`) {
		t.Error("a payment under dispute is offered for refund")
	}
	report.Outcome, report.Fee = invoice.DisputeLost, decimal.RequireFromString("15")
	a.wait(must(a.svc.RecordDispute(bg, report, a.meta())))
	body = a.get(page).Body
	if !strings.Contains(body, "payment reversed") || !strings.Contains(body, "15.00") || strings.Contains(body, `id="disputed"`) {
		t.Error("the lost dispute is not shown as reversed with its fee")
	}
}

// TestRefundFormOffersTheGatewayPayments: the Refund form lets staff pick
// which card payment to refund, newest first, each with what is left of it
// (a payment refunded in part says so; one refunded in full and an offline
// payment are not offered), instead of typing the gateway's reference.
func TestRefundFormOffersTheGatewayPayments(t *testing.T) {
	a := newApp(t)
	bg := context.Background()
	inv := a.mustInvoice(a.mustClient("Acme"), "100") // 110.00 with tax
	for _, p := range []struct{ ref, amount string }{{"ch_first", "40"}, {"ch_second", "30"}, {"ch_third", "20"}} {
		a.wait(must(a.svc.RecordCollectionAttempt(bg, billing.InvoiceRequest{InvoiceID: inv, AttemptID: uuid.New(), Outcome: invoice.AttemptSucceeded,
			GatewayReference: p.ref, Amount: decimal.RequireFromString(p.amount)}, a.meta())))
	}
	a.wait(must(a.svc.RecordOfflinePayment(bg, billing.InvoiceRequest{InvoiceID: inv, Amount: decimal.RequireFromString("20"), Method: "cash"}, a.meta())))
	refund := func(ref, amount string) {
		t.Helper()
		amt := decimal.RequireFromString(amount)
		plan := must(a.svc.PlanRefund(bg, billing.RefundRequest{InvoiceID: inv, RefundID: uuid.New(), ChargeReference: ref, Amount: &amt, Reason: "Goodwill"}, a.meta()))
		a.wait(must(a.svc.RecordRefund(bg, plan, "re_"+ref, a.meta())))
	}
	refund("ch_first", "15")
	refund("ch_third", "20")

	body := a.get("/invoices/" + inv.String() + "/refund").Body
	at := strings.Index(body, `<select id="f-charge_reference"`)
	if at < 0 {
		t.Fatalf("the Refund form has no choice of payment:\n%s", body)
	}
	sel := body[at:]
	sel = sel[:strings.Index(sel, "</select>")]
	second := strings.Index(sel, `<option value="ch_second">A$30.00 paid 10 Mar 2025 (ch_second)</option>`)
	first := strings.Index(sel, `<option value="ch_first">A$40.00 paid 10 Mar 2025 (ch_first), A$25.00 left to refund</option>`)
	if second < 0 || first < 0 || first < second {
		t.Errorf("the form does not offer the second payment, then the first with what is left of it:\n%s", sel)
	}
	if strings.Contains(sel, "ch_third") || strings.Contains(sel, "cash") || strings.Count(sel, "<option") != 2 {
		t.Errorf("the form offers a payment refunded in full, or an offline one:\n%s", sel)
	}
}
