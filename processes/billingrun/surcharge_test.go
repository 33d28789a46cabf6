package billingrun_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/integrations/payments"
	"remit/integrations/payments/sandbox"
	"remit/processes/billingrun"
)

// surchargingFirm sets the firm up with GST 10 % as its default rate and a
// 1.5 % card surcharge (bank debits none).
func (f *fixture) surchargingFirm() {
	f.tb.Helper()
	ctx := context.Background()
	f.MustSetUpFirm(true, 0)
	f.ok(f.svc.AddTaxRate(ctx, billing.TaxRateRequest{Name: "GST", Rate: dec("10"), MakeDefault: true}, staff()))
	f.ok(f.svc.ChangeFirmSettings(ctx, billing.FirmSettingsRequest{Surcharges: &firm.Surcharges{Card: dec("1.5")}}, staff()))
}

func (f *fixture) instantBill(clientID uuid.UUID) uuid.UUID {
	f.tb.Helper()
	lines := []billing.InstantLine{{Description: "Advice", Quantity: dec("1"), UnitPrice: dec("1450"), TaxRate: dec("10")}}
	return f.ok(f.svc.IssueInvoice(context.Background(), billing.IssueInvoiceRequest{ClientID: clientID, Lines: lines}, staff())).ID
}

func (f *fixture) chargedAmounts() map[string]string {
	f.tb.Helper()
	cs, err := f.gw.Charges()
	if err != nil {
		f.tb.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range cs {
		out[c.Metadata["invoice_id"]] = c.Amount.StringFixed(2)
	}
	return out
}

// TestCollectAddsCardSurcharge: a card is charged the balance plus 1.5 %
// (23.93 + 10 % GST = 26.32 on 1,595.00) and the invoice gets the
// surcharge line with the payment; a bank debit is charged the balance
// alone; a declined card adds nothing, and its retry is surcharged once.
func TestCollectAddsCardSurcharge(t *testing.T) {
	day := domain.MustDate(2025, 3, 3)
	f := newFixture(t, day)
	f.surchargingFirm()
	card := f.instantBill(f.MustClient("Card", sandbox.TokenCardSucceeds))
	debit := f.instantBill(f.MustClient("Debit", sandbox.TokenDebitSettles))
	declined := f.instantBill(f.MustClient("Declined", sandbox.TokenCardDeclined))

	rep := f.MustCollect(day)
	if rep.Succeeded != 1 || rep.Rejected != 1 || rep.Pending != 1 {
		t.Fatalf("collection: %+v; want the card paid, the debit pending, one declined", rep)
	}
	amounts := f.chargedAmounts()
	if amounts[card.String()] != "1621.32" || amounts[debit.String()] != "1595.00" || amounts[declined.String()] != "1621.32" {
		t.Errorf("charged %v; want the cards 1621.32 (with the surcharge), the debit 1595.00", amounts)
	}
	st := f.mustInvoice(card)
	sur := st.Surcharges()
	if st.Status != invoice.StatusPaid || len(sur) != 1 || sur[0].Description != "Card surcharge (1.50%)" ||
		!sur[0].Amounts.Gross.Equal(domain.MustMoney("26.32", "AUD")) || !st.Totals.Gross.Equal(domain.MustMoney("1621.32", "AUD")) ||
		!st.Totals.Tax.Equal(domain.MustMoney("147.39", "AUD")) {
		t.Errorf("card invoice: %s, surcharges %+v, totals %+v", st.Status, sur, st.Totals)
	}
	if st := f.mustInvoice(declined); len(st.Surcharges()) != 0 || !st.Totals.Gross.Equal(domain.MustMoney("1595.00", "AUD")) {
		t.Errorf("declined invoice: surcharges %+v, total %s; a rejected attempt adds nothing", st.Surcharges(), st.Totals.Gross)
	}

	// The bank debit settles without a surcharge.
	f.clk.setDay(day.AddDays(3))
	f.MustCollect(day.AddDays(3))
	if st := f.mustInvoice(debit); st.Status != invoice.StatusPaid || len(st.Surcharges()) != 0 {
		t.Errorf("debit invoice: %s, surcharges %+v; want paid with none", st.Status, st.Surcharges())
	}
}

// TestSurchargedChargeRecordedOnceAfterCrash: the charge was made (with its
// surcharge) but the run stopped before recording it; the next run asks the
// gateway with the same key, charges nothing more and adds the surcharge
// once; a later run adds nothing.
func TestSurchargedChargeRecordedOnceAfterCrash(t *testing.T) {
	day := domain.MustDate(2025, 3, 3)
	f := newFixture(t, day)
	f.surchargingFirm()
	inv := f.instantBill(f.MustClient("Card", sandbox.TokenCardSucceeds))
	st := f.mustInvoice(inv)
	attempt := billingrun.AttemptID(inv, 1)
	sur := &invoice.Surcharge{Kind: invoice.SurchargeCard, Percent: dec("1.5"), TaxRate: dec("10")}
	if _, err := f.gw.Charge(context.Background(), payments.ChargeRequest{IdempotencyKey: attempt.String(), PaymentMethod: sandbox.TokenCardSucceeds,
		Amount: st.SurchargedAmount(attempt, *sur), Metadata: map[string]string{"invoice_id": inv.String()}}); err != nil {
		t.Fatal(err)
	}
	f.MustCollect(day)
	f.MustCollect(day)
	if n := f.charges(); n != 1 {
		t.Errorf("%d charges, want 1", n)
	}
	st = f.mustInvoice(inv)
	if st.Status != invoice.StatusPaid || len(st.Surcharges()) != 1 || len(st.Lines) != 2 {
		t.Errorf("after the re-runs: %s, %d lines, surcharges %+v; want paid with one surcharge line", st.Status, len(st.Lines), st.Surcharges())
	}
}

// TestCollectBankDebitSurchargeWhenSet: with a 0.5 % bank debit surcharge
// set, a bank debit is charged 1,595.00 + 7.98 + 0.80 GST = 1,603.78; it
// is pending until it settles, and the surcharge line is added with the
// settled payment, once.
func TestCollectBankDebitSurchargeWhenSet(t *testing.T) {
	day := domain.MustDate(2025, 3, 3)
	f := newFixture(t, day)
	f.surchargingFirm()
	f.ok(f.svc.ChangeFirmSettings(context.Background(), billing.FirmSettingsRequest{Surcharges: &firm.Surcharges{Card: dec("1.5"), BankDebit: dec("0.5")}}, staff()))
	debit := f.instantBill(f.MustClient("Debit", sandbox.TokenDebitSettles))
	if rep := f.MustCollect(day); rep.Pending != 1 {
		t.Fatalf("collection: %+v, want the debit pending", rep)
	}
	if st := f.mustInvoice(debit); len(st.Surcharges()) != 0 {
		t.Errorf("a pending debit added a surcharge: %+v", st.Surcharges())
	}
	for d := day.AddDays(1); !d.After(day.AddDays(4)); d = d.AddDays(1) {
		f.clk.setDay(d)
		f.MustCollect(d)
	}
	if got := f.chargedAmounts()[debit.String()]; got != "1603.78" {
		t.Errorf("debit charged %s, want 1603.78", got)
	}
	st := f.mustInvoice(debit)
	if sur := st.Surcharges(); st.Status != invoice.StatusPaid || len(sur) != 1 || sur[0].Description != "Bank debit surcharge (0.50%)" {
		t.Errorf("debit invoice: %s, surcharges %+v", st.Status, sur)
	}
	if f.charges() != 1 {
		t.Errorf("%d charges, want 1", f.charges())
	}
}
