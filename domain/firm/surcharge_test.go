package firm_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/firm"
)

func TestChangeSurcharges(t *testing.T) {
	st := firm.Fold([]domain.Event{setUpEvent()})
	rate := uuid.MustParse("77777777-7777-4777-8777-000000000001")
	st = firm.Evolve(st, firm.FirmTaxRateAdded{TaxRateID: rate, Name: "GST", Rate: decidertest.Dec("10")})
	st = firm.Evolve(st, firm.FirmDefaultTaxRateSet{TaxRateID: rate})
	if _, ok := st.Surcharge(true); ok {
		t.Fatal("a new firm surcharges cards")
	}
	for _, bad := range []struct{ card, bank, field string }{
		{"-1", "0", "surcharges.card"}, {"5.01", "0", "surcharges.card"}, {"1.555", "0", "surcharges.card"}, {"1", "7", "surcharges.bank_debit"},
	} {
		_, err := firm.Decide(st, firm.ChangeSurcharges{Surcharges: firm.Surcharges{Card: decidertest.Dec(bad.card), BankDebit: decidertest.Dec(bad.bank)}})
		if errField(err) != bad.field {
			t.Errorf("card %s bank %s: %v, want a problem with %s", bad.card, bad.bank, err, bad.field)
		}
	}
	_, err := firm.Decide(st, firm.ChangeSurcharges{Surcharges: firm.Surcharges{Card: decidertest.Dec("1"), TaxRateID: uuid.New()}})
	if errField(err) != "surcharges.tax_rate_id" {
		t.Errorf("unknown tax rate: %v", err)
	}
	c := firm.ChangeSurcharges{Surcharges: firm.Surcharges{Card: decidertest.Dec("1.5"), BankDebit: decidertest.Dec("0")}}
	events, err := firm.Decide(st, c)
	if err != nil || len(events) != 1 {
		t.Fatalf("change: %v, %v", events, err)
	}
	st = firm.Evolve(st, events[0])
	terms, ok := st.Surcharge(true)
	if !ok || !terms.Percent.Equal(decidertest.Dec("1.5")) || !terms.TaxRate.Equal(decidertest.Dec("10")) {
		t.Errorf("card terms %+v, %v; want 1.5 %% taxed at the default 10 %%", terms, ok)
	}
	if _, ok := st.Surcharge(false); ok {
		t.Error("bank debits surcharged though the firm set 0")
	}
	if again, err := firm.Decide(st, c); err != nil || len(again) != 0 {
		t.Errorf("the same surcharges again: %v, %v", again, err)
	}

	// Taxed at a rate of their own until that rate is removed.
	zero := uuid.MustParse("77777777-7777-4777-8777-000000000002")
	st = firm.Evolve(st, firm.FirmTaxRateAdded{TaxRateID: zero, Name: "GST-free", Rate: decidertest.Dec("0")})
	c.Surcharges.TaxRateID = zero
	events, err = firm.Decide(st, c)
	if err != nil || len(events) != 1 {
		t.Fatalf("own rate: %v, %v", events, err)
	}
	st = firm.Evolve(st, events[0])
	if terms, _ := st.Surcharge(true); !terms.TaxRate.IsZero() {
		t.Errorf("taxed at %s, want the chosen 0 %%", terms.TaxRate)
	}
	st = firm.Evolve(st, firm.FirmTaxRateRemoved{TaxRateID: zero})
	if terms, _ := st.Surcharge(true); !terms.TaxRate.Equal(decidertest.Dec("10")) || st.Surcharges.TaxRateID != uuid.Nil {
		t.Errorf("after its rate was removed: taxed at %s (rate %s), want the default 10 %%", terms.TaxRate, st.Surcharges.TaxRateID)
	}
}

func errField(err error) string {
	var e *domain.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
