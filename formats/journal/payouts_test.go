package journal_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"remit/formats/journal"
)

// TestPayoutsSettleTheClearingAccount: the demo's payouts move each day's
// collected payments out of the clearing account, their fees to
// Expenses:Payment-Fees and the net to the bank, so the clearing account
// holds only what was collected in the last days and not yet paid out
// (collected − fees − refunds − paid out), and every charge a payout
// settles is one Remit collected.
func TestPayoutsSettleTheClearingAccount(t *testing.T) {
	w := MustWorld(t)
	j := MustBuild(t, w.store, journal.Options{})
	i := slices.IndexFunc(j.Transactions, func(tx journal.Transaction) bool { return tx.EventType == "PayoutRecorded" })
	if i < 0 {
		t.Fatal("the demo's payouts are not in the journal")
	}
	tx := j.Transactions[i]
	if len(tx.Postings) != 3 || tx.Postings[0].Account != journal.AccountBank || tx.Postings[1].Account != journal.AccountPaymentFees ||
		tx.Postings[2].Account != journal.AccountGateway || !tx.Postings[1].Amount.IsPositive() ||
		!tx.Postings[2].Amount.Equal(tx.Postings[0].Amount.Add(tx.Postings[1].Amount).Neg()) {
		t.Errorf("payout postings %+v", tx.Postings)
	}
	if !strings.HasPrefix(tx.InvoiceNumber, "po_sandbox_") || tx.Narration != "payout" {
		t.Errorf("payout transaction %+v", tx)
	}
	if diffs := j.CheckClearing(); len(diffs) != 0 {
		t.Fatalf("the clearing account does not reconcile:\n%s", strings.Join(diffs, "\n"))
	}
	// What is left in clearing is less than what was collected (the
	// payouts took the rest out), and not negative.
	for code, m := range j.Clearing() {
		if m.IsNegative() {
			t.Errorf("clearing %s is negative: %s", code, m)
		}
	}

	// A tampered payout line: the fee booked a cent more, so the clearing
	// account no longer equals collected − fees − refunds − paid out.
	j = MustBuild(t, w.store, journal.Options{})
	j.Transactions[slices.IndexFunc(j.Transactions, func(tx journal.Transaction) bool { return tx.EventType == "PayoutRecorded" })].
		Postings[2].Amount = tx.Postings[2].Amount.Sub(decimal.RequireFromString("0.01"))
	diffs := j.CheckClearing()
	if len(diffs) != 1 || !strings.Contains(diffs[0], "clearing account Assets:Clearing:Gateway") || !strings.Contains(diffs[0], "collected − fees − refunds − paid out") {
		t.Errorf("a tampered payout posting reported as:\n%s", strings.Join(diffs, "\n"))
	}

	// A payout line settling more than Remit collected for its charge.
	j = MustBuild(t, w.store, journal.Options{})
	k := slices.IndexFunc(j.Flows, func(f journal.Flow) bool { return f.Kind == journal.FlowSettled })
	j.Flows[k].Amount.Amount = j.Flows[k].Amount.Amount.Add(decimal.NewFromInt(1))
	diffs = j.CheckClearing()
	if len(diffs) != 1 || !strings.Contains(diffs[0], "payout line "+j.Flows[k].Reference) || !strings.Contains(diffs[0], "but Remit collected") {
		t.Errorf("a tampered payout line reported as:\n%s", strings.Join(diffs, "\n"))
	}
}
