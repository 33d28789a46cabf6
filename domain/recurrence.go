package domain

import (
	"fmt"
	"iter"

	"github.com/shopspring/decimal"
)

// Frequency is how often a service bills.
type Frequency string

// Frequencies. Weekly is Every 1 FrequencyWeeks, fortnightly 2 weeks, monthly 1
// month, quarterly 3 months, yearly 12 months.
const (
	FrequencyOnce         Frequency = "once"          // one billing
	FrequencyDays         Frequency = "days"          // every Interval days
	FrequencyWeeks        Frequency = "weeks"         // every Interval weeks
	FrequencyMonths       Frequency = "months"        // every Interval months on AnchorDay, clamped to month end
	FrequencyOnCompletion Frequency = "on_completion" // one manual billing when the work is done (no date)
	FrequencyEstimate     Frequency = "estimate"      // one manual billing of an estimate (no date)
)

// StartKind says when the first billing falls.
type StartKind string

// Start kinds.
const (
	StartOnAcceptance    StartKind = "on_acceptance"  // the acceptance date plus StartDelayDays
	StartOnProposalStart StartKind = "proposal_start" // the proposal's start date
	StartOnDate          StartKind = "on_date"        // StartDate
)

// EndKind says when billing stops.
type EndKind string

// End kinds.
const (
	EndNever  EndKind = "never"       // indefinitely
	EndAfterN EndKind = "after_count" // after EndAfter billings
	EndOnDate EndKind = "on_date"     // no billing after EndDate
)

// MaxInterval is the largest N of "every N days, weeks or months"; it keeps
// date arithmetic far from overflow and catches typing slips.
const MaxInterval = 1000

// BillingRule is a service's billing rule: frequency, start, end and anchor.
//
// Manual-only rules (on completion, estimate) need no start or end. A repeating
// rule with an empty End never ends, like EndNever.
//
// ProRataFirst (monthly rules with an AnchorDay only) bills a start that
// falls between anchors for the part of the period it covers, instead of
// waiting for the anchor: the first billing is on the start date itself and
// covers [start, first anchor), priced at the full period's price × (days of
// that part ÷ days of the full period that ends on the first anchor), rounded
// to minor units per line (FirstPeriod; the service's schedule applies it);
// every later billing falls on the anchor as without the option. A start on
// an anchor day has no partial period: the option then changes nothing. The
// pro-rata billing is one of the rule's billings (it counts towards
// EndAfter). Weekly and daily rules bill from their start date, so their
// first period is always whole and the option is refused for them.
type BillingRule struct {
	Frequency      Frequency `json:"frequency"`
	Interval       int       `json:"interval,omitempty" min:"1"` // N of "every N days/weeks/months"; 0 (left out) means 1, but a request that gives it gives at least 1
	Start          StartKind `json:"start"`
	StartDelayDays int       `json:"start_delay_days,omitempty"`
	StartDate      Date      `json:"start_date,omitzero"`
	AnchorDay      int       `json:"anchor_day,omitempty"` // day of month for monthly rules; 0 means the start date's day
	End            EndKind   `json:"end"`
	EndAfter       int       `json:"end_after,omitempty"`
	EndDate        Date      `json:"end_date,omitzero"`
	ProRataFirst   bool      `json:"pro_rata_first,omitempty"` // bill the first, partial period pro rata from the start date (monthly with an anchor day)
}

// ProRata is the part of a full period that a pro-rata first billing covers:
// the days From (the start date) up to but not including Until (the first
// anchor), Days of the Of days of the full period that ends on Until. The
// zero ProRata is a whole period.
type ProRata struct {
	From, Until Date
	Days, Of    int
}

// IsZero reports whether p is a whole period (no pro rata).
func (p ProRata) IsZero() bool { return p == ProRata{} }

// Apply returns amount × Days ÷ Of rounded to the currency's minor units,
// half away from zero; amount itself for a whole period.
func (p ProRata) Apply(amount decimal.Decimal, c Currency) decimal.Decimal {
	if p.IsZero() || p.Of < 1 {
		return amount
	}
	return c.Round(amount.Mul(decimal.NewFromInt(int64(p.Days))).Div(decimal.NewFromInt(int64(p.Of))))
}

