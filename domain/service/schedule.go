package service

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// ItemStatus is where a schedule item stands.
type ItemStatus string

// Item statuses.
const (
	ItemScheduled        ItemStatus = "scheduled"          // waiting for its date (automatic) or for someone (manual)
	ItemScheduledToIssue ItemStatus = "scheduled_to_issue" // a manual item to be issued on IssueOn
	ItemBilled           ItemStatus = "billed"             // invoiced on InvoiceID
	ItemSkipped          ItemStatus = "skipped"            // will not be billed
	ItemArchived         ItemStatus = "archived"           // after the service's end date
)

// Item is one billing of a service's schedule.
type Item struct {
	Key             string // "<service-uuid>/<seq>", see ItemKey
	ServiceID       uuid.UUID
	Seq             int
	Date            domain.Date // zero for an on-completion or estimate item
	Description     string
	Quantity        decimal.Decimal
	UnitPrice       domain.Money
	Discount        domain.Discount
	TaxRate         decimal.Decimal
	Mode            BillingMode
	PaymentMethodID uuid.UUID
	Status          ItemStatus
	IssueOn         domain.Date // for ItemScheduledToIssue
	InvoiceID       uuid.UUID   // for ItemBilled
}

// OverdueOn reports whether the item is a manual one still waiting for
// someone after its date (and not scheduled to be issued later).
func (it Item) OverdueOn(today domain.Date) bool {
	return it.Mode == Manual && it.Status == ItemScheduled && !it.Date.IsZero() && it.Date.Before(today)
}

// ItemKey returns the key of a service's item number seq: "<service-uuid>/<seq>".
func ItemKey(serviceID uuid.UUID, seq int) string {
	return serviceID.String() + "/" + strconv.Itoa(seq)
}

// ParseItemKey splits an item key into its service id and sequence number.
func ParseItemKey(key string) (uuid.UUID, int, bool) {
	id, seqText, ok := strings.Cut(key, "/")
	if !ok {
		return uuid.Nil, 0, false
	}
	serviceID, err := uuid.Parse(id)
	if err != nil {
		return uuid.Nil, 0, false
	}
	// Canonical digits only ("7", not "07" or "+7"), so a key has one spelling.
	if seqText == "" || seqText[0] < '1' || seqText[0] > '9' || strings.Trim(seqText, "0123456789") != "" {
		return uuid.Nil, 0, false
	}
	seq, err := strconv.Atoi(seqText)
	if err != nil {
		return uuid.Nil, 0, false
	}
	return serviceID, seq, true
}

// CompareItemKeys orders item keys by service, then sequence number (so
// "…/2" before "…/10"); keys that do not parse come last, as strings.
func CompareItemKeys(a, b string) int {
	sa, na, oka := ParseItemKey(a)
	sb, nb, okb := ParseItemKey(b)
	switch {
	case oka && okb:
		if c := strings.Compare(sa.String(), sb.String()); c != 0 {
			return c
		}
		return cmp.Compare(na, nb)
	case oka:
		return -1
	case okb:
		return 1
	}
	return strings.Compare(a, b)
}

func parseSeq(key string) (int, bool) {
	_, seq, ok := ParseItemKey(key)
	return seq, ok
}

// Schedule returns the service's items dated on or before through (and its
// undated manual items), ordered by date (undated last) and then key: the
// items of its billing rules from their first dates, with every recorded
// change replayed over them, billed items as they were billed, and items after
// the end date archived. Items a rule change replaced are gone, unless billed.
func (s State) Schedule(through domain.Date) []Item {
	if !s.Activated() {
		return nil
	}
	general := s.general.inOrder()
	found := map[string]Item{}
	for i, seg := range s.segments {
		for _, occ := range seg.rule.Occurrences(seg.first, through) {
			if it, ok := s.build(general, i, seg.base+occ.Seq, occ); ok {
				found[it.Key] = it
			}
		}
	}
	// Items moved to an earlier date, and billed ones whose rule was replaced.
	for _, key := range s.knownKeys() {
		if _, ok := found[key]; !ok {
			if it, ok := s.item(general, key); ok {
				found[key] = it
			}
		}
	}
	var out []Item
	for _, it := range found {
		if it.Date.IsZero() || !it.Date.After(through) {
			out = append(out, it)
		}
	}
	sortItems(out)
	return out
}

// DueItems returns what a billing run must invoice today: automatic items
// dated on or before today that are neither billed, skipped nor archived, and
// manual items scheduled to be issued on or before today.
func (s State) DueItems(today domain.Date) []Item {
	var out []Item
	seen := map[string]bool{}
	consider := func(it Item) {
		if seen[it.Key] {
			return
		}
		seen[it.Key] = true
		switch {
		case it.Mode == Automatic && it.Status == ItemScheduled && !it.Date.IsZero() && !it.Date.After(today):
			out = append(out, it)
		case it.Mode == Manual && it.Status == ItemScheduledToIssue && !it.IssueOn.After(today):
			out = append(out, it)
		}
	}
	for _, it := range s.Schedule(today) {
		consider(it)
	}
	general := s.general.inOrder()
	for _, key := range s.knownKeys() { // manual items issued before their date
		if it, ok := s.item(general, key); ok {
			consider(it)
		}
	}
	sortItems(out)
	return out
}

// Item returns the item with the given key, wherever it falls, or false when
// the schedule has no such item (or a rule change replaced it).
func (s State) Item(key string) (Item, bool) {
	return s.item(s.general.inOrder(), key)
}

