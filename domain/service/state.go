package service

import (
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
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
// from; they are copied on write, so Evolve never changes the State it was
// given.
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

	initial  Terms           // the terms at activation, where every item starts
	segments []segment       // the billing rules in force, oldest first
	changes  []change        // what changed items, in event order
	billed   map[string]Item // billed items, by key, as billed
	touched  map[string]bool // keys of items changed one by one
	releases map[string]int  // how often each item was released from an invoice
}

// Activated reports whether the service exists.
func (s State) Activated() bool { return s.ID != uuid.Nil }

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
	itemTerms                          // one item: key, date, terms
	itemMode                           // one item: key, mode
	itemSkip                           // one item: key
	itemIssue                          // one item: key, on
)

// change is one entry of the log that Schedule replays over each generated
// item, in the order the events happened.
type change struct {
	kind    changeKind
	key     string
	from    domain.Date
	seg     int
	changes ItemChanges
	mode    BillingMode
	on      domain.Date
}

// Fold evolves the zero State through events.
func Fold(events []domain.Event) State {
	var s State
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}

// Evolve applies one event to the state. It never fails and never validates;
// unknown events are ignored.
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
			ID:          e.ServiceID,
			ClientID:    e.ClientID,
			Source:      e.Source,
			Name:        e.Name,
			Unit:        e.Unit,
			Currency:    e.Currency,
			Terms:       terms,
			BillingRule: e.BillingRule,
			FirstDate:   e.FirstDate,
			ActivatedAt: e.At,
			initial:     terms,
			segments:    []segment{{rule: e.BillingRule, first: e.FirstDate}},
		}
	case ServiceEdited:
		s.Terms.apply(e.Changes)
		if e.BillingRule != nil {
			s.BillingRule = *e.BillingRule
			s.FirstDate = e.FirstDate
			s.segments = appendTo(s.segments, segment{rule: *e.BillingRule, first: e.FirstDate, base: e.FirstSeq - 1})
			s.changes = appendTo(s.changes, change{kind: serviceRule, from: e.EffectiveFrom, seg: len(s.segments) - 1})
		}
		s.changes = appendTo(s.changes, change{kind: serviceTerms, from: e.EffectiveFrom, changes: ItemChanges{Changes: e.Changes}})
	case ServiceSwitchedToManual:
		s.Terms.Mode = Manual
		s.changes = appendTo(s.changes, change{kind: serviceMode, mode: Manual})
	case ServiceSwitchedToAutomatic:
		s.Terms.Mode = Automatic
		s.changes = appendTo(s.changes, change{kind: serviceMode, mode: Automatic})
	case ServiceEnded:
		s.Ended = true
		s.EndDate = e.EndDate
		s.EndReason = e.Reason
	case ScheduleItemEdited:
		s.changes = appendTo(s.changes, change{kind: itemTerms, key: e.ItemKey, changes: e.ItemChanges})
		s.touched = with(s.touched, e.ItemKey, true)
	case ScheduleItemSwitchedToManual:
		s.changes = appendTo(s.changes, change{kind: itemMode, key: e.ItemKey, mode: Manual})
		s.touched = with(s.touched, e.ItemKey, true)
	case ScheduleItemSwitchedToAutomatic:
		s.changes = appendTo(s.changes, change{kind: itemMode, key: e.ItemKey, mode: Automatic})
		s.touched = with(s.touched, e.ItemKey, true)
	case ScheduleItemSkipped:
		s.changes = appendTo(s.changes, change{kind: itemSkip, key: e.ItemKey})
		s.touched = with(s.touched, e.ItemKey, true)
	case ScheduleItemIssueScheduled:
		s.changes = appendTo(s.changes, change{kind: itemIssue, key: e.ItemKey, on: e.IssueOn})
		s.touched = with(s.touched, e.ItemKey, true)
	case ScheduleItemReleased:
		s.releases = with(s.releases, e.ItemKey, s.releases[e.ItemKey]+1)
		billed := make(map[string]Item, len(s.billed))
		for k, v := range s.billed {
			if k != e.ItemKey {
				billed[k] = v
			}
		}
		s.billed = billed
		if e.SwitchedToManual {
			s.changes = appendTo(s.changes, change{kind: itemMode, key: e.ItemKey, mode: Manual})
		}
		s.touched = with(s.touched, e.ItemKey, true)
	case ScheduleItemBilled:
		seq, _ := parseSeq(e.ItemKey)
		s.billed = with(s.billed, e.ItemKey, Item{
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
		})
	}
	return s
}

// appendTo appends without ever writing into a backing array that an earlier
// State may share.
func appendTo[T any](list []T, v T) []T { return append(slices.Clip(list), v) }

// with returns a copy of m with k set to v.
func with[V any](m map[string]V, k string, v V) map[string]V {
	out := make(map[string]V, len(m)+1)
	maps.Copy(out, m)
	out[k] = v
	return out
}

// Releases returns how many times the item was released from an invoice
// (voided, or not issued). A billing run names the invoice of a set of items
// after the items and their release counts, so items billed again after a void
// get a new invoice, not the voided one.
func (s State) Releases(key string) int { return s.releases[key] }
