package domain_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"remit/domain"
)

// MustParseDate parses "YYYY-MM-DD" or fails the test.
func MustParseDate(tb testing.TB, s string) domain.Date {
	tb.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		tb.Fatalf("ParseDate(%q): %v", s, err)
	}
	return d
}

func dates(occ []domain.Occurrence) []string {
	out := make([]string, len(occ))
	for i, o := range occ {
		out[i] = o.Date.String()
	}
	return out
}

func TestBillingRuleOccurrences(t *testing.T) {
	tests := []struct {
		name    string
		rule    domain.BillingRule
		first   string
		through string
		want    []string
	}{
		{
			name:    "MonthlyOn31stClampsAndReturns",
			rule:    domain.BillingRule{Frequency: domain.FrequencyMonths, End: domain.EndNever},
			first:   "2024-01-31",
			through: "2024-06-30",
			want:    []string{"2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30"},
		},
		{
			name:    "MonthlyOn31stNonLeapYear",
			rule:    domain.BillingRule{Frequency: domain.FrequencyMonths},
			first:   "2025-01-31",
			through: "2025-03-31",
			want:    []string{"2025-01-31", "2025-02-28", "2025-03-31"},
		},
		{
			name:    "MonthlyAnchorDayAlignsFirstBilling",
			rule:    domain.BillingRule{Frequency: domain.FrequencyMonths, AnchorDay: 30},
			first:   "2025-01-10",
			through: "2025-04-01",
			want:    []string{"2025-01-30", "2025-02-28", "2025-03-30"},
		},
		{
			name:    "MonthlyAnchorDayBeforeStartGoesToNextMonth",
			rule:    domain.BillingRule{Frequency: domain.FrequencyMonths, AnchorDay: 5},
			first:   "2025-01-31",
			through: "2025-04-30",
			want:    []string{"2025-02-05", "2025-03-05", "2025-04-05"},
		},
		{
			name:    "QuarterlyOn31st",
			rule:    domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 3},
			first:   "2025-08-31",
			through: "2026-08-31",
			want:    []string{"2025-08-31", "2025-11-30", "2026-02-28", "2026-05-31", "2026-08-31"},
		},
		{
			name:    "YearlyOnLeapDay",
			rule:    domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 12},
			first:   "2024-02-29",
			through: "2028-12-31",
			want:    []string{"2024-02-29", "2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29"},
		},
		{
			name:    "Fortnightly",
			rule:    domain.BillingRule{Frequency: domain.FrequencyWeeks, Interval: 2},
			first:   "2025-12-22",
			through: "2026-01-31",
			want:    []string{"2025-12-22", "2026-01-05", "2026-01-19"},
		},
		{
			name:    "EveryTenDaysAfterCount",
			rule:    domain.BillingRule{Frequency: domain.FrequencyDays, Interval: 10, End: domain.EndAfterN, EndAfter: 3},
			first:   "2026-02-20",
			through: "2027-01-01",
			want:    []string{"2026-02-20", "2026-03-02", "2026-03-12"},
		},
		{
			name:  "AfterCountWithoutThrough",
			rule:  domain.BillingRule{Frequency: domain.FrequencyMonths, End: domain.EndAfterN, EndAfter: 2},
			first: "2026-01-15",
			want:  []string{"2026-01-15", "2026-02-15"},
		},
		{
			name:    "EndDateIsInclusive",
			rule:    domain.BillingRule{Frequency: domain.FrequencyWeeks, End: domain.EndOnDate, EndDate: domain.MustDate(2026, 1, 15)},
			first:   "2026-01-01",
			through: "2026-12-31",
			want:    []string{"2026-01-01", "2026-01-08", "2026-01-15"},
		},
		{
			name:  "EndDateWithoutThrough",
			rule:  domain.BillingRule{Frequency: domain.FrequencyWeeks, End: domain.EndOnDate, EndDate: domain.MustDate(2026, 1, 14)},
			first: "2026-01-01",
			want:  []string{"2026-01-01", "2026-01-08"},
		},
		{
			name:  "NeverEndingWithoutThroughIsEmpty",
			rule:  domain.BillingRule{Frequency: domain.FrequencyMonths, End: domain.EndNever},
			first: "2026-01-01",
			want:  []string{},
		},
		{
			name:    "ThroughBeforeFirstIsEmpty",
			rule:    domain.BillingRule{Frequency: domain.FrequencyMonths},
			first:   "2026-03-01",
			through: "2026-02-28",
			want:    []string{},
		},
		{
			name:    "Once",
			rule:    domain.BillingRule{Frequency: domain.FrequencyOnce},
			first:   "2026-03-01",
			through: "2030-01-01",
			want:    []string{"2026-03-01"},
		},
		{
			name:    "OnceNotYetDue",
			rule:    domain.BillingRule{Frequency: domain.FrequencyOnce},
			first:   "2026-03-01",
			through: "2026-02-01",
			want:    []string{},
		},
		{
			name: "OnCompletionIsOneManualUndatedBilling",
			rule: domain.BillingRule{Frequency: domain.FrequencyOnCompletion},
			want: []string{""},
		},
		{
			name: "EstimateIsOneManualUndatedBilling",
			rule: domain.BillingRule{Frequency: domain.FrequencyEstimate},
			want: []string{""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first, through domain.Date
			if tt.first != "" {
				first = MustParseDate(t, tt.first)
			}
			if tt.through != "" {
				through = MustParseDate(t, tt.through)
			}
			got := tt.rule.Occurrences(first, through)
			if !slices.Equal(dates(got), tt.want) {
				t.Fatalf("Occurrences(%s, %s) = %v, want %v", first, through, dates(got), tt.want)
			}
			for i, o := range got {
				if o.Seq != i+1 {
					t.Errorf("occurrence %d has Seq %d, want %d", i, o.Seq, i+1)
				}
			}
		})
	}
}