// String names the partial period for an invoice line: "15 – 30 April
// 2027, pro rata 16/30 days" ("" for a whole period).
func (p ProRata) String() string {
	if p.IsZero() {
		return ""
	}
	last := p.Until.AddDays(-1)
	var span string
	switch {
	case last == p.From:
		span = fmt.Sprintf("%d %s %d", p.From.Day(), p.From.Month(), p.From.Year())
	case last.Year() != p.From.Year():
		span = fmt.Sprintf("%d %s %d – %d %s %d", p.From.Day(), p.From.Month(), p.From.Year(), last.Day(), last.Month(), last.Year())
	case last.Month() != p.From.Month():
		span = fmt.Sprintf("%d %s – %d %s %d", p.From.Day(), p.From.Month(), last.Day(), last.Month(), last.Year())
	default:
		span = fmt.Sprintf("%d – %d %s %d", p.From.Day(), last.Day(), last.Month(), last.Year())
	}
	return fmt.Sprintf("%s, pro rata %d/%d days", span, p.Days, p.Of)
}

// Occurrence is one billing of a rule: its 1-based sequence number (stable, so
// schedule item keys can be service id + Seq) and its date. Manual-only rules
// (on completion, estimate) have one occurrence with a zero Date. ProRata is
// set on the first occurrence of a ProRataFirst rule that starts between
// anchors, and zero on every other.
type Occurrence struct {
	Seq     int
	Date    Date
	ProRata ProRata
}

// Validate reports every problem with the rule as field errors under prefix
// (e.g. "billing_rule"), or nil when the rule is sound.
func (r BillingRule) Validate(prefix string) error {
	field := func(name string) string { return joinField(prefix, name) }
	var p Problems
	switch r.Frequency {
	case FrequencyOnce, FrequencyDays, FrequencyWeeks, FrequencyMonths, FrequencyOnCompletion, FrequencyEstimate:
	case "":
		p.Add(field("frequency"), "choose how often the service bills")
		return p.Err()
	default:
		p.Add(field("frequency"), "%q is not a billing frequency (use once, days, weeks, months, on_completion or estimate)", r.Frequency)
		return p.Err()
	}
	repeating := r.Frequency.Repeats()
	switch {
	case r.Interval < 0:
		p.Add(field("interval"), "the interval cannot be negative")
	case r.Interval > MaxInterval:
		p.Add(field("interval"), "the interval can be at most %d", MaxInterval)
	case !repeating && r.Interval > 1:
		p.Add(field("interval"), "only a repeating rule (every N days, weeks or months) has an interval")
	}
	if r.ProRataFirst && (r.Frequency != FrequencyMonths || r.AnchorDay == 0) {
		p.Add(field("pro_rata_first"), "only a monthly rule billed on a set day of the month (anchor_day) can bill its first period pro rata: other rules bill whole periods from their start")
	}
	if r.Frequency.Manual() {
		// Billed by hand when the work is done: start, end and anchor mean nothing.
		if r.AnchorDay != 0 {
			p.Add(field("anchor_day"), "only a monthly rule has an anchor day")
		}
		return p.Err()
	}

	r.checkStart(&p, field)

	switch {
	case r.AnchorDay < 0 || r.AnchorDay > 31:
		p.Add(field("anchor_day"), "the anchor day must be a day of the month, 1 to 31")
	case r.AnchorDay != 0 && r.Frequency != FrequencyMonths:
		p.Add(field("anchor_day"), "only a monthly rule has an anchor day")
	}

	if !repeating {
		// A one-time billing has no end; accept only the harmless "never".
		if r.End != "" && r.End != EndNever {
			p.Add(field("end"), "a one-time billing has no end")
		}
		return p.Err()
	}
	r.checkEnd(&p, field)
	return p.Err()
}

