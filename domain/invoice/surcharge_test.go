package invoice_test

import (
	"testing"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/invoice"
)

func cardSurcharge() *invoice.Surcharge {
	return &invoice.Surcharge{Kind: invoice.SurchargeCard, Percent: decidertest.Dec("1.5"), TaxRate: decidertest.Dec("10")}
}

// A card charge of the balance plus 1.5 % (2.39 + 10 % tax = 2.63) adds the
// surcharge line, taxed, to the lines and totals, and pays the invoice in
// full.
func TestSurchargeAddedWithPayment(t *testing.T) {
	st := invoice.Fold([]domain.Event{MustIssued(t), scheduled()})
	if got := st.SurchargedAmount(attemptID, *cardSurcharge()); !got.Equal(aud("162.13")) {
		t.Fatalf("surcharged amount = %s, want AUD 162.13", got)
	}
	c := invoice.RecordCollectionAttempt{AttemptID: attemptID, Outcome: invoice.AttemptSucceeded, PaymentMethodID: methodID,
		GatewayReference: "ch_1", Amount: aud("162.13"), Surcharge: cardSurcharge(), Now: now}
	events, err := invoice.Decide(st, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("events = %v, want the surcharge then the payment", events)
	}
	sur, ok := events[0].(invoice.InvoiceSurchargeAdded)
	if !ok {
		t.Fatalf("first event %T, want InvoiceSurchargeAdded", events[0])
	}
	if sur.Line.Description != "Card surcharge (1.50%)" || !sur.Line.Amounts.Net.Equal(aud("2.39")) ||
		!sur.Line.Amounts.Tax.Equal(aud("0.24")) || !sur.Line.Amounts.Gross.Equal(aud("2.63")) {
		t.Errorf("surcharge line = %+v", sur.Line)
	}
	if sur.Line.LineID != invoice.SurchargeLineID(attemptID) || !sur.Base.Equal(aud("159.50")) {
		t.Errorf("line id %s, base %s", sur.Line.LineID, sur.Base)
	}
	after := invoice.Fold(append([]domain.Event{MustIssued(t), scheduled()}, events...))
	if after.Status != invoice.StatusPaid || !after.Balance().IsZero() || !after.Totals.Gross.Equal(aud("162.13")) ||
		!after.Totals.Tax.Equal(aud("14.74")) || len(after.Lines) != 3 || len(after.Surcharges()) != 1 {
		t.Errorf("after: status %s, balance %s, totals %+v, %d lines", after.Status, after.Balance(), after.Totals, len(after.Lines))
	}
	// Recorded again (the webhook after the redirect, a re-run after a
	// crash): nothing more.
	again, err := invoice.Decide(after, c)
	if err != nil || len(again) != 0 {
		t.Errorf("recorded twice: %v, %v", again, err)
	}
}

// A rejected attempt with a surcharge adds nothing but the rejection; a
// charge of the plain balance (made before the surcharge was set) adds no
// line; a charge of any other amount is refused.
func TestSurchargeOnlyWithItsPayment(t *testing.T) {
	given := []domain.Event{MustIssued(t), scheduled()}
	st := invoice.Fold(given)
	declined := invoice.RecordCollectionAttempt{AttemptID: attemptID, Outcome: invoice.AttemptRejected, PaymentMethodID: methodID,
		DeclineCode: "insufficient_funds", Surcharge: cardSurcharge(), Now: now}
	events, err := invoice.Decide(st, declined)
	if err != nil || len(events) != 1 {
		t.Fatalf("rejected: %v, %v", events, err)
	}
	if _, ok := events[0].(invoice.InvoicePaymentRejected); !ok {
		t.Errorf("rejected attempt recorded %T", events[0])
	}
	plain := invoice.RecordCollectionAttempt{AttemptID: attemptID, Outcome: invoice.AttemptSucceeded, GatewayReference: "ch_1",
		Amount: aud("159.50"), Surcharge: cardSurcharge(), Now: now}
	events, err = invoice.Decide(st, plain)
	if err != nil || len(events) != 1 {
		t.Fatalf("plain balance: %v, %v", events, err)
	}
	odd := plain
	odd.Amount = aud("161.00")
	if _, err := invoice.Decide(st, odd); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("an amount neither balance nor balance + surcharge: %v, want invalid", err)
	}
	none := plain
	none.Surcharge, none.Amount = nil, aud("162.13")
	if _, err := invoice.Decide(st, none); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("more than the balance without a surcharge: %v, want invalid", err)
	}
}

// In an inclusive-tax invoice the surcharge's tax is within its price.
func TestSurchargeInclusive(t *testing.T) {
	issued := MustIssued(t)
	issued.TaxMode = domain.TaxInclusive
	st := invoice.Fold([]domain.Event{issued})
	l, ok := st.SurchargeLine(attemptID, invoice.Surcharge{Kind: invoice.SurchargeBankDebit, Percent: decidertest.Dec("1"), TaxRate: decidertest.Dec("10")})
	if !ok || l.Description != "Bank debit surcharge (1.00%)" || !l.Amounts.Gross.Equal(aud("1.60")) || !l.Amounts.Tax.Equal(aud("0.15")) {
		t.Errorf("inclusive surcharge line = %+v, %v", l, ok)
	}
}