func TestBillingRuleFirstDate(t *testing.T) {
	accepted := domain.MustDate(2026, 1, 20)
	proposalStart := domain.MustDate(2026, 2, 1)
	tests := []struct {
		name          string
		rule          domain.BillingRule
		accepted      domain.Date
		proposalStart domain.Date
		want          domain.Date
		code          string
	}{
		{
			name:     "OnAcceptance",
			rule:     domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnAcceptance},
			accepted: accepted,
			want:     accepted,
		},
		{
			name:     "OnAcceptanceDelayed",
			rule:     domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnAcceptance, StartDelayDays: 14},
			accepted: accepted,
			want:     domain.MustDate(2026, 2, 3),
		},
		{
			name:          "OnProposalStart",
			rule:          domain.BillingRule{Frequency: domain.FrequencyWeeks, Start: domain.StartOnProposalStart},
			accepted:      accepted,
			proposalStart: proposalStart,
			want:          proposalStart,
		},
		{
			name: "OnDate",
			rule: domain.BillingRule{Frequency: domain.FrequencyDays, Start: domain.StartOnDate, StartDate: domain.MustDate(2025, 12, 1)},
			want: domain.MustDate(2025, 12, 1),
		},
		{
			name:     "MonthlyAlignsToAnchorDay",
			rule:     domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnAcceptance, AnchorDay: 31},
			accepted: domain.MustDate(2026, 2, 10),
			want:     domain.MustDate(2026, 2, 28),
		},
		{
			name: "ManualHasNoDate",
			rule: domain.BillingRule{Frequency: domain.FrequencyOnCompletion},
		},
		{
			name: "ErrNotYetAccepted",
			rule: domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnAcceptance},
			code: domain.ECONFLICT,
		},
		{
			name:     "ErrNoProposalStart",
			rule:     domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnProposalStart},
			accepted: accepted,
			code:     domain.EINVALID,
		},
		{
			name: "ErrNoStartDate",
			rule: domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnDate},
			code: domain.EINVALID,
		},
		{
			name: "ErrUnknownStart",
			rule: domain.BillingRule{Frequency: domain.FrequencyOnce, Start: "whenever"},
			code: domain.EINVALID,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rule.FirstDate(tt.accepted, tt.proposalStart)
			if code := domain.ErrorCode(err); code != tt.code {
				t.Fatalf("error code %q (%v), want %q", code, err, tt.code)
			}
			if got != tt.want {
				t.Fatalf("FirstDate = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBillingRuleValidate(t *testing.T) {
	jan := domain.MustDate(2026, 1, 1)
	tests := []struct {
		name   string
		rule   domain.BillingRule
		fields []string // the fields at fault, in order; none = valid
	}{
		{name: "OKOnce", rule: domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnAcceptance}},
		{name: "OKOnceDelayed", rule: domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnAcceptance, StartDelayDays: 7}},
		{name: "OKMonthlyForever", rule: domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnProposalStart, AnchorDay: 31, End: domain.EndNever}},
		{name: "OKEmptyEndMeansNever", rule: domain.BillingRule{Frequency: domain.FrequencyWeeks, Interval: 2, Start: domain.StartOnDate, StartDate: jan}},
		{name: "OKAfterCount", rule: domain.BillingRule{Frequency: domain.FrequencyDays, Interval: 30, Start: domain.StartOnDate, StartDate: jan, End: domain.EndAfterN, EndAfter: 12}},
		{name: "OKOnDate", rule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 3, Start: domain.StartOnDate, StartDate: jan, End: domain.EndOnDate, EndDate: jan}},
		{name: "OKOnCompletion", rule: domain.BillingRule{Frequency: domain.FrequencyOnCompletion}},
		{name: "OKEstimate", rule: domain.BillingRule{Frequency: domain.FrequencyEstimate}},
		{name: "ErrNoFrequency", rule: domain.BillingRule{}, fields: []string{"rule.frequency"}},
		{name: "ErrUnknownFrequency", rule: domain.BillingRule{Frequency: "hourly"}, fields: []string{"rule.frequency"}},
		{name: "ErrNegativeInterval", rule: domain.BillingRule{Frequency: domain.FrequencyDays, Interval: -1, Start: domain.StartOnAcceptance}, fields: []string{"rule.interval"}},
		{name: "ErrHugeInterval", rule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: domain.MaxInterval + 1, Start: domain.StartOnAcceptance}, fields: []string{"rule.interval"}},
		{name: "ErrIntervalOnOnce", rule: domain.BillingRule{Frequency: domain.FrequencyOnce, Interval: 2, Start: domain.StartOnAcceptance}, fields: []string{"rule.interval"}},
		{name: "ErrNoStart", rule: domain.BillingRule{Frequency: domain.FrequencyMonths}, fields: []string{"rule.start"}},
		{name: "ErrUnknownStart", rule: domain.BillingRule{Frequency: domain.FrequencyMonths, Start: "soon"}, fields: []string{"rule.start"}},
		{name: "ErrOnDateWithoutDate", rule: domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnDate}, fields: []string{"rule.start_date"}},
		{name: "ErrStartDateWithOtherStart", rule: domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnAcceptance, StartDate: jan}, fields: []string{"rule.start_date"}},
		{name: "ErrNegativeDelay", rule: domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnAcceptance, StartDelayDays: -1}, fields: []string{"rule.start_delay_days"}},
		{name: "ErrDelayWithoutAcceptance", rule: domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnDate, StartDate: jan, StartDelayDays: 3}, fields: []string{"rule.start_delay_days"}},
		{name: "ErrAnchorOutOfRange", rule: domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnAcceptance, AnchorDay: 32}, fields: []string{"rule.anchor_day"}},
		{name: "ErrAnchorOnWeekly", rule: domain.BillingRule{Frequency: domain.FrequencyWeeks, Start: domain.StartOnAcceptance, AnchorDay: 3}, fields: []string{"rule.anchor_day"}},
		{name: "ErrAnchorOnManual", rule: domain.BillingRule{Frequency: domain.FrequencyEstimate, AnchorDay: 3}, fields: []string{"rule.anchor_day"}},
		{name: "ErrEndOnOnce", rule: domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnAcceptance, End: domain.EndAfterN, EndAfter: 2}, fields: []string{"rule.end"}},
		{name: "ErrUnknownEnd", rule: domain.BillingRule{Frequency: domain.FrequencyDays, Start: domain.StartOnAcceptance, End: "later"}, fields: []string{"rule.end"}},
		{name: "ErrAfterZero", rule: domain.BillingRule{Frequency: domain.FrequencyDays, Start: domain.StartOnAcceptance, End: domain.EndAfterN}, fields: []string{"rule.end_after"}},
		{name: "ErrOnDateWithoutEndDate", rule: domain.BillingRule{Frequency: domain.FrequencyDays, Start: domain.StartOnAcceptance, End: domain.EndOnDate}, fields: []string{"rule.end_date"}},
		{name: "ErrEndBeforeStart", rule: domain.BillingRule{Frequency: domain.FrequencyDays, Start: domain.StartOnDate, StartDate: jan, End: domain.EndOnDate, EndDate: jan.AddDays(-1)}, fields: []string{"rule.end_date"}},
		{name: "ErrCountWithNever", rule: domain.BillingRule{Frequency: domain.FrequencyDays, Start: domain.StartOnAcceptance, End: domain.EndNever, EndAfter: 3}, fields: []string{"rule.end_after"}},
		{
			name:   "ErrSeveralAtOnce",
			rule:   domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: -2, Start: domain.StartOnDate, AnchorDay: 40, End: domain.EndAfterN},
			fields: []string{"rule.interval", "rule.start_date", "rule.anchor_day", "rule.end_after"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rule.Validate("rule")
			var got []string
			if err != nil {
				ve, ok := err.(*domain.ValidationError)
				if !ok {
					t.Fatalf("Validate returned %T %v, want *domain.ValidationError", err, err)
				}
				for _, p := range ve.Problems {
					if p.Code != domain.EINVALID || p.Message == "" {
						t.Errorf("problem %+v: want code invalid and a message", p)
					}
					got = append(got, p.Field)
				}
			}
			if !slices.Equal(got, tt.fields) {
				t.Fatalf("Validate: fields %v (%v), want %v", got, err, tt.fields)
			}
		})
	}
	t.Run("NoPrefix", func(t *testing.T) {
		err := domain.BillingRule{}.Validate("")
		if !errorsIsField(err, "frequency") {
			t.Fatalf("Validate(\"\") = %v, want a problem with field frequency", err)
		}
	})
}