// checkStart reports the problems of a dated rule's start and its delay.
func (r BillingRule) checkStart(p *Problems, field func(string) string) {
	switch r.Start {
	case StartOnAcceptance, StartOnProposalStart:
		if !r.StartDate.IsZero() {
			p.Add(field("start_date"), "a start date is only given when the rule starts on a date")
		}
	case StartOnDate:
		if r.StartDate.IsZero() {
			p.Add(field("start_date"), "give the date of the first billing")
		}
	case "":
		p.Add(field("start"), "choose when billing starts (on_acceptance, proposal_start or on_date)")
	default:
		p.Add(field("start"), "%q is not a start (use on_acceptance, proposal_start or on_date)", r.Start)
	}
	switch {
	case r.StartDelayDays < 0:
		p.Add(field("start_delay_days"), "the delay cannot be negative")
	case r.StartDelayDays > 0 && r.Start != StartOnAcceptance:
		p.Add(field("start_delay_days"), "only a rule that starts on acceptance can be delayed")
	case r.StartDelayDays > 3660:
		p.Add(field("start_delay_days"), "the delay can be at most 3660 days")
	}
}

// checkEnd reports the problems of a repeating rule's end.
func (r BillingRule) checkEnd(p *Problems, field func(string) string) {
	switch r.End {
	case "", EndNever:
		if r.EndAfter != 0 {
			p.Add(field("end_after"), "a number of billings is only given when the rule ends after a count")
		}
		if !r.EndDate.IsZero() {
			p.Add(field("end_date"), "an end date is only given when the rule ends on a date")
		}
	case EndAfterN:
		if r.EndAfter < 1 {
			p.Add(field("end_after"), "give the number of billings, at least 1")
		}
		if !r.EndDate.IsZero() {
			p.Add(field("end_date"), "an end date is only given when the rule ends on a date")
		}
	case EndOnDate:
		switch {
		case r.EndDate.IsZero():
			p.Add(field("end_date"), "give the date after which billing stops")
		case r.Start == StartOnDate && !r.StartDate.IsZero() && r.EndDate.Before(r.StartDate):
			p.Add(field("end_date"), "the end date %s is before the start date %s", r.EndDate, r.StartDate)
		}
		if r.EndAfter != 0 {
			p.Add(field("end_after"), "a number of billings is only given when the rule ends after a count")
		}
	default:
		p.Add(field("end"), "%q is not an end (use never, after_count or on_date)", r.End)
	}
}

// Repeats reports whether the frequency bills more than once.
func (f Frequency) Repeats() bool {
	return f == FrequencyDays || f == FrequencyWeeks || f == FrequencyMonths
}

// Manual reports whether the frequency yields one undated billing that
// someone issues by hand (on completion, estimate).
func (f Frequency) Manual() bool {
	return f == FrequencyOnCompletion || f == FrequencyEstimate
}

// FirstDate resolves the rule's start to a date, given the acceptance date
// and the proposal's start date (either may be zero when unknown). Manual-only
// rules have no date: they return the zero Date. A monthly rule with an anchor
// day first bills on the anchor day on or after the start (clamped to the end
// of a shorter month), unless it bills its first period pro rata: then it
// first bills on the start date itself.
func (r BillingRule) FirstDate(accepted, proposalStart Date) (Date, error) {
	if r.Frequency.Manual() {
		return Date{}, nil
	}
	var d Date
	switch r.Start {
	case StartOnAcceptance:
		if accepted.IsZero() {
			return Date{}, Conflict("billing starts on acceptance, and the proposal has not been accepted yet")
		}
		d = accepted.AddDays(r.StartDelayDays)
	case StartOnProposalStart:
		if proposalStart.IsZero() {
			return Date{}, Invalid("start", "billing starts on the proposal's start date, and the proposal has no start date")
		}
		d = proposalStart
	case StartOnDate:
		if r.StartDate.IsZero() {
			return Date{}, Invalid("start_date", "give the date of the first billing")
		}
		d = r.StartDate
	default:
		return Date{}, Invalid("start", "%q is not a start (use on_acceptance, proposal_start or on_date)", r.Start)
	}
	if r.proRata() {
		return d, nil
	}
	return r.alignToAnchor(d), nil
}

