package service

import "remit/domain"

// Pending returns the items of Schedule(through) that are neither billed
// nor skipped, in the same order: what the Billing Schedule tab shows of
// the service (archived items included; the caller leaves them out).
//
// It builds only the items that can be pending. A billed item is billed
// whichever rule's occurrence or recorded change leads to it (build and
// item return the item as billed first), so the billed (and changed) items
// at the start of each rule are passed over by their sequence numbers
// without being built from the rule:
// a service with years of billings costs its recorded items' walk and the
// items from its first unbilled one on, not a schedule from its first date.
// Read models store it beside each service (a table column), rewritten
// whenever the service changes.
func (s State) Pending(through domain.Date) []Item {
	if !s.Activated() {
		return nil
	}
	general := s.general.inOrder()
	found := map[int]Item{}
	for i, seg := range s.segments {
		for occ := range s.unbilledOccurrences(seg, through) {
			seq := seg.base + occ.Seq
			if s.billedSeq(seq) {
				continue
			}
			if it, ok := s.build(general, i, seq, occ); ok {
				found[seq] = it
			}
		}
	}
	var out []Item
	keep := func(it Item) {
		if it.Status != ItemBilled && it.Status != ItemSkipped && (it.Date.IsZero() || !it.Date.After(through)) {
			out = append(out, it)
		}
	}
	for _, it := range found {
		keep(it)
	}
	// Items moved to an earlier date, and those of replaced rules.
	for seq, l := range s.items.All() {
		if _, ok := found[seq]; ok || l.billed != nil || !l.touched {
			continue
		}
		if it, ok := s.item(general, ItemKey(s.ID, seq)); ok {
			keep(it)
		}
	}
	for key, l := range s.odd {
		if l.billed == nil && l.touched {
			if it, ok := s.item(general, key); ok {
				keep(it)
			}
		}
	}
	sortItems(out)
	return out
}

// billedSeq reports whether item seq is billed.
func (s State) billedSeq(seq int) bool {
	l, ok := s.items.Get(seq)
	return ok && l.billed != nil
}

// unbilledOccurrences yields the occurrences of a segment's rule dated on
// or before through (as Schedule goes over them), from its first item
// neither billed nor changed one by one. Those before it are billed (never
// pending), or changed one by one, which Pending builds from where they
// are recorded (as item does): a rule's item dated before the next rule
// takes effect has a sequence number below that rule's, so item finds it
// of this rule, and one dated after is replaced there and here alike.
func (s State) unbilledOccurrences(seg segment, through domain.Date) func(func(domain.Occurrence) bool) {
	return func(yield func(domain.Occurrence) bool) {
		if seg.rule.Frequency.Manual() {
			for _, occ := range seg.rule.Occurrences(seg.first, through) {
				if !yield(occ) {
					return
				}
			}
			return
		}
		n := 1
		for s.known(seg.base + n) {
			n++
		}
		start, ok := seg.rule.Occurrence(seg.first, n)
		if !ok || start.Date.After(through) {
			return
		}
		for occ := range seg.rule.OccurrencesFrom(seg.first, start.Date) {
			if occ.Date.After(through) {
				return
			}
			if occ.Seq >= n && !yield(occ) {
				return
			}
		}
	}
}