func errorsIsField(err error, field string) bool {
	ve, ok := err.(*domain.ValidationError)
	return ok && len(ve.Problems) > 0 && ve.Problems[0].Field == field
}

// randomDate returns a date between 1999-01-01 and about 2040, biased towards
// the ends of months, where clamping happens.
func randomDate(rng *rand.Rand) domain.Date {
	y := 1999 + rng.IntN(40)
	m := time.Month(1 + rng.IntN(12))
	n := domain.DaysIn(y, m)
	d := 1 + rng.IntN(n)
	if rng.IntN(2) == 0 {
		d = n - rng.IntN(4)
	}
	return domain.MustDate(y, m, d)
}

func monthIndex(d domain.Date) int { return d.Year()*12 + int(d.Month()) - 1 }

// checkCommon checks what every dated rule's occurrences share: Seq 1..n,
// strictly increasing, within [first, through], within the rule's end, and a
// prefix of the occurrences through a later date (so Seq keys are stable).
func checkCommon(t *testing.T, r domain.BillingRule, first, through domain.Date, occ []domain.Occurrence) {
	t.Helper()
	for i, o := range occ {
		if o.Seq != i+1 {
			t.Fatalf("%+v from %s: occurrence %d has Seq %d", r, first, i, o.Seq)
		}
		if o.Date.Before(first) || o.Date.After(through) {
			t.Fatalf("%+v from %s through %s: occurrence %s out of range", r, first, through, o.Date)
		}
		if i > 0 && !occ[i-1].Date.Before(o.Date) {
			t.Fatalf("%+v from %s: %s then %s is not strictly increasing", r, first, occ[i-1].Date, o.Date)
		}
		if r.End == domain.EndOnDate && o.Date.After(r.EndDate) {
			t.Fatalf("%+v from %s: occurrence %s after the end date", r, first, o.Date)
		}
	}
	if r.End == domain.EndAfterN && len(occ) > r.EndAfter {
		t.Fatalf("%+v from %s: %d occurrences, more than %d", r, first, len(occ), r.EndAfter)
	}
	later := r.Occurrences(first, through.AddDays(400))
	if len(later) < len(occ) || !slices.Equal(later[:len(occ)], occ) {
		t.Fatalf("%+v from %s: occurrences through %s are not a prefix of those through a later date", r, first, through)
	}
}