// proRata reports whether the rule bills a partial first period pro rata.
func (r BillingRule) proRata() bool {
	return r.ProRataFirst && r.Frequency == FrequencyMonths && r.AnchorDay >= 1 && r.AnchorDay <= 31
}

// FirstPeriod returns the partial period that a rule billing its first
// period pro rata bills first when its first date is first: from first up
// to its first anchor on or after first, as a part of the full period of
// Interval months ending on that anchor. It is false for a rule without
// the option, and for a first date on an anchor day (a whole period).
func (r BillingRule) FirstPeriod(first Date) (ProRata, bool) {
	if !r.proRata() || first.IsZero() {
		return ProRata{}, false
	}
	until := r.alignToAnchor(first)
	if until == first {
		return ProRata{}, false
	}
	full := until.AddMonthsClamped(-r.interval(), r.AnchorDay)
	return ProRata{From: first, Until: until, Days: first.DaysUntil(until), Of: full.DaysUntil(until)}, true
}

// alignToAnchor moves d forward to the rule's anchor day (clamped) when the
// rule is monthly with an anchor day, so that the first billing and every
// later one fall on the anchor and no month is billed twice.
func (r BillingRule) alignToAnchor(d Date) Date {
	if r.Frequency != FrequencyMonths || r.AnchorDay < 1 || r.AnchorDay > 31 || d.IsZero() {
		return d
	}
	if c := d.AddMonthsClamped(0, r.AnchorDay); !c.Before(d) {
		return c
	}
	return d.AddMonthsClamped(1, r.AnchorDay)
}

func (r BillingRule) interval() int {
	if r.Interval < 1 {
		return 1
	}
	return r.Interval
}

// Occurrences returns the rule's billings from first (the resolved start date)
// whose date is on or before through, in order, strictly increasing, never more
// than one per period, respecting EndAfter and EndDate. A first date in the
// past relative to the caller's today yields the catch-up billings naturally.
//
// Occurrence k (0-based) of a monthly rule is first plus k×Interval months on
// the anchor day (AnchorDay, or first's day when 0), clamped to the month's
// end: it is never derived from the previous occurrence, so a rule on the 31st
// returns to the 31st after February. A zero through means "no limit but the
// rule's own end"; a rule that never ends then yields nothing. Manual-only
// rules yield one occurrence with a zero Date whatever first and through are.
func (r BillingRule) Occurrences(first, through Date) []Occurrence {
	if r.Frequency.Manual() {
		return []Occurrence{{Seq: 1, Date: Date{}}}
	}
	d, ok := r.dated(first, through)
	if !ok || (d.limit == 0 && d.last.IsZero()) {
		return nil // never ends and no horizon: there is no finite answer
	}
	var out []Occurrence
	for k := 0; ; k++ {
		occ, ok := d.at(k)
		if !ok {
			break
		}
		out = append(out, occ)
	}
	return out
}

// OccurrencesFrom yields the rule's billings from first (as Occurrences)
// dated on or after from, in order, until the rule's own end (or year 9999):
// the caller stops when it has seen enough. It starts at the first billing
// on or after from without generating the earlier ones, so it costs the same
// however long ago first was. Manual-only rules yield their one undated
// occurrence whatever from is.
func (r BillingRule) OccurrencesFrom(first, from Date) iter.Seq[Occurrence] {
	return func(yield func(Occurrence) bool) {
		if r.Frequency.Manual() {
			yield(Occurrence{Seq: 1, Date: Date{}})
			return
		}
		d, ok := r.dated(first, Date{})
		if !ok {
			return
		}
		for k := d.startNear(from); ; k++ {
			occ, ok := d.at(k)
			if !ok {
				return
			}
			if occ.Date.Before(from) {
				continue
			}
			if !yield(occ) {
				return
			}
		}
	}
}

// Occurrence returns occurrence n (1-based) of the rule from first, the one
// Occurrences lists n-th, without generating those before it; false when the
// rule ends before it.
func (r BillingRule) Occurrence(first Date, n int) (Occurrence, bool) {
	switch {
	case n < 1:
		return Occurrence{}, false
	case r.Frequency.Manual():
		return Occurrence{Seq: 1}, n == 1
	}
	d, ok := r.dated(first, Date{})
	if !ok {
		return Occurrence{}, false
	}
	return d.at(n - 1)
}

