package service

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// State's JSON form exists because read models store states folded, not
// the events they were folded from: a service read back from a table is
// decoded once instead of having every event of its stream decoded and
// folded again on each read (a client page reads all its client's
// services). So the form holds everything State is, its unexported fields
// included (what Schedule is derived from), and a decoded State behaves
// exactly as the State that was encoded: the same schedule, items, plans and
// line descriptions, the same decisions, and the same States evolved from
// it by further events. Encoding a decoded State gives the same bytes.
//
// The form is stateWire, written out field by field: the persistent
// structures (the shared list of changes, the trie of item logs) are
// encoded as what they hold, oldest change first and items by sequence
// number, and rebuilt through their own operations, so the decoded State
// shares nothing with the encoded one. A billed item leaves out what is
// implied by where it is kept (its key, service, sequence number, status
// and currency) and the terms it was billed at that the billed item before
// it shares, unless they differ (see billedWire): most of a long service's
// form is its billed items, and it is read on every page.

// stateWire is State as JSON. Changing it changes what read models have
// stored: bump their versions so they are rebuilt.
type stateWire struct {
	ID          uuid.UUID          `json:"id,omitzero"`
	ClientID    uuid.UUID          `json:"client_id,omitzero"`
	Source      Source             `json:"source,omitzero"`
	Name        string             `json:"name,omitempty"`
	Unit        string             `json:"unit,omitempty"`
	Currency    domain.Currency    `json:"currency,omitzero"`
	Terms       termsWire          `json:"terms"`
	BillingRule domain.BillingRule `json:"billing_rule,omitzero"`
	FirstDate   domain.Date        `json:"first_date,omitzero"`
	ActivatedAt time.Time          `json:"activated_at,omitzero"`
	Ended       bool               `json:"ended,omitempty"`
	EndDate     domain.Date        `json:"end_date,omitzero"`
	EndReason   string             `json:"end_reason,omitempty"`
	// RevenueAccount is new in no stored event before it existed, so read
	// models stored without it need no rebuild.
	RevenueAccount string `json:"revenue_account,omitempty"`

	Initial             termsWire              `json:"initial"`
	Segments            []segmentWire          `json:"segments,omitempty"`
	Changes             []changeWire           `json:"changes,omitempty"` // general, oldest first
	Items               []itemEntryWire        `json:"items,omitempty"`   // by sequence number
	Odd                 map[string]itemLogWire `json:"odd,omitempty"`
	Recorded            int                    `json:"recorded,omitempty"`
	SwitchedToManual    bool                   `json:"switched_to_manual,omitempty"`
	SwitchedToAutomatic bool                   `json:"switched_to_automatic,omitempty"`
}

// termsWire is Terms as JSON (converted, so a field added to Terms breaks
// the build here rather than being left out). Decimals are always written:
// a decoded zero then is the same value as the one decoded from the events.
type termsWire struct {
	Description     string          `json:"description,omitempty"`
	UnitPrice       decimal.Decimal `json:"unit_price"`
	Quantity        decimal.Decimal `json:"quantity"`
	Discount        domain.Discount `json:"discount"`
	TaxRate         decimal.Decimal `json:"tax_rate"`
	Mode            BillingMode     `json:"mode,omitempty"`
	PaymentMethodID uuid.UUID       `json:"payment_method_id,omitzero"`
}

type segmentWire struct {
	Rule  domain.BillingRule `json:"rule"`
	First domain.Date        `json:"first,omitzero"`
	Base  int                `json:"base,omitempty"`
}

type changeWire struct {
	Kind    string      `json:"kind"`
	At      int         `json:"at"`
	From    domain.Date `json:"from,omitzero"`
	Seg     int         `json:"seg,omitempty"`
	Changes ItemChanges `json:"changes,omitzero"`
	Mode    BillingMode `json:"mode,omitempty"`
	On      domain.Date `json:"on,omitzero"`
}

type itemEntryWire struct {
	Seq int         `json:"seq"`
	Log itemLogWire `json:"log"`
}

type itemLogWire struct {
	Billed   *billedWire  `json:"billed,omitempty"`
	Changes  []changeWire `json:"changes,omitempty"`
	Touched  bool         `json:"touched,omitempty"`
	Releases int          `json:"releases,omitempty"`
}

