package domain_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"remit/domain"
)

// TestProRataFirstPeriod: a monthly rule with an anchor day that bills its
// first period pro rata bills the start date for the days up to the first
// anchor, at price × days ÷ days of the full period, then every anchor.
func TestProRataFirstPeriod(t *testing.T) {
	aud := domain.MustCurrency("AUD")
	monthly1st := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnDate, AnchorDay: 1, End: domain.EndNever, ProRataFirst: true}
	tests := []struct {
		name   string
		rule   domain.BillingRule
		start  domain.Date
		dates  []string // the first billings
		days   int      // of the first billing; 0 = a whole period
		of     int
		price  string // of 100.00 for the first billing
		period string
	}{
		{name: "MidApril", rule: monthly1st, start: domain.MustDate(2027, 4, 15),
			dates: []string{"2027-04-15", "2027-05-01", "2027-06-01"}, days: 16, of: 30, price: "53.33", period: "15 – 30 April 2027, pro rata 16/30 days"},
		{name: "LeapFebruary", rule: monthly1st, start: domain.MustDate(2028, 2, 15),
			dates: []string{"2028-02-15", "2028-03-01"}, days: 15, of: 29, price: "51.72", period: "15 – 29 February 2028, pro rata 15/29 days"},
		{name: "LastDayOfMonth", rule: monthly1st, start: domain.MustDate(2027, 1, 31),
			dates: []string{"2027-01-31", "2027-02-01"}, days: 1, of: 31, price: "3.23", period: "31 January 2027, pro rata 1/31 days"},
		{name: "AcrossMonthsToThe15th", rule: withAnchor(monthly1st, 15), start: domain.MustDate(2027, 1, 20),
			dates: []string{"2027-01-20", "2027-02-15"}, days: 26, of: 31, price: "83.87", period: "20 January – 14 February 2027, pro rata 26/31 days"},
		{name: "AnchorOn31stClampsInFebruary", rule: withAnchor(monthly1st, 31), start: domain.MustDate(2027, 2, 10),
			dates: []string{"2027-02-10", "2027-02-28", "2027-03-31"}, days: 18, of: 28, price: "64.29", period: "10 – 27 February 2027, pro rata 18/28 days"},
		{name: "Quarterly", rule: withInterval(monthly1st, 3), start: domain.MustDate(2027, 4, 15),
			dates: []string{"2027-04-15", "2027-05-01", "2027-08-01"}, days: 16, of: 89, price: "17.98", period: "15 – 30 April 2027, pro rata 16/89 days"},
		{name: "StartOnTheAnchorIsAWholePeriod", rule: monthly1st, start: domain.MustDate(2027, 4, 1),
			dates: []string{"2027-04-01", "2027-05-01"}},
		{name: "WithoutTheOptionWaitsForTheAnchor", rule: domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnDate, AnchorDay: 1}, start: domain.MustDate(2027, 4, 15),
			dates: []string{"2027-05-01", "2027-06-01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rule
			r.StartDate = tt.start
			first, err := r.FirstDate(domain.Date{}, domain.Date{})
			if err != nil {
				t.Fatal(err)
			}
			occ := r.Occurrences(first, domain.MustDate(2027, 12, 31).AddDays(400))
			if got := dates(occ)[:len(tt.dates)]; !slices.Equal(got, tt.dates) {
				t.Fatalf("billings %v, want %v first", got, tt.dates)
			}
			part, ok := r.FirstPeriod(first)
			if ok != (tt.days > 0) || occ[0].ProRata != part {
				t.Fatalf("FirstPeriod = %+v %v, first occurrence %+v", part, ok, occ[0])
			}
			for _, o := range occ[1:] {
				if !o.ProRata.IsZero() {
					t.Fatalf("occurrence %+v after the first is pro rata", o)
				}
			}
			if tt.days == 0 {
				return
			}
			if part.Days != tt.days || part.Of != tt.of {
				t.Fatalf("part %d/%d, want %d/%d", part.Days, part.Of, tt.days, tt.of)
			}
			if got := part.Apply(decimal.RequireFromString("100"), aud); got.StringFixed(2) != tt.price {
				t.Errorf("100.00 pro rata = %s, want %s", got.StringFixed(2), tt.price)
			}
			if got := part.String(); got != tt.period {
				t.Errorf("period %q, want %q", got, tt.period)
			}
		})
	}
}

func withAnchor(r domain.BillingRule, day int) domain.BillingRule { r.AnchorDay = day; return r }

func withInterval(r domain.BillingRule, n int) domain.BillingRule { r.Interval = n; return r }

// TestProRataRoundsHalfAwayFromZero: the pro-rata amount is rounded to the
// currency's minor units, half away from zero (yen has none).
func TestProRataRoundsHalfAwayFromZero(t *testing.T) {
	half := domain.ProRata{Days: 1, Of: 2, From: domain.MustDate(2027, 1, 1), Until: domain.MustDate(2027, 1, 2)}
	for _, tt := range []struct{ amount, currency, want string }{
		{"0.01", "AUD", "0.01"}, {"-0.01", "AUD", "-0.01"}, {"0.03", "AUD", "0.02"}, {"101", "JPY", "51"}, {"-101", "JPY", "-51"},
	} {
		c := domain.MustCurrency(tt.currency)
		if got := half.Apply(decimal.RequireFromString(tt.amount), c); !got.Equal(decimal.RequireFromString(tt.want)) {
			t.Errorf("half of %s %s = %s, want %s", tt.amount, tt.currency, got, tt.want)
		}
	}
}

