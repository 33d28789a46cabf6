package gateways_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/integrations/payments"
	"remit/integrations/payments/gateways"
	"remit/integrations/payments/stripe"
	"remit/integrations/payments/stripe/stripemock"
	"remit/processes/billingrun"
)

func (f *fixture) surcharging(card, bank string) {
	f.t.Helper()
	if _, err := f.svc.ChangeFirmSettings(context.Background(), billing.FirmSettingsRequest{Surcharges: &firm.Surcharges{
		Card: decimal.RequireFromString(card), BankDebit: decimal.RequireFromString(bank)}}, billing.Meta{Actor: "staff@firm.test"}); err != nil {
		f.t.Fatal(err)
	}
}

// TestPayNowByCardWithSurchargeAgainstStripeMock: a card-only session for
// the balance plus the surcharge is a request Stripe accepts.
func TestPayNowByCardWithSurchargeAgainstStripeMock(t *testing.T) {
	url := stripemock.MustStart(t)
	f := newFixture(t)
	f.surcharging("1.5", "0")
	o, err := gateways.Start(gateways.Config{Gateway: gateways.Stripe, StripeKey: "sk_test_123", StripeURL: url, StripeWebhookSecret: secret, Store: f.store, Billing: f.svc})
	if err != nil {
		t.Fatal(err)
	}
	inv := f.mustUncollected()
	req := payRequest(inv, false)
	req.Kind = gateways.PayByCard
	if _, err := o.PayNow.Start(context.Background(), req); err != nil {
		t.Fatalf("stripe-mock refused the surcharged card session: %v", err)
	}
}

// TestWebhookRecordsTheSurchargeTheChargeCarried: a bank debit charged
// with a 1 % surcharge settles days later; the payment_intent webhook's
// metadata carries the surcharge, so the payment is recorded with its line
// (110.00 + 1.10 = 111.10, no tax rate set), once.
func TestWebhookRecordsTheSurchargeTheChargeCarried(t *testing.T) {
	f := newFixture(t)
	f.surcharging("1.5", "1")
	inv := f.mustUncollected()
	attempt := billingrun.AttemptID(inv, 1)
	sur := &invoice.Surcharge{Kind: invoice.SurchargeBankDebit, Percent: decimal.RequireFromString("1"), TaxRate: decimal.Zero}
	md := map[string]string{"invoice_id": inv.String(), "attempt_id": attempt.String()}
	billingrun.SurchargeMetadata(sur, md)
	n := stripe.Notification{EventID: "evt_1", Metadata: md, Result: payments.ChargeResult{Status: payments.StatusSucceeded, Reference: "pi_1",
		Amount: domain.MustMoney("111.10", "AUD")}}
	r := gateways.Recorder{Store: f.store, Billing: f.svc}
	for range 2 {
		if err := r.Record(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	st := f.invoice(inv)
	if sur := st.Surcharges(); st.Status != invoice.StatusPaid || len(sur) != 1 || sur[0].Description != "Bank debit surcharge (1.00%)" ||
		!st.Totals.Gross.Equal(domain.MustMoney("111.10", "AUD")) {
		t.Errorf("invoice %s, surcharges %+v, total %s; want paid with the bank debit surcharge", st.Status, sur, st.Totals.Gross)
	}
}