// billedWire is a billed Item. The pointer fields are written only when
// they differ from what the item's place implies: its key is the key it is
// kept under, its service the state's, its sequence number the key's, its
// status billed and its currency the service's; and, for an item of the
// list by sequence number, its terms (description to payment method) are
// those of the billed item before it in the list. Dates, decimals and ids
// are plain strings, parsed as their own UnmarshalJSON parses them. Most of
// a long service's form is its billed items, and it is read on every page:
// decoding each item's every term (each decimal, date and id scanned twice
// by encoding/json, a date through a second json.Unmarshal) took most of a
// read.
type billedWire struct {
	Key             *string          `json:"key,omitempty"`
	ServiceID       *uuid.UUID       `json:"service_id,omitempty"`
	Seq             *int             `json:"seq,omitempty"`
	Date            string           `json:"date,omitempty"`
	Description     *string          `json:"description,omitempty"`
	Quantity        *string          `json:"quantity,omitempty"`
	UnitPrice       *string          `json:"unit_price,omitempty"`
	Currency        *domain.Currency `json:"currency,omitempty"`
	DiscountKind    *string          `json:"discount_kind,omitempty"`
	Discount        *string          `json:"discount,omitempty"`
	TaxRate         *string          `json:"tax_rate,omitempty"`
	Mode            *BillingMode     `json:"mode,omitempty"`
	PaymentMethodID *string          `json:"payment_method_id,omitempty"`
	Status          *ItemStatus      `json:"status,omitempty"`
	IssueOn         string           `json:"issue_on,omitempty"`
	InvoiceID       string           `json:"invoice_id,omitempty"`
}

// wireName names a change kind in the JSON form (empty: no such kind), so
// that reordering the constants never changes what a stored state means.
func (k changeKind) wireName() string {
	switch k {
	case serviceTerms:
		return "service_terms"
	case serviceRule:
		return "service_rule"
	case serviceMode:
		return "service_mode"
	case itemTerms:
		return "item_terms"
	case itemMode:
		return "item_mode"
	case itemSkip:
		return "item_skip"
	case itemIssue:
		return "item_issue"
	}
	return ""
}

// kindNamed returns the change kind with a wire name (0: none).
func kindNamed(name string) changeKind {
	for k := serviceTerms; k <= itemIssue; k++ {
		if k.wireName() == name {
			return k
		}
	}
	return 0
}

// MarshalJSON encodes the whole state, unexported fields included, so that
// UnmarshalJSON gives back a State that behaves the same in every way.
func (s State) MarshalJSON() ([]byte, error) {
	w, err := s.wire(true)
	if err != nil {
		return nil, err
	}
	return json.Marshal(w)
}

// wire is the state's JSON form, with the logs of the items kept by
// sequence number or without them (the row form's head).
func (s State) wire(items bool) (stateWire, error) {
	w := stateWire{
		ID:                  s.ID,
		ClientID:            s.ClientID,
		Source:              s.Source,
		Name:                s.Name,
		Unit:                s.Unit,
		Currency:            s.Currency,
		Terms:               termsWire(s.Terms),
		BillingRule:         s.BillingRule,
		FirstDate:           s.FirstDate,
		ActivatedAt:         s.ActivatedAt,
		Ended:               s.Ended,
		EndDate:             s.EndDate,
		EndReason:           s.EndReason,
		RevenueAccount:      s.RevenueAccount,
		Initial:             termsWire(s.initial),
		Recorded:            s.recorded,
		SwitchedToManual:    s.switched.toManual,
		SwitchedToAutomatic: s.switched.toAutomatic,
	}
	for _, seg := range s.segments {
		w.Segments = append(w.Segments, segmentWire{Rule: seg.rule, First: seg.first, Base: seg.base})
	}
	var err error
	if w.Changes, err = changesToWire(s.general.inOrder()); err != nil {
		return w, err
	}
	if n := s.items.Len(); n > 0 && items {
		w.Items = make([]itemEntryWire, 0, n)
		var prev *Item
		for seq, l := range s.items.All() {
			lw, err := s.logToWire(ItemKey(s.ID, seq), l, prev)
			if err != nil {
				return w, err
			}
			w.Items = append(w.Items, itemEntryWire{Seq: seq, Log: lw})
			if l.billed != nil {
				prev = l.billed
			}
		}
	}
	if len(s.odd) > 0 {
		w.Odd = make(map[string]itemLogWire, len(s.odd))
		for key, l := range s.odd {
			if w.Odd[key], err = s.logToWire(key, l, nil); err != nil {
				return w, err
			}
		}
	}
	return w, nil
}

