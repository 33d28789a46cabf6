package projections

import (
	"context"
	"testing"

	"remit/domain/invoice"
)

// TestInvoiceRefundsAndDisputes: the invoices read model lists a refund
// with its credit note and a dispute with its outcome, keeps the
// outstanding amount (a lost dispute leaves the invoice owing), and
// reconcile finds every invoice's money adding up.
func TestInvoiceRefundsAndDisputes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	at := e.clock.Now()
	l := line(t, "Advice", "100", advice, "")
	refunded, disputed := issued(t, inv1, acme, "INV-000001", today, today, l), issued(t, inv2, acme, "INV-000002", today, today, l)
	e.MustAppend(invoice.StreamName(inv1), "staff", refunded,
		invoice.InvoicePaymentSucceeded{InvoiceID: inv1, AttemptID: id("attempt/1"), GatewayReference: "ch_1", Amount: aus("110"), Date: today, At: at},
		invoice.InvoicePaymentRefunded{InvoiceID: inv1, RefundID: id("refund/1"), GatewayReference: "ch_1", GatewayRefundReference: "re_1",
			Amount: aus("55"), Reason: "half", CreditNoteID: id("cn/1"), Date: today, At: at},
		invoice.InvoiceCreditNoteIssued{InvoiceID: inv1, CreditNoteID: id("cn/1"), Amount: aus("55"), Reason: "Refund: half", At: at})
	e.MustAppend(invoice.StreamName(inv2), "staff", disputed,
		invoice.InvoicePaymentSucceeded{InvoiceID: inv2, AttemptID: id("attempt/2"), GatewayReference: "ch_2", Amount: aus("110"), Date: today, At: at},
		invoice.InvoicePaymentDisputed{InvoiceID: inv2, DisputeID: id("dispute/1"), GatewayReference: "ch_2", GatewayDisputeReference: "dp_1",
			Amount: aus("110"), Reason: "fraudulent", Date: today, At: at},
		invoice.InvoiceDisputeClosed{InvoiceID: inv2, DisputeID: id("dispute/1"), GatewayReference: "ch_2", GatewayDisputeReference: "dp_1",
			Outcome: invoice.DisputeLost, Amount: aus("110"), Fee: aus("15"), Date: today, At: at})
	m := e.MustModels()

	d := ok(m.Invoice(ctx, inv1, today))
	if len(d.Refunds) != 1 || d.Refunds[0].CreditNoteID != id("cn/1") || len(d.CreditNotes) != 1 || !d.Balance.IsZero() ||
		d.StoredStatus != invoice.StatusPaid || !d.Refunded.Amount.Equal(dec("55")) {
		t.Fatalf("refunded invoice: refunds %+v, credit notes %d, balance %s, status %s", d.Refunds, len(d.CreditNotes), d.Balance, d.StoredStatus)
	}
	d = ok(m.Invoice(ctx, inv2, today))
	if len(d.Disputes) != 1 || d.Disputes[0].Outcome != invoice.DisputeLost || !d.Disputes[0].Fee.Amount.Equal(dec("15")) ||
		!d.Balance.Amount.Equal(dec("110")) || d.StoredStatus != invoice.StatusAwaitingPayment {
		t.Fatalf("disputed invoice: disputes %+v, balance %s, status %s", d.Disputes, d.Balance, d.StoredStatus)
	}
	rep := ok(Reconcile(ctx, e.store, m))
	for _, mm := range rep.Mismatches {
		if mm.Check != "invoice-number" {
			t.Errorf("reconcile: %+v", mm)
		}
	}

}