// TestProRataFirstIsOnlyForAnchoredMonthlyRules: weekly and daily rules bill
// whole periods from their start, and a monthly rule needs an anchor day.
func TestProRataFirstIsOnlyForAnchoredMonthlyRules(t *testing.T) {
	for name, r := range map[string]domain.BillingRule{
		"Weekly":          {Frequency: domain.FrequencyWeeks, Start: domain.StartOnAcceptance, ProRataFirst: true},
		"Daily":           {Frequency: domain.FrequencyDays, Start: domain.StartOnAcceptance, ProRataFirst: true},
		"Once":            {Frequency: domain.FrequencyOnce, Start: domain.StartOnAcceptance, ProRataFirst: true},
		"OnCompletion":    {Frequency: domain.FrequencyOnCompletion, ProRataFirst: true},
		"MonthlyNoAnchor": {Frequency: domain.FrequencyMonths, Start: domain.StartOnAcceptance, ProRataFirst: true},
	} {
		if !errorsIsField(r.Validate("billing_rule"), "billing_rule.pro_rata_first") {
			t.Errorf("%s: Validate = %v, want a problem with billing_rule.pro_rata_first", name, r.Validate("billing_rule"))
		}
	}
	ok := domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnAcceptance, AnchorDay: 1, ProRataFirst: true}
	if err := ok.Validate("billing_rule"); err != nil {
		t.Errorf("monthly on the 1st pro rata: %v", err)
	}
}

// TestProRataFirstProperties: on random anchored monthly rules, the first
// billing is on the start date, pro rata exactly when the start is not an
// anchor, covering the days up to the next billing, which is the anchor; the
// rest are the anchored billings; and OccurrencesFrom and Occurrence agree
// with Occurrences.
func TestProRataFirstProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(2027, 4))
	for range 3000 {
		first := randomDate(rng)
		r := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: []int{0, 1, 1, 2, 3, 6, 12}[rng.IntN(7)], AnchorDay: 1 + rng.IntN(31), ProRataFirst: true}
		r = randomEnd(rng, r, first)
		through := first.AddDays(rng.IntN(3000))
		occ := r.Occurrences(first, through)
		checkCommon(t, r, first, through, occ)
		plain := r
		plain.ProRataFirst = false
		regular := plain.Occurrences(first, through)
		part, partial := r.FirstPeriod(first)
		switch {
		case len(occ) == 0:
		case partial:
			if occ[0].Date != first || occ[0].ProRata != part || part.Until != anchorOnOrAfter(plain, first) {
				t.Fatalf("%+v from %s: first %+v, part %+v", r, first, occ[0], part)
			}
			if part.Days < 1 || part.Days >= part.Of || part.Of < 28 || part.From.DaysUntil(part.Until) != part.Days {
				t.Fatalf("%+v from %s: part %+v", r, first, part)
			}
			if r.End == domain.EndAfterN {
				regular = regular[:min(len(regular), r.EndAfter-1)]
			}
			for i, o := range occ[1:] {
				if o.Date != regular[i].Date || o.Seq != regular[i].Seq+1 || !o.ProRata.IsZero() {
					t.Fatalf("%+v from %s: occurrence %+v, want the regular %+v", r, first, o, regular[i])
				}
			}
			if len(occ)-1 != len(regular) {
				t.Fatalf("%+v from %s through %s: %d billings, want 1 + %d", r, first, through, len(occ), len(regular))
			}
		default:
			if !slices.Equal(occ, regular) {
				t.Fatalf("%+v from %s (on the anchor): %v, want %v", r, first, occ, regular)
			}
		}
		from := first.AddDays(rng.IntN(900) - 100)
		var want, got []domain.Occurrence
		for _, o := range occ {
			if !o.Date.Before(from) {
				want = append(want, o)
			}
		}
		for o := range r.OccurrencesFrom(first, from) {
			if o.Date.After(through) {
				break
			}
			got = append(got, o)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%+v first %s from %s:\n got %v\nwant %v", r, first, from, got, want)
		}
		for n := 1; n <= len(occ); n++ {
			if o, ok := r.Occurrence(first, n); !ok || o != occ[n-1] {
				t.Fatalf("%+v from %s: occurrence %d = %v %v, want %v", r, first, n, o, ok, occ[n-1])
			}
		}
	}
}

// anchorOnOrAfter is the first billing of r (without pro rata) from start.
func anchorOnOrAfter(r domain.BillingRule, start domain.Date) domain.Date {
	r.Start, r.StartDate, r.End, r.EndAfter, r.EndDate = domain.StartOnDate, start, domain.EndNever, 0, domain.Date{}
	d, _ := r.FirstDate(domain.Date{}, domain.Date{})
	return d
}
