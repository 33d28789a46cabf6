package domain_test

import (
	"testing"

	"remit/domain"
)

// TestOccurrenceOfNamedRules checks that billing n of a rule, found
// without listing the ones before it, is the n-th that Occurrences lists, and
// that there is no billing past the rule's end.
func TestOccurrenceOfNamedRules(t *testing.T) {
	first := domain.MustDate(2024, 1, 31)
	through := domain.MustDate(2031, 12, 31)
	rules := map[string]domain.BillingRule{
		"Monthly":          {Frequency: domain.FrequencyMonths, End: domain.EndNever},
		"QuarterlyAnchor":  {Frequency: domain.FrequencyMonths, Interval: 3, AnchorDay: 30},
		"AnchorBeforeDay":  {Frequency: domain.FrequencyMonths, AnchorDay: 5},
		"Fortnightly":      {Frequency: domain.FrequencyWeeks, Interval: 2},
		"Every10Days":      {Frequency: domain.FrequencyDays, Interval: 10},
		"AfterSix":         {Frequency: domain.FrequencyMonths, End: domain.EndAfterN, EndAfter: 6},
		"AfterNone":        {Frequency: domain.FrequencyMonths, End: domain.EndAfterN},
		"UntilDate":        {Frequency: domain.FrequencyWeeks, End: domain.EndOnDate, EndDate: domain.MustDate(2024, 7, 1)},
		"Once":             {Frequency: domain.FrequencyOnce},
		"OnCompletion":     {Frequency: domain.FrequencyOnCompletion},
		"YearlyOnLeapDay":  {Frequency: domain.FrequencyMonths, Interval: 12, AnchorDay: 29},
		"DailyUntilDate":   {Frequency: domain.FrequencyDays, End: domain.EndOnDate, EndDate: domain.MustDate(2024, 3, 1)},
		"EndDateBeforeAll": {Frequency: domain.FrequencyMonths, End: domain.EndOnDate, EndDate: domain.MustDate(2023, 1, 1)},
	}
	for name, r := range rules {
		t.Run(name, func(t *testing.T) {
			all := r.Occurrences(first, through)
			for n := 0; n <= len(all)+3; n++ {
				got, ok := r.Occurrence(first, n)
				switch {
				case n >= 1 && n <= len(all):
					if !ok || got != all[n-1] {
						t.Fatalf("Occurrence(%d) = %v, %v; Occurrences lists %v", n, got, ok, all[n-1])
					}
				case n == 0 || r.End == domain.EndAfterN || r.End == domain.EndOnDate || !r.Frequency.Repeats():
					if ok {
						t.Fatalf("Occurrence(%d) = %v; the rule has only %d billings", n, got, len(all))
					}
				}
			}
		})
	}
}
