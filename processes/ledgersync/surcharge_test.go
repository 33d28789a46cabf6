package ledgersync_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
)

// TestSurchargePushedAsItsOwnInvoice: an invoice pushed at issue, then
// paid by card with a 1.5 % surcharge (1,100.00 + 16.50 + 1.65 GST): the
// surcharge is pushed as its own invoice INV-000001-S1 (16.50 + 1.65) paid
// by its share, and the invoice's own payment is 1,100.00, so neither
// ledger invoice is overpaid; reconcile finds nothing amiss, and catching
// up again pushes nothing more.
func TestSurchargePushedAsItsOwnInvoice(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	ctx := context.Background()
	inv := f.issue()
	s := f.sync(f.xero)
	f.catchUp(s)
	f.ok(f.svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: inv, Outcome: invoice.AttemptSucceeded, GatewayReference: "ch_1",
		Amount: decimal.RequireFromString("1118.15"), Date: domain.MustDate(2026, 3, 9),
		Surcharge: &invoice.Surcharge{Kind: invoice.SurchargeCard, Percent: decimal.RequireFromString("1.5"), TaxRate: decimal.NewFromInt(10)}}, f.meta()))
	f.catchUp(s)
	f.catchUp(f.sync(f.xero))

	var surInv, surPay, invPay int
	f.xero.mu.Lock()
	for _, d := range f.xero.docs {
		switch {
		case d.kind == "invoice" && d.invoice.Number == "INV-000001-S1":
			surInv++
			if !d.invoice.Total.Amount.Equal(decimal.RequireFromString("18.15")) || len(d.invoice.Lines) != 1 || d.invoice.Lines[0].Description != "Card surcharge (1.50%)" {
				t.Errorf("surcharge invoice %+v", d.invoice)
			}
		case d.kind == "payment" && d.payment.InvoiceNumber == "INV-000001-S1":
			surPay++
			if !d.amount.Amount.Equal(decimal.RequireFromString("18.15")) {
				t.Errorf("surcharge payment %s, want 18.15", d.amount)
			}
		case d.kind == "payment" && d.payment.InvoiceNumber == "INV-000001":
			invPay++
			if !d.amount.Amount.Equal(decimal.RequireFromString("1100")) {
				t.Errorf("invoice payment %s, want 1100.00", d.amount)
			}
		}
	}
	f.xero.mu.Unlock()
	if surInv != 1 || surPay != 1 || invPay != 1 {
		t.Fatalf("surcharge invoices %d, their payments %d, invoice payments %d; want one each", surInv, surPay, invPay)
	}
	if rep := f.reconcile(); len(rep.Differences) != 0 {
		t.Errorf("reconcile: %v", rep.Differences)
	}
}
