package gateways_test

import (
	"context"
	"net/http/httptest"
	neturl "net/url"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/domain/invoice"
	"remit/integrations/payments"
	"remit/integrations/payments/gateways"
)

// TestPayNowByBankInOneTabAndCardInTheOtherRefundsTheSecond: with a card
// surcharge the pay-now page opens one session per way of paying. A client
// starts a BECS debit in one tab and pays by card in the other: the card
// payment settles the invoice; when the debit clears days later the invoice
// has nothing left to pay, so the gateway refunds it in full at once and
// the invoice records that, once, however often the webhook says so. The
// client is charged once.
func TestPayNowByBankInOneTabAndCardInTheOtherRefundsTheSecond(t *testing.T) {
	f := newFixture(t)
	f.surcharging("1.5", "0")
	ctx := context.Background()
	clk := &movable{at: time.Now()}
	o, err := gateways.Start(gateways.Config{DataDir: t.TempDir(), Store: f.store, Billing: f.svc, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Sandbox.Close()
	inv := f.mustUncollected()
	byBank, byCard := payRequest(inv, false), payRequest(inv, false)
	byBank.Kind, byCard.Kind = gateways.PayByBank, gateways.PayByCard
	bank, err := o.PayNow.Start(ctx, byBank)
	if err != nil {
		t.Fatal(err)
	}
	card, err := o.PayNow.Start(ctx, byCard)
	if err != nil || card.ID == bank.ID {
		t.Fatalf("the card tab got %q (%v)", card.ID, err)
	}
	if _, err := o.Sandbox.CompleteForTest(ctx, bank.ID, payments.TypeAUBECS, neturl.Values{
		"bsb": {"000-000"}, "account_number": {"000123456"}, "name": {"Acme"}, "mandate": {"agree"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Sandbox.CompleteForTest(ctx, card.ID, payments.TypeCard, neturl.Values{"number": {"4242 4242 4242 4242"}, "expiry": {"12/30"}, "cvc": {"123"}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{bank.ID, card.ID} {
		if _, err := o.PayNow.Record(ctx, id, "client-link"); err != nil {
			t.Fatal(err)
		}
	}
	if st := f.invoice(inv); st.Status != invoice.StatusPaid {
		t.Fatalf("after the card payment the invoice is %s", st.Status)
	}
	srv := httptest.NewServer(o.Webhook)
	defer srv.Close()
	clk.add(4 * 24 * time.Hour) // the debit clears
	for range 2 {
		if _, err := o.Sandbox.DeliverWebhooks(ctx, srv.URL, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := o.PayNow.Record(ctx, bank.ID, "client-link"); err != nil {
			t.Fatalf("the cleared debit's return: %v", err)
		}
	}
	st := f.invoice(inv)
	if n := countOf(f.events(inv), "InvoicePaymentSucceeded"); n != 1 || st.Status != invoice.StatusPaid {
		t.Fatalf("%d payments recorded, invoice %s; want the card's alone", n, st.Status)
	}
	if n := countOf(f.events(inv), "InvoiceDuplicatePaymentRefunded"); n != 1 {
		t.Fatalf("the cleared debit recorded as refunded %d times, want once: %v", n, f.events(inv))
	}
	if len(st.Duplicates) != 1 {
		t.Fatalf("duplicates on the invoice: %v", st.Duplicates)
	}
	charges, err := o.Sandbox.Charges()
	if err != nil || len(charges) != 2 {
		t.Fatalf("%d charges (%v), want the card's and the debit's", len(charges), err)
	}
	for attempt := range st.Duplicates {
		// Asking again with the refund's key answers the refund made: the
		// debit's 110.00 (no surcharge on bank debits), not the card's.
		debit := charges[0]
		r, err := o.Sandbox.Refund(ctx, payments.RefundRequest{IdempotencyKey: gateways.DuplicateRefundKey(attempt), ChargeReference: debit.Reference,
			Amount: o.Sandbox.Result(debit).Amount})
		if err != nil || !r.Amount.Amount.Equal(decimal.NewFromInt(110)) || debit.PaymentMethod[:len("pm_debit_")] != "pm_debit_" {
			t.Errorf("the duplicate's refund: %+v, %v (charge %s)", r, err, debit.PaymentMethod)
		}
	}
}