// item is Item with the changes of every item, oldest first.
func (s State) item(general []change, key string) (Item, bool) {
	if it, ok := s.billedItem(key); ok {
		return it, true
	}
	serviceID, seq, ok := ParseItemKey(key)
	if !ok || serviceID != s.ID || !s.Activated() {
		return Item{}, false
	}
	i := len(s.segments) - 1
	for i > 0 && s.segments[i].base >= seq {
		i--
	}
	seg := s.segments[i]
	occ, ok := nthOccurrence(seg.rule, seg.first, seq-seg.base)
	if !ok {
		return Item{}, false
	}
	return s.build(general, i, seq, occ)
}

// maxSearchDays bounds how far ahead nthOccurrence looks (about 10,000 years).
const maxSearchDays = 3_700_000

// nthOccurrence finds occurrence n (1-based) of a rule without generating
// the ones before it, up to about 10,000 years ahead.
func nthOccurrence(r domain.BillingRule, first domain.Date, n int) (domain.Occurrence, bool) {
	if n < 1 {
		return domain.Occurrence{}, false
	}
	if r.Frequency.Repeats() {
		perPeriod := 31
		switch r.Frequency {
		case domain.FrequencyDays:
			perPeriod = 1
		case domain.FrequencyWeeks:
			perPeriod = 7
		}
		if n > maxSearchDays/(perPeriod*max(r.Interval, 1)) {
			return domain.Occurrence{}, false
		}
	}
	return r.Occurrence(first, n)
}

// build derives item seq, occurrence occ of segment seg, by replaying the
// changes of every item (general, oldest first) and the item's own, in the
// order they happened, over the terms at activation. It returns false when a
// later rule change replaced the item.
//
// The occurrence of a partial first period (occ.ProRata) bills the unit
// price the service has for the item's date × the part of the period,
// rounded to minor units; a unit price set on the item itself (EditItem)
// is billed as it is, since it is the price staff saw and chose.
func (s State) build(general []change, seg, seq int, occ domain.Occurrence) (Item, bool) {
	key := ItemKey(s.ID, seq)
	log := s.itemLogAt(seq)
	if log.billed != nil {
		return *log.billed, true
	}
	date := occ.Date
	t := s.initial
	var skipped, ownPrice bool
	var issueOn domain.Date
	own := log.changes
	for len(general) > 0 || len(own) > 0 {
		var c change
		if len(own) == 0 || (len(general) > 0 && general[0].at < own[0].at) {
			c, general = general[0], general[1:]
		} else {
			c, own = own[0], own[1:]
		}
		switch c.kind {
		case serviceTerms:
			if date.IsZero() || !date.Before(c.from) {
				t.apply(c.changes.Changes)
				ownPrice = ownPrice && c.changes.UnitPrice == nil
			}
		case serviceRule:
			if c.seg > seg && (date.IsZero() || !date.Before(c.from)) {
				return Item{}, false
			}
		case serviceMode, itemMode:
			t.Mode = c.mode
		case itemTerms:
			t.apply(c.changes.Changes)
			ownPrice = ownPrice || c.changes.UnitPrice != nil
			if c.changes.Date != nil {
				date = *c.changes.Date
			}
		case itemSkip:
			skipped = true
		case itemIssue:
			issueOn = c.on
		}
	}
	if s.segments[seg].rule.Frequency.Manual() {
		t.Mode = Manual // billed by hand when the work is done
	}
	if !ownPrice {
		t.UnitPrice = occ.ProRata.Apply(t.UnitPrice, s.Currency)
	}
	it := Item{
		Key:             key,
		ServiceID:       s.ID,
		Seq:             seq,
		Date:            date,
		Description:     t.Description,
		Quantity:        t.Quantity,
		UnitPrice:       domain.Money{Amount: t.UnitPrice, Currency: s.Currency},
		Discount:        t.Discount,
		TaxRate:         t.TaxRate,
		Mode:            t.Mode,
		PaymentMethodID: t.PaymentMethodID,
		Status:          ItemScheduled,
	}
	switch {
	case s.Ended && (date.IsZero() || date.After(s.EndDate)):
		it.Status = ItemArchived
	case skipped:
		it.Status = ItemSkipped
	case t.Mode == Manual && !issueOn.IsZero():
		it.Status = ItemScheduledToIssue
		it.IssueOn = issueOn
	}
	return it, true
}

// knownKeys returns, sorted, the keys of items that were billed or changed
// one by one.
func (s State) knownKeys() []string {
	keys := make([]string, 0, s.items.Len()+len(s.odd))
	for seq, l := range s.items.All() {
		if l.billed != nil || l.touched {
			keys = append(keys, ItemKey(s.ID, seq))
		}
	}
	for k, l := range s.odd {
		if l.billed != nil || l.touched {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// maxSeq returns the highest sequence number in use before from: items of
// every rule dated before it, and every item billed or changed one by one.
// A new rule effective from that date numbers its items after it.
func (s State) maxSeq(from domain.Date) int {
	highest := 0
	for _, seg := range s.segments {
		highest = max(highest, seg.base)
		through := from.AddDays(-1)
		if seg.rule.Frequency.Manual() {
			through = seg.first
		}
		for _, occ := range seg.rule.Occurrences(seg.first, through) {
			highest = max(highest, seg.base+occ.Seq)
		}
	}
	for _, key := range s.knownKeys() {
		if seq, ok := parseSeq(key); ok {
			highest = max(highest, seq)
		}
	}
	return highest
}

func sortItems(items []Item) {
	slices.SortFunc(items, func(a, b Item) int {
		switch {
		case a.Date.IsZero() && !b.Date.IsZero():
			return 1
		case !a.Date.IsZero() && b.Date.IsZero():
			return -1
		}
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
}