// UnmarshalJSON decodes a state encoded by MarshalJSON, rebuilding what it
// derives the schedule from.
func (s *State) UnmarshalJSON(data []byte) error {
	var w stateWire
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("service state: %w", err)
	}
	st, err := fromWire(w)
	if err != nil {
		return err
	}
	*s = st
	return nil
}

// fromWire decodes the state's JSON form (with its items or without).
func fromWire(w stateWire) (State, error) {
	st := State{
		ID:             w.ID,
		ClientID:       w.ClientID,
		Source:         w.Source,
		Name:           w.Name,
		Unit:           w.Unit,
		Currency:       w.Currency,
		Terms:          Terms(w.Terms),
		BillingRule:    w.BillingRule,
		FirstDate:      w.FirstDate,
		ActivatedAt:    w.ActivatedAt,
		Ended:          w.Ended,
		EndDate:        w.EndDate,
		EndReason:      w.EndReason,
		RevenueAccount: w.RevenueAccount,
		initial:        Terms(w.Initial),
		recorded:       w.Recorded,
		switched:       itemSwitches{toManual: w.SwitchedToManual, toAutomatic: w.SwitchedToAutomatic},
	}
	if len(w.Segments) > 0 {
		st.segments = make([]segment, len(w.Segments))
		for i, seg := range w.Segments {
			st.segments[i] = segment{rule: seg.Rule, first: seg.First, base: seg.Base}
		}
	}
	if st.Activated() && len(st.segments) == 0 {
		return State{}, fmt.Errorf("service state: an activated service without a billing rule")
	}
	general, err := changesFromWire(w.Changes)
	if err != nil {
		return State{}, err
	}
	for _, c := range general {
		st.general = &changes{change: c, earlier: st.general}
	}
	last := -1
	var prev *Item
	for _, e := range w.Items {
		if e.Seq <= last {
			return State{}, fmt.Errorf("service state: item %d out of order", e.Seq)
		}
		last = e.Seq
		l, err := st.logFromWire(ItemKey(st.ID, e.Seq), e.Log, prev)
		if err != nil {
			return State{}, err
		}
		if l.billed != nil {
			prev = l.billed
		}
		st.items = st.items.Set(e.Seq, l) // built as Evolve builds it
	}
	if len(w.Odd) > 0 {
		st.odd = make(map[string]*itemLog, len(w.Odd))
		for key, lw := range w.Odd {
			if st.odd[key], err = st.logFromWire(key, lw, nil); err != nil {
				return State{}, err
			}
		}
	}
	return st, nil
}

func changesToWire(cs []change) ([]changeWire, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	out := make([]changeWire, len(cs))
	for i, c := range cs {
		name := c.kind.wireName()
		if name == "" {
			return nil, fmt.Errorf("service state: change of unknown kind %d", c.kind)
		}
		out[i] = changeWire{Kind: name, At: c.at, From: c.from, Seg: c.seg, Changes: c.changes, Mode: c.mode, On: c.on}
	}
	return out, nil
}

func changesFromWire(ws []changeWire) ([]change, error) {
	if len(ws) == 0 {
		return nil, nil
	}
	out := make([]change, len(ws))
	for i, w := range ws {
		kind := kindNamed(w.Kind)
		if kind == 0 {
			return nil, fmt.Errorf("service state: change of unknown kind %q", w.Kind)
		}
		out[i] = change{kind: kind, at: w.At, from: w.From, seg: w.Seg, changes: w.Changes, mode: w.Mode, on: w.On}
	}
	return out, nil
}

// logToWire encodes the log of the item kept under key; prev is the
// billed item before it in the list by sequence number (nil: none, or the
// item is not in it).
func (s State) logToWire(key string, l *itemLog, prev *Item) (itemLogWire, error) {
	changes, err := changesToWire(l.changes)
	if err != nil {
		return itemLogWire{}, err
	}
	w := itemLogWire{Changes: changes, Touched: l.touched, Releases: l.releases}
	it := l.billed
	if it == nil {
		return w, nil
	}
	b := &billedWire{Date: dateText(it.Date), IssueOn: dateText(it.IssueOn), InvoiceID: idText(it.InvoiceID)}
	if it.Key != key {
		b.Key = &it.Key
	}
	if it.ServiceID != s.ID {
		b.ServiceID = &it.ServiceID
	}
	if seq, _ := parseSeq(it.Key); it.Seq != seq {
		b.Seq = &it.Seq
	}
	if it.UnitPrice.Currency != s.Currency {
		b.Currency = &it.UnitPrice.Currency
	}
	if it.Status != ItemBilled {
		b.Status = &it.Status
	}
	// A term is written when it differs from prev's: as text, which is all
	// the form keeps of it.
	text := func(v, was string) *string {
		if prev != nil && v == was {
			return nil
		}
		return &v
	}
	var p Item
	if prev != nil {
		p = *prev
	}
	b.Description = text(it.Description, p.Description)
	b.Quantity = text(it.Quantity.String(), p.Quantity.String())
	b.UnitPrice = text(it.UnitPrice.Amount.String(), p.UnitPrice.Amount.String())
	b.DiscountKind = text(string(it.Discount.Kind), string(p.Discount.Kind))
	b.Discount = text(it.Discount.Value.String(), p.Discount.Value.String())
	b.TaxRate = text(it.TaxRate.String(), p.TaxRate.String())
	if prev == nil || it.Mode != p.Mode {
		b.Mode = &it.Mode
	}
	b.PaymentMethodID = text(idText(it.PaymentMethodID), idText(p.PaymentMethodID))
	w.Billed = b
	return w, nil
}

