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

// A service billing its first period pro rata is worth, in the first year,
// the partial first billing at its reduced price plus the whole periods
// after it, not one whole period more.
func TestValueOfProRataFirst(t *testing.T) {
	rule := func(proRata bool) domain.BillingRule {
		return domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnProposalStart, AnchorDay: 1, End: domain.EndNever, ProRataFirst: proRata}
	}
	for _, tc := range []struct {
		name      string
		proRata   bool
		start     domain.Date
		billings  int
		firstYear string
	}{
		// 15–30 April is 16 of April's 30 days: 300 × 16/30 = 160, then 1 May 2026 … 1 April 2027.
		{name: "OKProRataFirstPeriod", proRata: true, start: domain.MustDate(2026, time.April, 15), billings: 13, firstYear: "3760"},
		{name: "OKStartOnAnchorIsWhole", proRata: true, start: domain.MustDate(2026, time.April, 1), billings: 12, firstYear: "3600"},
		{name: "OKWithoutProRataWaitsForTheAnchor", proRata: false, start: domain.MustDate(2026, time.April, 15), billings: 12, firstYear: "3600"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := proposal.State{Currency: aud, StartDate: tc.start, Lines: []proposal.Line{
				{Name: "Bookkeeping", UnitPrice: decidertest.Dec("300"), Quantity: decidertest.Dec("1"), TaxRate: decidertest.Dec("0"), BillingRule: rule(tc.proRata)},
			}}
			v, err := proposal.ValueOf(s, domain.TaxExclusive, domain.MustDate(2026, time.March, 2))
			if err != nil {
				t.Fatal(err)
			}
			if got := v.Lines[0].FirstYear; got != tc.billings {
				t.Errorf("billings in the first year = %d, want %d", got, tc.billings)
			}
			if !v.FirstYear.Amount.Equal(decidertest.Dec(tc.firstYear)) || !v.Lines[0].FirstYearGross.Amount.Equal(decidertest.Dec(tc.firstYear)) {
				t.Errorf("first year = %s (line %s), want %s", v.FirstYear, v.Lines[0].FirstYearGross, tc.firstYear)
			}
			if got := !v.Lines[0].ProRata.IsZero(); got != (tc.billings == 13) {
				t.Errorf("pro-rata period counted = %v (%+v)", got, v.Lines[0].ProRata)
			}
		})
	}
}
