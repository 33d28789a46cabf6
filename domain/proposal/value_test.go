package proposal_test

import (
	"testing"
	"time"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/proposal"
)

func TestValueOf(t *testing.T) {
	monthly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}
	yearly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 12, Start: domain.StartOnAcceptance, End: domain.EndNever}
	once := domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnAcceptance, End: domain.EndNever}
	s := proposal.State{Currency: aud, Lines: []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: decidertest.Dec("690"), Quantity: decidertest.Dec("1"), TaxRate: decidertest.Dec("10"), BillingRule: monthly},
		{Name: "Annual accounts", UnitPrice: decidertest.Dec("3200"), Quantity: decidertest.Dec("1"), TaxRate: decidertest.Dec("10"), BillingRule: yearly},
		{Name: "Set-up", UnitPrice: decidertest.Dec("2000"), Quantity: decidertest.Dec("1"), TaxRate: decidertest.Dec("10"), BillingRule: once},
		{Name: "Payroll", UnitPrice: decidertest.Dec("34.5"), Quantity: decidertest.Dec("2"), TaxRate: decidertest.Dec("0"), BillingRule: monthly},
		{Name: "Advice", UnitPrice: decidertest.Dec("150"), Quantity: decidertest.Dec("2"), TaxRate: decidertest.Dec("10"), BillingRule: domain.BillingRule{Frequency: domain.FrequencyOnCompletion}},
	}}
	v, err := proposal.ValueOf(s, domain.TaxExclusive, domain.MustDate(2026, time.March, 2))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ label, gross string }{{"a month", "828"}, {"a year", "3520"}, {"once", "2200"}, {"on completion", "330"}}
	if len(v.Cadences) != len(want) {
		t.Fatalf("cadences = %+v, want %v", v.Cadences, want)
	}
	for i, w := range want {
		c := v.Cadences[i]
		if c.Cadence.Label != w.label || !c.Gross.Amount.Equal(decidertest.Dec(w.gross)) {
			t.Errorf("cadence %d = %s %s, want %s %s", i, c.Gross, c.Cadence.Label, w.gross, w.label)
		}
	}
	// 12 × 828 + 3,520 + 2,200 + 330
	if !v.FirstYear.Amount.Equal(decidertest.Dec("15986")) {
		t.Errorf("first year = %s, want 15986", v.FirstYear)
	}
	if v.Lines[0].FirstYear != 12 || v.Lines[1].FirstYear != 1 {
		t.Errorf("billings in the first year = %d, %d, want 12, 1", v.Lines[0].FirstYear, v.Lines[1].FirstYear)
	}
}
