package demo_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"remit/domain/catalog"
	"remit/domain/invoice"
	"remit/domain/payout"
	"remit/eventstore"
)

// TestDemoPayouts: the demo's collected payments are paid out two days
// later with the sandbox's fees, each charge once, every payout adding up;
// the refund, the dispute and its fee come out of the payouts of their days.
func TestDemoPayouts(t *testing.T) {
	st, _ := MustLoad(t, 42)
	recs, err := st.ReadAll(context.Background(), 0, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"PayoutRecorded", "InvoicePaymentSucceeded"}})
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.New()
	collected := map[string]decimal.Decimal{}
	settled := map[string]int{}
	takenBack := map[payout.Kind]int{}
	payouts := 0
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			t.Fatal(err)
		}
		switch e := e.(type) {
		case invoice.InvoicePaymentSucceeded:
			collected[e.GatewayReference] = e.Amount.Amount
		case payout.PayoutRecorded:
			payouts++
			sum, fees := decimal.Zero, decimal.Zero
			for _, l := range e.Lines {
				sum, fees = sum.Add(l.Net), fees.Add(l.Fee)
				if l.Kind != payout.KindCharge {
					// a refund, a dispute or its fee: money taken back, no fee
					takenBack[l.Kind]++
					if !l.Gross.IsNegative() || !l.Fee.IsZero() || !l.Net.Equal(l.Gross) {
						t.Errorf("payout %s line %+v: money taken back is negative, with no fee", e.Reference, l)
					}
					continue
				}
				settled[l.Reference]++
				if c, ok := collected[l.Reference]; !ok || !c.Equal(l.Gross) || !l.Fee.IsPositive() || l.InvoiceID.String() == "" {
					t.Errorf("payout %s line %+v: collected %s (%v)", e.Reference, l, c, ok)
				}
			}
			if !sum.Equal(e.Amount) || !fees.Equal(e.Fees) {
				t.Errorf("payout %s: amount %s, fees %s, lines net %s and fees %s", e.Reference, e.Amount, e.Fees, sum, fees)
			}
		}
	}
	if payouts < 10 {
		t.Errorf("the demo made %d payouts over a year of collections", payouts)
	}
	// The demo's refund, dispute and lost dispute's fee come out of payouts.
	if takenBack[payout.KindRefund] != 1 || takenBack[payout.KindDispute] != 1 || takenBack[payout.KindDisputeFee] != 1 {
		t.Errorf("money taken back in payouts: %v", takenBack)
	}
	for ref, n := range settled {
		if n != 1 {
			t.Errorf("charge %s settled %d times", ref, n)
		}
	}
}
