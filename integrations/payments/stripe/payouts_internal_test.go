package stripe

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	stripego "github.com/stripe/stripe-go/v82"

	"remit/integrations/payments"
)

// TestPayoutLines maps Stripe's balance transactions to payout lines: a
// charge names its PaymentIntent (the reference Remit recorded) and its
// invoice; a refund is negative; a dispute's fee is its own line; the
// payout's own transaction is left out.
func TestPayoutLines(t *testing.T) {
	inv := uuid.MustParse("5b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3")
	minor := func(n int64) decimal.Decimal { return decimal.New(n, -2) }
	bt := func(raw string) *stripego.BalanceTransaction {
		var b stripego.BalanceTransaction
		if err := json.Unmarshal([]byte(raw), &b); err != nil {
			t.Fatal(err)
		}
		return &b
	}
	charge := payoutLines(bt(`{"id":"txn_1","type":"charge","amount":11000,"fee":223,"net":10777,
		"source":{"id":"ch_1","object":"charge","payment_intent":"pi_1","metadata":{"invoice_id":"`+inv.String()+`"}}}`), minor)
	if len(charge) != 1 || charge[0].Kind != payments.LineCharge || charge[0].Reference != "pi_1" || charge[0].InvoiceID != inv ||
		!charge[0].Fee.Equal(decimal.RequireFromString("2.23")) || charge[0].BalanceTransaction != "txn_1" {
		t.Errorf("charge = %+v", charge)
	}
	refund := payoutLines(bt(`{"id":"txn_2","type":"refund","amount":-5500,"fee":0,"net":-5500,"source":{"id":"re_1","object":"refund"}}`), minor)
	if len(refund) != 1 || refund[0].Kind != payments.LineRefund || refund[0].Reference != "re_1" || !refund[0].Net.Equal(decimal.RequireFromString("-55")) {
		t.Errorf("refund = %+v", refund)
	}
	dispute := payoutLines(bt(`{"id":"txn_3","type":"adjustment","amount":-11000,"fee":1500,"net":-12500,"source":{"id":"dp_1","object":"dispute"}}`), minor)
	if len(dispute) != 2 || dispute[0].Kind != payments.LineDispute || !dispute[0].Net.Equal(decimal.RequireFromString("-110")) ||
		dispute[1].Kind != payments.LineDisputeFee || !dispute[1].Net.Equal(decimal.RequireFromString("-15")) || !dispute[1].Fee.IsZero() {
		t.Errorf("dispute = %+v", dispute)
	}
	if own := payoutLines(bt(`{"id":"txn_4","type":"payout","amount":-10777,"fee":0,"net":-10777,"source":{"id":"po_1","object":"payout"}}`), minor); len(own) != 0 {
		t.Errorf("the payout's own transaction = %+v", own)
	}
}
