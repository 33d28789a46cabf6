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
