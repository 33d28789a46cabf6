package domain

// Occurrence returns billing n (1-based) of the rule from first, as
// Occurrences lists it, without listing the ones before it (a service with
// years of billings asks for the one after the last billed); false when the
// rule has no billing n (it ended before, or n < 1). A rule that never ends
// has every n, up to year 9999.
func (r BillingRule) Occurrence(first Date, n int) (Occurrence, bool) {
	if n < 1 {
		return Occurrence{}, false
	}
	if r.Frequency.Manual() {
		if n > 1 {
			return Occurrence{}, false
		}
		return Occurrence{Seq: 1}, true
	}
	if first.IsZero() || (r.End == EndAfterN && n > r.EndAfter) || (!r.Frequency.Repeats() && n > 1) {
		return Occurrence{}, false
	}
	first = r.alignToAnchor(first)
	anchor := first.Day()
	if r.Frequency == FrequencyMonths && r.AnchorDay >= 1 && r.AnchorDay <= 31 {
		anchor = r.AnchorDay
	}
	k, every := n-1, r.interval()
	// Far beyond year 9999 the day arithmetic would overflow: no billing there.
	if k > (10000-first.Year()+1)*366/max(every, 1) {
		return Occurrence{}, false
	}
	var d Date
	switch r.Frequency {
	case FrequencyDays:
		d = first.AddDays(k * every)
	case FrequencyWeeks:
		d = first.AddDays(7 * k * every)
	case FrequencyMonths:
		d = first.AddMonthsClamped(k*every, anchor)
	default:
		d = first
	}
	if d.Year() > 9999 || (r.End == EndOnDate && !r.EndDate.IsZero() && d.After(r.EndDate)) {
		return Occurrence{}, false
	}
	return Occurrence{Seq: n, Date: d}, true
}
