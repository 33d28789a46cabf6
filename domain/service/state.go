package service

import (
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/internal/persistent"
)

// Terms are what an item bills: the service's current terms, or one item's.
type Terms struct {
	Description     string
	UnitPrice       decimal.Decimal
	Quantity        decimal.Decimal
	Discount        domain.Discount
	TaxRate         decimal.Decimal
	Mode            BillingMode
	PaymentMethodID uuid.UUID
}

func (t *Terms) apply(c Changes) {
	if c.Description != nil {
		t.Description = *c.Description
	}
	if c.UnitPrice != nil {
		t.UnitPrice = *c.UnitPrice
	}
	if c.Quantity != nil {
		t.Quantity = *c.Quantity
	}
	if c.Discount != nil {
		t.Discount = *c.Discount
	}
	if c.PaymentMethodID != nil {
		t.PaymentMethodID = *c.PaymentMethodID
	}
}

// State is a service as folded from its events. The zero State is a service
// not yet activated. The unexported fields hold what the schedule is derived
// from. Evolve never changes the State it was given (see the package doc):
// what those fields point to is never written once made, and is shared
// between a State and the States evolved from it.
type State struct {
	ID          uuid.UUID
	ClientID    uuid.UUID
	Source      Source
	Name        string
	Unit        string
	Currency    domain.Currency
	Terms       Terms // the current terms (the last edit wins, whatever its date)
	BillingRule domain.BillingRule
	FirstDate   domain.Date
	ActivatedAt time.Time
	Ended       bool
	EndDate     domain.Date // items dated after it are archived
	EndReason   string
	// RevenueAccount is the ledger account code its sales go to (from the
	// services library); empty: the ledger's default.
	RevenueAccount string

	initial  Terms                       // the terms at activation, where every item starts
	segments []segment                   // the billing rules in force, oldest first
	general  *changes                    // the changes of every item (service edits, switches), newest first
	items    persistent.Sparse[*itemLog] // items billed or changed one by one, by sequence number
	odd      map[string]*itemLog         // the same for keys not of this service (copied on write: Remit makes none)
	recorded int                         // how many changes were recorded: numbers them in event order
	switched itemSwitches                // items switched one by one since the last switch of the service
}

// Activated reports whether the service exists.
func (s State) Activated() bool { return s.ID != uuid.Nil }

// UnitPriceOn is the service's unit price for an item dated on: the price
// at activation with every service edit effective by then applied in the
// order they were made (an item's own price is not looked at).
func (s State) UnitPriceOn(on domain.Date) decimal.Decimal {
	t := s.initial
	for _, c := range s.general.inOrder() {
		if c.kind == serviceTerms && !on.Before(c.from) {
			t.apply(c.changes.Changes)
		}
	}
	return t.UnitPrice
}

// segment is one billing rule and the sequence numbers its items take:
// occurrence n of the rule is item base+n.
type segment struct {
	rule  domain.BillingRule
	first domain.Date
	base  int
}

type changeKind int

const (
	serviceTerms changeKind = iota + 1 // a service edit: from, terms
	serviceRule                        // a new rule: from, seg
	serviceMode                        // all items: mode
	itemTerms                          // one item: terms (and date)
	itemMode                           // one item: mode
	itemSkip                           // one item
	itemIssue                          // one item: on
)

// change is one entry of the log that Schedule replays over each generated
// item, in the order the events happened (at).
type change struct {
	kind    changeKind
	at      int
	from    domain.Date
	seg     int
	changes ItemChanges
	mode    BillingMode
	on      domain.Date
}

// changes is a list of the changes of every item, newest first: adding one
// shares the list before it.
type changes struct {
	change
	earlier *changes
}

// inOrder returns the changes, oldest first.
func (l *changes) inOrder() []change {
	var out []change
	for ; l != nil; l = l.earlier {
		out = append(out, l.change)
	}
	slices.Reverse(out)
	return out
}

// itemLog is what happened to one item: it is kept for items billed or
// changed one by one, the few the schedule cannot derive from the rules.
type itemLog struct {
	billed   *Item    // as billed; nil when not billed, or released since
	changes  []change // this item's own changes, oldest first
	touched  bool     // changed one by one (or released)
	releases int      // how often it was released from an invoice
}

// itemSwitches says which ways single items were switched since the service
// itself last was, which is what allItemsAre asks.
type itemSwitches struct{ toManual, toAutomatic bool }

// Fold evolves the zero State through events.
func Fold(events []domain.Event) State {
	var s State
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}

