package proposal

import (
	"fmt"
	"slices"
	"strings"

	"remit/domain"
)

// Cadence is how often an amount is billed, in words that follow an amount:
// "a month", "a year", "every 2 weeks", "once", "on completion".
type Cadence struct {
	Label string
	// days orders cadences: the period's length in days (a month is 30),
	// then once, then the manual kinds.
	days int
}

// CadenceOf returns how often a billing rule bills.
func CadenceOf(r domain.BillingRule) Cadence {
	n := max(r.Interval, 1)
	every := func(unit string, days int) Cadence {
		if n == 1 {
			return Cadence{Label: "a " + unit, days: days}
		}
		return Cadence{Label: fmt.Sprintf("every %d %ss", n, unit), days: n * days}
	}
	switch r.Frequency {
	case domain.FrequencyDays:
		return every("day", 1)
	case domain.FrequencyWeeks:
		if n == 2 {
			return Cadence{Label: "a fortnight", days: 14}
		}
		return every("week", 7)
	case domain.FrequencyMonths:
		switch n {
		case 3:
			return Cadence{Label: "a quarter", days: 90}
		case 12:
			return Cadence{Label: "a year", days: 360}
		}
		return every("month", 30)
	case domain.FrequencyOnCompletion:
		return Cadence{Label: "on completion", days: 1 << 30}
	case domain.FrequencyEstimate:
		return Cadence{Label: "estimated", days: 1<<30 + 1}
	}
	return Cadence{Label: "once", days: 1 << 29}
}

// CadenceTotal is what the lines billed at one cadence add up to per billing,
// tax included.
type CadenceTotal struct {
	Cadence Cadence
	Net     domain.Money
	Tax     domain.Money
	Gross   domain.Money
}

// LineValue is one line's amounts per billing, and how often it bills.
type LineValue struct {
	Line    Line
	Amounts domain.LineAmounts
	Cadence Cadence
	// FirstYear is how many times the line bills in the proposal's first
	// twelve months.
	FirstYear int
	// FirstYearGross is what those billings add up to, tax included: a
	// first period billed pro rata (domain.BillingRule.ProRataFirst) counts
	// at its reduced price, not the full period's.
	FirstYearGross domain.Money
	// ProRata is the partial first period counted in FirstYearGross (zero:
	// every billing counted is a whole period).
	ProRata domain.ProRata
}

// Value is what a proposal is worth: its lines' amounts, their totals per
// cadence (amounts billed at different cadences are never added up), and
// what it bills in its first twelve months.
type Value struct {
	Lines     []LineValue
	Cadences  []CadenceTotal // shortest period first, then once, then manual
	FirstYear domain.Money   // tax included
}

// ValueOf computes a proposal's value under the firm's tax mode. The first
// year runs twelve months from the proposal's start date, or from today when
// it has none; a line starting on acceptance is counted from the same day
// (its delay added), and an undated manual line (on completion, estimate)
// once. A line billing its first period pro rata counts that billing at
// the pro-rata price (as its service will bill it), so the value shown
// before signing is what the first year really bills.
func ValueOf(s State, mode domain.TaxMode, today domain.Date) (Value, error) {
	v := Value{FirstYear: domain.Zero(s.Currency)}
	from := s.StartDate
	if from.IsZero() {
		from = today
	}
	through := from.AddMonthsClamped(12, from.Day()).AddDays(-1)
	for _, l := range s.Lines {
		a, err := domain.ComputeLine(s.Currency, mode, domain.LineInput{Quantity: l.Quantity, UnitPrice: l.UnitPrice, Discount: l.Discount, TaxRate: l.TaxRate})
		if err != nil {
			return Value{}, fmt.Errorf("line %q: %w", l.Name, err)
		}
		lv := LineValue{Line: l, Amounts: a, Cadence: CadenceOf(l.BillingRule), FirstYearGross: domain.Zero(s.Currency)}
		first, err := l.BillingRule.FirstDate(from, from)
		if err != nil || (first.IsZero() && !l.BillingRule.Frequency.Manual()) {
			first = from
		}
		for _, o := range l.BillingRule.Occurrences(first, through) {
			if !o.Date.IsZero() && o.Date.Before(from) {
				continue
			}
			lv.FirstYear++
			gross := a.Gross
			if !o.ProRata.IsZero() {
				part, err := domain.ComputeLine(s.Currency, mode, domain.LineInput{Quantity: l.Quantity, UnitPrice: o.ProRata.Apply(l.UnitPrice, s.Currency), Discount: l.Discount, TaxRate: l.TaxRate})
				if err != nil {
					return Value{}, fmt.Errorf("line %q, pro-rata first period: %w", l.Name, err)
				}
				gross, lv.ProRata = part.Gross, o.ProRata
			}
			lv.FirstYearGross, _ = lv.FirstYearGross.Add(gross)
		}
		v.Lines = append(v.Lines, lv)
		v.FirstYear, _ = v.FirstYear.Add(lv.FirstYearGross)
		i := slices.IndexFunc(v.Cadences, func(c CadenceTotal) bool { return c.Cadence == lv.Cadence })
		if i < 0 {
			z := domain.Zero(s.Currency)
			v.Cadences = append(v.Cadences, CadenceTotal{Cadence: lv.Cadence, Net: z, Tax: z, Gross: z})
			i = len(v.Cadences) - 1
		}
		c := &v.Cadences[i]
		c.Net, _ = c.Net.Add(a.Net)
		c.Tax, _ = c.Tax.Add(a.Tax)
		c.Gross, _ = c.Gross.Add(a.Gross)
	}
	slices.SortStableFunc(v.Cadences, func(a, b CadenceTotal) int { return a.Cadence.days - b.Cadence.days })
	return v, nil
}

// FormatCadences says totals per cadence for people, tax included:
// "A$759.00 a month, A$3,520.00 a year, A$2,200.00 once".
func FormatCadences(cs []CadenceTotal) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = domain.FormatMoney(c.Gross) + " " + c.Cadence.Label
	}
	return strings.Join(parts, ", ")
}
