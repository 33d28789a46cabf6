package domain_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"remit/domain"
)

// TestOccurrencesFromIsTheTailOfOccurrences: the billings OccurrencesFrom
// yields from any date are exactly those of Occurrences dated on or after
// it, with the same sequence numbers, for every kind of rule and end.
func TestOccurrencesFromIsTheTailOfOccurrences(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 3))
	for range 4000 {
		first := randomDate(rng)
		var r domain.BillingRule
		switch rng.IntN(6) {
		case 0:
			r = domain.BillingRule{Frequency: domain.FrequencyDays, Interval: rng.IntN(45)}
		case 1:
			r = domain.BillingRule{Frequency: domain.FrequencyWeeks, Interval: rng.IntN(5)}
		case 2, 3:
			r = domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: []int{0, 1, 1, 2, 3, 6, 12}[rng.IntN(7)]}
			if rng.IntN(2) == 0 {
				r.AnchorDay = 1 + rng.IntN(31)
			}
		case 4:
			r = domain.BillingRule{Frequency: domain.FrequencyOnce}
		case 5:
			r = domain.BillingRule{Frequency: []domain.Frequency{domain.FrequencyOnCompletion, domain.FrequencyEstimate}[rng.IntN(2)]}
		}
		if r.Frequency.Repeats() {
			r = randomEnd(rng, r, first)
		}
		from := first.AddDays(rng.IntN(4000) - 400)
		through := from.AddDays(rng.IntN(800))
		var want []domain.Occurrence
		for _, o := range r.Occurrences(first, through) {
			if o.Date.IsZero() || !o.Date.Before(from) {
				want = append(want, o)
			}
		}
		var got []domain.Occurrence
		for o := range r.OccurrencesFrom(first, from) {
			if !o.Date.IsZero() && o.Date.After(through) {
				break
			}
			got = append(got, o)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%+v from %s, first %s through %s:\n got %v\nwant %v", r, from, first, through, got, want)
		}
	}
}

// TestOccurrencesFromStopsAtTheRulesEnd: a rule that ends yields nothing
// after its end, however far the caller reads.
func TestOccurrencesFromStopsAtTheRulesEnd(t *testing.T) {
	first := domain.MustDate(2026, 1, 31)
	r := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, End: domain.EndAfterN, EndAfter: 3}
	var got []string
	for o := range r.OccurrencesFrom(first, domain.MustDate(2026, 2, 1)) {
		got = append(got, o.Date.String())
	}
	if want := []string{"2026-02-28", "2026-03-31"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestOccurrenceIsTheNthOfOccurrences: Occurrence(first, n) is the n-th of
// Occurrences, and false past the rule's end.
func TestOccurrenceIsTheNthOfOccurrences(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 4))
	for range 3000 {
		first := randomDate(rng)
		r := domain.BillingRule{Frequency: []domain.Frequency{domain.FrequencyDays, domain.FrequencyWeeks, domain.FrequencyMonths, domain.FrequencyOnce,
			domain.FrequencyOnCompletion}[rng.IntN(5)], Interval: rng.IntN(4)}
		if r.Frequency == domain.FrequencyMonths && rng.IntN(2) == 0 {
			r.AnchorDay = 1 + rng.IntN(31)
		}
		if r.Frequency.Repeats() {
			r = randomEnd(rng, r, first)
		} else {
			r.Interval = 0
		}
		all := r.Occurrences(first, first.AddDays(3000))
		for n := 1; n <= len(all)+2; n++ {
			got, ok := r.Occurrence(first, n)
			if n <= len(all) && (!ok || got != all[n-1]) {
				t.Fatalf("%+v from %s: occurrence %d = %v %v, want %v", r, first, n, got, ok, all[n-1])
			}
			if n > len(all) && ok && !got.Date.After(first.AddDays(3000)) {
				t.Fatalf("%+v from %s: occurrence %d = %v, past the last %d", r, first, n, got, len(all))
			}
		}
	}
}