// Evolve applies one event to the state. It never fails and never validates;
// unknown events are ignored. An event about the item after the last one
// billed or changed (what billing runs make) costs the same however long the
// stream is, one about any other item O(log n), so folding a stream takes
// time in proportion to its length.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case ServiceActivated:
		description := e.Description
		if description == "" {
			description = e.Name
		}
		terms := Terms{
			Description:     description,
			UnitPrice:       e.UnitPrice,
			Quantity:        e.Quantity,
			Discount:        e.Discount,
			TaxRate:         e.TaxRate,
			Mode:            e.Mode,
			PaymentMethodID: e.PaymentMethodID,
		}
		s = State{
			ID:             e.ServiceID,
			ClientID:       e.ClientID,
			Source:         e.Source,
			Name:           e.Name,
			Unit:           e.Unit,
			Currency:       e.Currency,
			Terms:          terms,
			BillingRule:    e.BillingRule,
			FirstDate:      e.FirstDate,
			ActivatedAt:    e.At,
			RevenueAccount: e.RevenueAccount,
			initial:        terms,
			segments:       []segment{{rule: e.BillingRule, first: e.FirstDate}},
		}
	case ServiceEdited:
		s.Terms.apply(e.Changes)
		if e.BillingRule != nil {
			s.BillingRule = *e.BillingRule
			s.FirstDate = e.FirstDate
			// Copied: rule changes are few, and Schedule indexes segments.
			s.segments = append(slices.Clip(s.segments), segment{rule: *e.BillingRule, first: e.FirstDate, base: e.FirstSeq - 1})
			s.changeAll(change{kind: serviceRule, from: e.EffectiveFrom, seg: len(s.segments) - 1})
		}
		s.changeAll(change{kind: serviceTerms, from: e.EffectiveFrom, changes: ItemChanges{Changes: e.Changes}})
	case ServiceSwitchedToManual:
		s.Terms.Mode = Manual
		s.changeAll(change{kind: serviceMode, mode: Manual})
	case ServiceSwitchedToAutomatic:
		s.Terms.Mode = Automatic
		s.changeAll(change{kind: serviceMode, mode: Automatic})
	case ServiceEnded:
		s.Ended = true
		s.EndDate = e.EndDate
		s.EndReason = e.Reason
	case ScheduleItemEdited:
		s.changeItem(e.ItemKey, change{kind: itemTerms, changes: e.ItemChanges}, nil)
	case ScheduleItemSwitchedToManual:
		s.changeItem(e.ItemKey, change{kind: itemMode, mode: Manual}, nil)
	case ScheduleItemSwitchedToAutomatic:
		s.changeItem(e.ItemKey, change{kind: itemMode, mode: Automatic}, nil)
	case ScheduleItemSkipped:
		s.changeItem(e.ItemKey, change{kind: itemSkip}, nil)
	case ScheduleItemIssueScheduled:
		s.changeItem(e.ItemKey, change{kind: itemIssue, on: e.IssueOn}, nil)
	case ScheduleItemReleased:
		release := func(l *itemLog) { l.billed = nil; l.releases++ }
		if e.SwitchedToManual {
			s.changeItem(e.ItemKey, change{kind: itemMode, mode: Manual}, release)
		} else {
			s.changeItem(e.ItemKey, change{}, release)
		}
	case ScheduleItemBilled:
		seq, _ := parseSeq(e.ItemKey)
		l := s.itemLog(e.ItemKey)
		l.billed = &Item{
			Key:             e.ItemKey,
			ServiceID:       e.ServiceID,
			Seq:             seq,
			Date:            e.Date,
			Description:     e.Description,
			Quantity:        e.Quantity,
			UnitPrice:       domain.Money{Amount: e.UnitPrice, Currency: s.Currency},
			Discount:        e.Discount,
			TaxRate:         e.TaxRate,
			Mode:            e.Mode,
			PaymentMethodID: e.PaymentMethodID,
			Status:          ItemBilled,
			InvoiceID:       e.InvoiceID,
		}
		s.setItemLog(e.ItemKey, l)
	}
	return s
}

// changeAll records a change of every item. s is Evolve's own copy; the
// list it extends is shared, never written.
func (s *State) changeAll(c change) {
	s.recorded++
	c.at = s.recorded
	s.general = &changes{change: c, earlier: s.general}
	if c.kind == serviceMode {
		s.switched = itemSwitches{}
	}
}

// changeItem records a change of one item (none when c.kind is zero) and
// then applies also, if given, to the item's log.
func (s *State) changeItem(key string, c change, also func(*itemLog)) {
	l := s.itemLog(key)
	if c.kind != 0 {
		s.recorded++
		c.at = s.recorded
		l.changes = append(slices.Clip(l.changes), c) // one item's changes are few
		if c.kind == itemMode {
			s.switched.toManual = s.switched.toManual || c.mode == Manual
			s.switched.toAutomatic = s.switched.toAutomatic || c.mode == Automatic
		}
	}
	l.touched = true
	if also != nil {
		also(&l)
	}
	s.setItemLog(key, l)
}

// itemLog returns a copy of an item's log (empty when the item has none).
func (s State) itemLog(key string) itemLog {
	if seq, ok := s.seqOf(key); ok {
		return s.itemLogAt(seq)
	}
	if l, ok := s.odd[key]; ok {
		return *l
	}
	return itemLog{}
}

// itemLogAt returns a copy of the log of item seq.
func (s State) itemLogAt(seq int) itemLog {
	if l, ok := s.items.Get(seq); ok {
		return *l
	}
	return itemLog{}
}

// setItemLog records an item's log in Evolve's own copy of the state.
func (s *State) setItemLog(key string, l itemLog) {
	if seq, ok := s.seqOf(key); ok {
		s.items = s.items.Set(seq, &l)
		return
	}
	odd := maps.Clone(s.odd)
	if odd == nil {
		odd = map[string]*itemLog{}
	}
	odd[key] = &l
	s.odd = odd
}

// seqOf returns the sequence number of one of this service's item keys.
func (s State) seqOf(key string) (int, bool) {
	id, seq, ok := ParseItemKey(key)
	return seq, ok && id == s.ID
}

// billedItem returns the item with the given key as billed, if it is.
func (s State) billedItem(key string) (Item, bool) {
	if l := s.itemLog(key); l.billed != nil {
		return *l.billed, true
	}
	return Item{}, false
}

// Releases returns how many times the item was released from an invoice
// (voided, or not issued). A billing run names the invoice of a set of items
// after the items and their release counts, so items billed again after a void
// get a new invoice, not the voided one.
func (s State) Releases(key string) int {
	return s.itemLog(key).releases
}