// datedRule is a dated rule resolved for a first date: what the date of each
// occurrence and where the billings stop depend on.
type datedRule struct {
	freq   Frequency
	first  Date    // aligned to the anchor
	anchor int     // day of month of monthly occurrences
	n      int     // the interval
	limit  int     // the most occurrences; 0 = no count limit
	last   Date    // the latest date an occurrence may have; zero = none
	part   ProRata // the partial first period billed pro rata before first; zero = none
}

// dated resolves a dated rule for first and a horizon through (zero = none);
// false when it has no occurrence at all.
func (r BillingRule) dated(first, through Date) (datedRule, bool) {
	if first.IsZero() {
		return datedRule{}, false
	}
	limit := r.EndAfter
	switch r.End {
	case EndAfterN:
		if limit < 1 {
			return datedRule{}, false
		}
	default:
		limit = 0 // no count limit
	}
	if !r.Frequency.Repeats() {
		limit = 1
	}
	last := through
	if r.End == EndOnDate && !r.EndDate.IsZero() && (last.IsZero() || r.EndDate.Before(last)) {
		last = r.EndDate
	}
	part, _ := r.FirstPeriod(first)
	first = r.alignToAnchor(first)
	anchor := first.Day()
	if r.Frequency == FrequencyMonths && r.AnchorDay >= 1 && r.AnchorDay <= 31 {
		anchor = r.AnchorDay
	}
	return datedRule{freq: r.Frequency, first: first, anchor: anchor, n: r.interval(), limit: limit, last: last, part: part}, true
}

// at returns occurrence k (0-based), or false when the rule's billings stop
// before it.
func (d datedRule) at(k int) (Occurrence, bool) {
	if k < 0 || (d.limit > 0 && k >= d.limit) {
		return Occurrence{}, false
	}
	if !d.part.IsZero() {
		// The pro-rata billing on the start date comes first; the regular
		// ones on the anchors follow it, numbered one higher.
		if k == 0 {
			if !d.last.IsZero() && d.part.From.After(d.last) {
				return Occurrence{}, false
			}
			return Occurrence{Seq: 1, Date: d.part.From, ProRata: d.part}, true
		}
		occ, ok := datedRule{freq: d.freq, first: d.first, anchor: d.anchor, n: d.n, last: d.last}.at(k - 1)
		occ.Seq = k + 1
		return occ, ok
	}
	var date Date
	switch d.freq {
	case FrequencyDays:
		date = d.first.AddDays(k * d.n)
	case FrequencyWeeks:
		date = d.first.AddDays(7 * k * d.n)
	case FrequencyMonths:
		date = d.first.AddMonthsClamped(k*d.n, d.anchor)
	default: // FrequencyOnce and anything unknown: one billing on first
		if k > 0 {
			return Occurrence{}, false
		}
		date = d.first
	}
	if date.Year() > 9999 || (!d.last.IsZero() && date.After(d.last)) {
		return Occurrence{}, false
	}
	return Occurrence{Seq: k + 1, Date: date}, true
}

// startNear returns an occurrence number at or just before the first one
// dated on or after from: every occurrence before it is dated before from.
func (d datedRule) startNear(from Date) int {
	if from.IsZero() || !from.After(d.first) {
		return 0
	}
	if !d.part.IsZero() {
		// Every occurrence numbered k of the regular ones is k+1 here.
		return datedRule{freq: d.freq, first: d.first, anchor: d.anchor, n: d.n}.startNear(from) + 1
	}
	var k int
	switch d.freq {
	case FrequencyDays:
		k = d.first.DaysUntil(from) / d.n
	case FrequencyWeeks:
		k = d.first.DaysUntil(from) / (7 * d.n)
	case FrequencyMonths:
		months := (from.Year()-d.first.Year())*12 + int(from.Month()) - int(d.first.Month())
		k = months / d.n
	default:
		return 0
	}
	// Occurrence k is dated on or before from (k periods of at most a month
	// each from first): the one before it is certainly before from.
	return max(0, k-1)
}
