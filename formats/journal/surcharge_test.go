package journal_test

import (
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"remit/formats/journal"
)

// TestSurchargeBooked: a card surcharge added with its payment is booked
// as revenue and tax against the client's receivable, and the payment
// clears the whole (balance + surcharge), so the invoice owes nothing.
// (The hledger --strict and reconcile tests check the same journal.)
func TestSurchargeBooked(t *testing.T) {
	w := MustWorld(t)
	j := MustBuild(t, w.store, journal.Options{})
	i := slices.IndexFunc(j.Transactions, func(tx journal.Transaction) bool {
		return tx.EventType == "InvoiceSurchargeAdded" && tx.InvoiceID == w.surcharged
	})
	if i < 0 {
		t.Fatal("the surcharge is not in the journal")
	}
	tx := j.Transactions[i]
	want := map[string]string{journal.AccountRevenue: "-3.3", journal.AccountTaxPayable: "-0.33"}
	for _, p := range tx.Postings {
		if p.ClientID != w.twin {
			if w, ok := want[p.Account]; !ok || !p.Amount.Equal(decimal.RequireFromString(w)) {
				t.Errorf("posting %s %s, want %v", p.Account, p.Amount, want)
			}
		} else if !p.Amount.Equal(decimal.RequireFromString("3.63")) {
			t.Errorf("receivable %s, want 3.63", p.Amount)
		}
		if tx.Narration != "Card surcharge (1.50%)" {
			t.Errorf("narration %q", tx.Narration)
		}
	}
	owed := decimal.Zero
	for _, tx := range j.Transactions {
		if tx.InvoiceID != w.surcharged {
			continue
		}
		for _, p := range tx.Postings {
			if p.ClientID == w.twin {
				owed = owed.Add(p.Amount)
			}
		}
	}
	if !owed.IsZero() {
		t.Errorf("the surcharged invoice's receivable is %s after its payment, want 0", owed)
	}
}
