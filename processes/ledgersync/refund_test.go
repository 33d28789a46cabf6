package ledgersync_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
)

// TestRefundCreditNoteIsPushedUnallocated: a refund's credit note goes to
// the ledger as a credit not allocated to the (paid) invoice, which the
// ledgers would refuse; an ordinary credit note is still allocated.
func TestRefundCreditNoteIsPushedUnallocated(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	ctx := context.Background()
	paid := f.issue()
	f.ok(f.svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: paid, Outcome: invoice.AttemptSucceeded,
		GatewayReference: "ch_1", Amount: decimal.NewFromInt(1100), Date: domain.MustDate(2026, 3, 9)}, f.meta()))
	half := decimal.NewFromInt(550)
	m := f.meta()
	plan, err := f.svc.PlanRefund(ctx, billing.RefundRequest{InvoiceID: paid, Amount: &half, Reason: "cancelled"}, m)
	if err != nil {
		t.Fatal(err)
	}
	f.ok(f.svc.RecordRefund(ctx, plan, "re_1", m))
	open := f.issue()
	f.credit(open, "100")
	f.catchUp(f.sync(f.xero))

	var refundCredit, goodwill bool
	f.xero.mu.Lock()
	defer f.xero.mu.Unlock()
	for _, d := range f.xero.docs {
		if d.kind != "credit_note" {
			continue
		}
		switch d.credit.InvoiceNumber {
		case "INV-000001":
			refundCredit = d.credit.InvoiceLedgerID == "" && d.credit.Total.Amount.Equal(half)
		case "INV-000002":
			goodwill = d.credit.InvoiceLedgerID != ""
		}
	}
	if !refundCredit || !goodwill {
		t.Fatalf("refund's credit note unallocated: %v; goodwill credit allocated: %v", refundCredit, goodwill)
	}
}
