package projections

import (
	"testing"

	"github.com/shopspring/decimal"

	"remit/domain"
)

// TestMonthlyAmount: every repeating frequency made monthly exactly, as
// docs/reports.md says; one-off rules are not recurring.
func TestMonthlyAmount(t *testing.T) {
	rule := func(f domain.Frequency, n int) domain.BillingRule {
		return domain.BillingRule{Frequency: f, Interval: n}
	}
	for _, tc := range []struct {
		name   string
		rule   domain.BillingRule
		amount string
		want   string // rounded to cents
		ok     bool
	}{
		{"Monthly", rule(domain.FrequencyMonths, 1), "100", "100.00", true},
		{"Quarterly", rule(domain.FrequencyMonths, 3), "300", "100.00", true},
		{"Yearly", rule(domain.FrequencyMonths, 12), "1000", "83.33", true},
		{"IntervalLeftOut", rule(domain.FrequencyMonths, 0), "100", "100.00", true},
		{"Weekly", rule(domain.FrequencyWeeks, 1), "70", "304.38", true},
		{"Fortnightly", rule(domain.FrequencyWeeks, 2), "140", "304.38", true},
		{"EveryTenDays", rule(domain.FrequencyDays, 10), "100", "304.38", true},
		{"Once", rule(domain.FrequencyOnce, 0), "100", "0.00", false},
		{"OnCompletion", rule(domain.FrequencyOnCompletion, 0), "100", "0.00", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := MonthlyAmount(decimal.RequireFromString(tc.amount), tc.rule)
			if ok != tc.ok || got.Round(2).StringFixed(2) != tc.want {
				t.Fatalf("MonthlyAmount(%s, %+v) = %s, %v; want %s, %v", tc.amount, tc.rule, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestMonthArithmetic: the twelve months of a report end with today's,
// across a year's end.
func TestMonthArithmetic(t *testing.T) {
	ms := lastMonths(date(2026, 2, 14))
	if len(ms) != 12 || ms[0].String() != "2025-03" || ms[11].String() != "2026-02" || ms[11].Last() != date(2026, 2, 28) {
		t.Fatalf("last months %v … %v", ms[0], ms[11])
	}
	if i := monthIndex(ms[0], MonthOf(date(2026, 1, 31))); i != 10 {
		t.Fatalf("January 2026 is month %d of the twelve, want 10", i)
	}
	if got := ageingBucket(0) + ageingBucket(30)*10 + ageingBucket(31)*100 + ageingBucket(91)*1000; got != 0+10+200+4000 {
		t.Fatalf("ageing buckets of 0, 30, 31, 91 days: %d", got)
	}
}
