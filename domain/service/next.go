package service

import (
	"remit/domain"
)

// NextBilling returns the service's next billing as of today: of the items
// its schedule holds through horizon (Schedule(horizon)), the first still
// waiting to be billed (scheduled, or scheduled to be issued) dated on or
// after today, or else the first undated one; false when there is none.
//
// It derives only the few items that can be that one, not the schedule
// from the first date: per billing rule, the first occurrence on or after
// today that was never changed one by one (the items after it are dated
// later, or were replaced or archived too); and the items changed one by
// one, wherever their dates moved them. A page showing every service of a
// client with thousands of billings reads it in microseconds.
func (s State) NextBilling(today, horizon domain.Date) (Item, bool) {
	if !s.Activated() {
		return Item{}, false
	}
	general := s.general.inOrder()
	var (
		best  Item
		found bool
	)
	consider := func(it Item) {
		if !waiting(it) || (!it.Date.IsZero() && (it.Date.Before(today) || it.Date.After(horizon))) {
			return
		}
		if !found || itemBefore(it, best) {
			best, found = it, true
		}
	}
	for i, seg := range s.segments {
		for occ := range seg.rule.OccurrencesFrom(seg.first, today) {
			if !occ.Date.IsZero() && occ.Date.After(horizon) {
				break
			}
			seq := seg.base + occ.Seq
			if s.known(seq) {
				continue // one of the items changed one by one, below
			}
			// Untouched: dated as its rule says, and scheduled unless a
			// later rule replaced it or the end archived it, as it does
			// every later one.
			if it, ok := s.build(general, i, seq, occ); ok {
				consider(it)
			}
			break
		}
	}
	for seq, l := range s.items.All() {
		if l.billed != nil || !l.touched || skippedLog(l) {
			continue
		}
		if it, ok := s.item(general, ItemKey(s.ID, seq)); ok {
			consider(it)
		}
	}
	for key, l := range s.odd {
		if l.billed == nil && l.touched && !skippedLog(l) {
			if it, ok := s.item(general, key); ok {
				consider(it)
			}
		}
	}
	return best, found
}

// waiting reports whether an item still waits to be billed.
func waiting(it Item) bool {
	return it.Status == ItemScheduled || it.Status == ItemScheduledToIssue
}

// known reports whether item seq was billed or changed one by one.
func (s State) known(seq int) bool {
	l, ok := s.items.Get(seq)
	return ok && (l.billed != nil || l.touched)
}

// skippedLog reports whether an item was skipped: it never waits again.
func skippedLog(l *itemLog) bool {
	for _, c := range l.changes {
		if c.kind == itemSkip {
			return true
		}
	}
	return false
}

// itemBefore is Schedule's order: by date, undated last, then sequence.
func itemBefore(a, b Item) bool {
	switch {
	case a.Date.IsZero() != b.Date.IsZero():
		return !a.Date.IsZero()
	case a.Date != b.Date:
		return a.Date.Before(b.Date)
	}
	return a.Seq < b.Seq
}