// randomEnd gives r a random end: never, after a count, or on a date after first.
func randomEnd(rng *rand.Rand, r domain.BillingRule, first domain.Date) domain.BillingRule {
	switch rng.IntN(3) {
	case 0:
		r.End = domain.EndNever
	case 1:
		r.End, r.EndAfter = domain.EndAfterN, 1+rng.IntN(40)
	case 2:
		r.End, r.EndDate = domain.EndOnDate, first.AddDays(rng.IntN(1500))
	}
	return r
}

func TestBillingRuleMonthlyProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(20260131, 4))
	for range 3000 {
		first := randomDate(rng)
		r := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: []int{0, 1, 1, 2, 3, 6, 12}[rng.IntN(7)]}
		switch rng.IntN(3) {
		case 0:
			r.AnchorDay = 29 + rng.IntN(3) // the days that clamp
		case 1:
			r.AnchorDay = 1 + rng.IntN(31)
		}
		r = randomEnd(rng, r, first)
		through := first.AddDays(rng.IntN(3000))
		occ := r.Occurrences(first, through)
		checkCommon(t, r, first, through, occ)

		n := max(r.Interval, 1)
		anchor := r.AnchorDay
		if anchor == 0 {
			anchor = first.Day()
		}
		for i, o := range occ {
			// On the anchor day, or the last day of a shorter month: back to
			// the anchor as soon as the month is long enough.
			if want := min(anchor, domain.DaysIn(o.Date.Year(), o.Date.Month())); o.Date.Day() != want {
				t.Fatalf("%+v from %s: occurrence %s is not on day %d", r, first, o.Date, want)
			}
			// Exactly one billing per period of n months.
			if i > 0 && monthIndex(o.Date)-monthIndex(occ[i-1].Date) != n {
				t.Fatalf("%+v from %s: %s then %s are not %d month(s) apart", r, first, occ[i-1].Date, o.Date, n)
			}
		}
		if len(occ) > 0 && monthIndex(occ[0].Date)-monthIndex(first) > 1 {
			t.Fatalf("%+v from %s: first billing %s is more than a month late", r, first, occ[0].Date)
		}
		checkComplete(t, r, first, through, occ, func(d domain.Date) domain.Date { return d.AddMonthsClamped(n, anchor) })
	}
}

func TestBillingRuleDaysAndWeeksProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 14))
	for range 3000 {
		first := randomDate(rng)
		r := domain.BillingRule{Frequency: domain.FrequencyDays, Interval: rng.IntN(45)}
		step := max(r.Interval, 1)
		if rng.IntN(2) == 0 {
			r.Frequency, r.Interval = domain.FrequencyWeeks, rng.IntN(5)
			step = 7 * max(r.Interval, 1)
		}
		r = randomEnd(rng, r, first)
		through := first.AddDays(rng.IntN(2000))
		occ := r.Occurrences(first, through)
		checkCommon(t, r, first, through, occ)
		if len(occ) > 0 && occ[0].Date != first {
			t.Fatalf("%+v: first billing %s, want %s", r, occ[0].Date, first)
		}
		for i := 1; i < len(occ); i++ {
			if gap := occ[i-1].Date.DaysUntil(occ[i].Date); gap != step {
				t.Fatalf("%+v from %s: %s then %s are %d days apart, want %d", r, first, occ[i-1].Date, occ[i].Date, gap, step)
			}
		}
		checkComplete(t, r, first, through, occ, func(d domain.Date) domain.Date { return d.AddDays(step) })
	}
}

// checkComplete checks that no billing is missing: the list stops only because
// the next billing would be after through, after the end date, or beyond the
// count.
func checkComplete(t *testing.T, r domain.BillingRule, first, through domain.Date, occ []domain.Occurrence, next func(domain.Date) domain.Date) {
	t.Helper()
	if len(occ) == 0 {
		if !first.After(through) && !(r.End == domain.EndOnDate && first.After(r.EndDate)) && r.AnchorDay == 0 {
			t.Fatalf("%+v from %s through %s: no billing at all", r, first, through)
		}
		return
	}
	if r.End == domain.EndAfterN && len(occ) == r.EndAfter {
		return
	}
	after := next(occ[len(occ)-1].Date)
	if !after.After(through) && !(r.End == domain.EndOnDate && after.After(r.EndDate)) {
		t.Fatalf("%+v from %s through %s: stopped at %s, but %s is due", r, first, through, occ[len(occ)-1].Date, after)
	}
}