// logFromWire decodes the log of the item kept under key; prev is as for
// logToWire.
func (s State) logFromWire(key string, w itemLogWire, prev *Item) (*itemLog, error) {
	changes, err := changesFromWire(w.Changes)
	if err != nil {
		return nil, err
	}
	l := &itemLog{changes: changes, touched: w.Touched, releases: w.Releases}
	b := w.Billed
	if b == nil {
		return l, nil
	}
	it := &Item{Key: key, ServiceID: s.ID, UnitPrice: domain.Money{Currency: s.Currency}, Status: ItemBilled}
	if prev != nil {
		// Terms not written are prev's (decimals are never changed in
		// place, so sharing them is safe).
		it.Description, it.Quantity, it.UnitPrice.Amount = prev.Description, prev.Quantity, prev.UnitPrice.Amount
		it.Discount, it.TaxRate, it.Mode, it.PaymentMethodID = prev.Discount, prev.TaxRate, prev.Mode, prev.PaymentMethodID
	}
	if b.Key != nil {
		it.Key = *b.Key
	}
	if b.ServiceID != nil {
		it.ServiceID = *b.ServiceID
	}
	it.Seq, _ = parseSeq(it.Key)
	if b.Seq != nil {
		it.Seq = *b.Seq
	}
	if b.Currency != nil {
		it.UnitPrice.Currency = *b.Currency
	}
	if b.Status != nil {
		it.Status = *b.Status
	}
	if b.Description != nil {
		it.Description = *b.Description
	}
	if b.DiscountKind != nil {
		it.Discount.Kind = domain.DiscountKind(*b.DiscountKind)
	}
	if b.Mode != nil {
		it.Mode = *b.Mode
	}
	if it.Date, err = parseDateText(b.Date); err != nil {
		return nil, err
	}
	if it.IssueOn, err = parseDateText(b.IssueOn); err != nil {
		return nil, err
	}
	for _, d := range []struct {
		to   *decimal.Decimal
		text *string
	}{{&it.Quantity, b.Quantity}, {&it.UnitPrice.Amount, b.UnitPrice}, {&it.Discount.Value, b.Discount}, {&it.TaxRate, b.TaxRate}} {
		if d.text == nil {
			continue
		}
		if *d.to, err = decimal.NewFromString(*d.text); err != nil {
			return nil, fmt.Errorf("service state: billed item %s: %w", key, err)
		}
	}
	if b.PaymentMethodID != nil {
		if it.PaymentMethodID, err = parseIDText(*b.PaymentMethodID); err != nil {
			return nil, err
		}
	}
	if it.InvoiceID, err = parseIDText(b.InvoiceID); err != nil {
		return nil, err
	}
	l.billed = it
	return l, nil
}

// idText is an id as the form holds it ("" for uuid.Nil).
func idText(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

// parseIDText parses what idText gives.
func parseIDText(s string) (uuid.UUID, error) {
	if s == "" {
		return uuid.Nil, nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, fmt.Errorf("service state: %w", err)
	}
	return id, nil
}

// dateText is a date as its JSON string holds it ("" for the zero date).
func dateText(d domain.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// parseDateText parses what dateText gives.
func parseDateText(s string) (domain.Date, error) {
	if s == "" {
		return domain.Date{}, nil
	}
	d, err := domain.ParseDate(s)
	if err != nil {
		return domain.Date{}, fmt.Errorf("service state: %w", err)
	}
	return d, nil
}
