package proposal_test

import (
	"testing"
	"time"

	"remit/domain"
	"remit/domain/proposal"
)

func TestValueOf(t *testing.T) {
	monthly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}
	yearly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 12, Start: domain.StartOnAcceptance, End: domain.EndNever}
	once := domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnAcceptance, End: domain.EndNever}
	s := proposal.State{Currency: aud, Lines: []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: dec("690"), Quantity: dec("1"), TaxRate: dec("10"), BillingRule: monthly},
		{Name: "Annual accounts", UnitPrice: dec("3200"), Quantity: dec("1"), TaxRate: dec("10"), BillingRule: yearly},
		{Name: "Set-up", UnitPrice: dec("2000"), Quantity: dec("1"), TaxRate: dec("10"), BillingRule: once},
		{Name: "Payroll", UnitPrice: dec("34.5"), Quantity: dec("2"), TaxRate: dec("0"), BillingRule: monthly},
		{Name: "Advice", UnitPrice: dec("150"), Quantity: dec("2"), TaxRate: dec("10"), BillingRule: domain.BillingRule{Frequency: domain.FrequencyOnCompletion}},
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
		if c.Cadence.Label != w.label || !c.Gross.Amount.Equal(dec(w.gross)) {
			t.Errorf("cadence %d = %s %s, want %s %s", i, c.Gross, c.Cadence.Label, w.gross, w.label)
		}
	}
	// 12 × 828 + 3,520 + 2,200 + 330
	if !v.FirstYear.Amount.Equal(dec("15986")) {
		t.Errorf("first year = %s, want 15986", v.FirstYear)
	}
	if v.Lines[0].FirstYear != 12 || v.Lines[1].FirstYear != 1 {
		t.Errorf("billings in the first year = %d, %d, want 12, 1", v.Lines[0].FirstYear, v.Lines[1].FirstYear)
	}
}
