package journal_test

import (
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"remit/formats/journal"
)

// TestRefundAndDispute: the demo's refund takes the money back out of the
// clearing account against the receivable, and its credit note reverses
// revenue and tax; the demo's lost dispute withdraws the payment from
// clearing and books the fee to Expenses:Payment-Fees. (The hledger and
// reconcile tests check the same journal balances and agrees.)
func TestRefundAndDispute(t *testing.T) {
	w := MustWorld(t)
	j := MustBuild(t, w.store, journal.Options{})
	byType := func(typ string) journal.Transaction {
		t.Helper()
		i := slices.IndexFunc(j.Transactions, func(tx journal.Transaction) bool { return tx.EventType == typ })
		if i < 0 {
			t.Fatalf("the demo's %s is not in the journal", typ)
		}
		return j.Transactions[i]
	}
	refund := byType("InvoicePaymentRefunded")
	if len(refund.Postings) != 2 || refund.Postings[0].Account != journal.AccountGateway || !refund.Postings[0].Amount.IsNegative() ||
		!refund.Postings[1].Amount.Equal(refund.Postings[0].Amount.Neg()) || refund.Postings[1].ClientID != refund.ClientID {
		t.Errorf("refund postings %+v", refund.Postings)
	}
	i := slices.IndexFunc(j.Transactions, func(tx journal.Transaction) bool {
		return tx.EventType == "InvoiceCreditNoteIssued" && tx.InvoiceID == refund.InvoiceID
	})
	if i < 0 {
		t.Fatal("the refund's credit note is not in the journal")
	}
	disputed := byType("InvoicePaymentDisputed")
	if disputed.Postings[0].Account != journal.AccountGateway || !disputed.Postings[0].Amount.IsNegative() {
		t.Errorf("dispute postings %+v", disputed.Postings)
	}
	lost := byType("InvoiceDisputeClosed")
	if len(lost.Postings) != 2 || lost.Postings[0].Account != "Expenses:Payment-Fees" || !lost.Postings[0].Amount.Equal(decimal.RequireFromString("15")) ||
		lost.Postings[1].Account != journal.AccountGateway {
		t.Errorf("lost dispute postings %+v", lost.Postings)
	}
}
