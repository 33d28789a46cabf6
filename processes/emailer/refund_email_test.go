package emailer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
)

// TestRefundEmailsTheClient: a refund staff made through the gateway emails
// the client the amount, the date and the reason, once however often the
// outbox replays the log.
func TestRefundEmailsTheClient(t *testing.T) {
	f := newFixture(t)
	ob := f.outbox(nil)
	invoiceID := f.issue()
	f.collected(invoiceID, 1100) // charged as ch_1
	f.refunded(invoiceID, 550, "Half the work was cancelled")
	f.catchUp(ob)
	f.catchUp(f.outbox(nil)) // a restarted outbox sends nothing again
	m := f.only("Refund of")
	if len(m.To) != 1 || m.To[0].Address != "ana@harbour.example" {
		t.Fatalf("the refund email went to %+v, want the client's billing contact", m.To)
	}
	contains(t, "refund email", m.Text, "INV-000001", "550.00 AUD", "Half the work was cancelled", "card or bank account you paid with")
	// The refund's credit note is told by the refund's email alone.
	for _, s := range f.mp.Messages() {
		if strings.Contains(s.Subject, "Credit note") {
			t.Errorf("a refund's credit note was emailed on its own: %q", s.Subject)
		}
	}
}

// TestCreditNoteEmailsTheClient: a credit note staff issued on its own
// emails the client its number (after the refund's, which counts), amount,
// reason and what is left to pay, once however often the outbox replays
// the log.
func TestCreditNoteEmailsTheClient(t *testing.T) {
	f := newFixture(t)
	ob := f.outbox(nil)
	ctx := context.Background()
	invoiceID := f.issue()
	f.collected(invoiceID, 500) // charged as ch_1
	f.refunded(invoiceID, 100, "Overcharged")
	f.ok(f.svc.IssueCreditNote(ctx, billing.InvoiceRequest{InvoiceID: invoiceID, Amount: decimal.NewFromInt(200), Reason: "Loyalty discount"}, f.meta()))
	f.catchUp(ob)
	f.catchUp(f.outbox(nil)) // a restarted outbox sends nothing again
	m := f.only("Credit note")
	if len(m.To) != 1 || m.To[0].Address != "ana@harbour.example" {
		t.Fatalf("the credit note email went to %+v, want the client's billing contact", m.To)
	}
	if m.Subject != "Credit note INV-000001-CN2 for invoice INV-000001" {
		t.Errorf("subject %q", m.Subject)
	}
	contains(t, "credit note email", m.Text, "credit note INV-000001-CN2 of 200.00 AUD against invoice INV-000001", "Loyalty discount", "400.00 AUD is left to pay",
		"Pay it now by card or bank account: ") // nothing charges the rest after the collection was taken
	contains(t, "credit note email (HTML)", m.HTML, "Pay it now by card or bank account")
	if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "application/pdf" || m.Attachments[0].FileName != "INV-000001-CN2.pdf" {
		t.Fatalf("attachments = %+v, want the credit note's PDF", m.Attachments)
	}
	contains(t, "the attached PDF", pdfText(t, f.mp.Part(m.ID, m.Attachments[0].PartID)),
		"CREDIT NOTE", "INV-000001-CN2", "Against invoice: INV-000001", "Loyalty discount", "200.00 AUD", "400.00 AUD")

	// On an invoice whose collection is scheduled, the email says when the
	// rest is charged instead.
	second := f.issue()
	f.ok(f.svc.IssueCreditNote(ctx, billing.InvoiceRequest{InvoiceID: second, Amount: decimal.NewFromInt(100), Reason: "Goodwill"}, f.meta()))
	f.catchUp(ob)
	m = f.only("INV-000002-CN1")
	contains(t, "credit note email, collection scheduled", m.Text, "1,000.00 AUD is left to pay", "It is charged on 9 March 2026, as scheduled.")
	if strings.Contains(m.Text, "Pay it now") {
		t.Errorf("an invoice charged automatically got a pay-now link:\n%s", m.Text)
	}
}

// refunded refunds amount of the invoice's ch_1 payment through the
// gateway (as re_1), for reason.
func (f *fixture) refunded(invoiceID uuid.UUID, amount int64, reason string) {
	f.t.Helper()
	a := decimal.NewFromInt(amount)
	plan, err := f.svc.PlanRefund(context.Background(), billing.RefundRequest{InvoiceID: invoiceID, Amount: &a, Reason: reason}, f.meta())
	if err != nil {
		f.t.Fatal(err)
	}
	f.ok(f.svc.RecordRefund(context.Background(), plan, "re_1", f.meta()))
}
