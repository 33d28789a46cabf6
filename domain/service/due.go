package service

import "remit/domain"

// NextDue returns the earliest date on which a billing run has an item of
// the service to invoice: the date of an automatic item still scheduled
// (neither billed, skipped nor archived), or the day a manual item is
// scheduled to be issued, whichever comes first. It is false when no item
// will ever be due as the service stands (every item billed, skipped,
// archived or waiting for someone). So DueItems(today) is non-empty exactly
// when NextDue is set and on or before today, and a billing run need look
// only at the services whose NextDue has come.
//
// It does not derive the schedule from the first date: the items billed or
// changed one by one are read where they are recorded (billed ones are never
// due), and of each billing rule's other items only the first is built,
// found by its sequence number: every later one has a later date, the same
// mode, and is archived or replaced by a later rule if that one is. So a
// service with years of billed items costs a walk over its recorded items,
// not a schedule.
func (s State) NextDue() (domain.Date, bool) {
	if !s.Activated() {
		return domain.Date{}, false
	}
	general := s.general.inOrder()
	var next domain.Date
	found := false
	consider := func(it Item) {
		if d, ok := dueOn(it); ok && (!found || d.Before(next)) {
			next, found = d, true
		}
	}
	for seq, l := range s.items.All() {
		if l.billed == nil && l.touched {
			if it, ok := s.item(general, ItemKey(s.ID, seq)); ok {
				consider(it)
			}
		}
	}
	// Keys of s.odd are not this service's items: none is ever due.
	for i := range s.segments {
		if it, ok := s.firstUnrecorded(general, i); ok {
			consider(it)
		}
	}
	return next, found
}

// dueOn is the date from which a billing run invoices the item, as DueItems
// judges it: an automatic item still scheduled on its date, a manual item
// scheduled to be issued on that day.
func dueOn(it Item) (domain.Date, bool) {
	switch {
	case it.Mode == Automatic && it.Status == ItemScheduled && !it.Date.IsZero():
		return it.Date, true
	case it.Mode == Manual && it.Status == ItemScheduledToIssue:
		return it.IssueOn, true
	}
	return domain.Date{}, false
}

// firstUnrecorded builds the first item of segment seg that is neither
// billed nor changed one by one (false when the rule has none left).
func (s State) firstUnrecorded(general []change, seg int) (Item, bool) {
	sg := s.segments[seg]
	n := 1
	for {
		l, ok := s.items.Get(sg.base + n)
		if !ok || (l.billed == nil && !l.touched) {
			break
		}
		n++
	}
	occ, ok := sg.rule.Occurrence(sg.first, n)
	if !ok {
		return Item{}, false
	}
	return s.build(general, seg, sg.base+n, occ)
}
