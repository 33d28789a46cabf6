package service

import (
	"encoding/json"
	"fmt"
	"slices"

	"remit/domain"
)

// State's row form is its JSON form (codec.go) cut in two, for a read model
// that keeps a service as rows: the head (everything but the logs of the
// items kept by sequence number), which stays small however long the
// service runs, and one row per item log. An event changes the head and at
// most one item (ItemChangedBy), so a writer re-encodes the head and that
// item instead of every item ever billed. Each item row stands alone: its
// terms are written where they differ from the service's terms at
// activation (which no event changes after it), not from the item before
// it, so a row once written is never rewritten because another changed.

// ItemRow is one item log in the row form: the item's sequence number and
// its encoding.
type ItemRow struct {
	Seq  int
	Data []byte
}

// MarshalHead encodes the state without the logs of the items kept by
// sequence number (MarshalItem encodes those).
func (s State) MarshalHead() ([]byte, error) {
	w, err := s.wire(false)
	if err != nil {
		return nil, err
	}
	return json.Marshal(w)
}

// ItemSeqs returns the sequence numbers of the items the row form keeps a
// row of, in order.
func (s State) ItemSeqs() []int {
	out := make([]int, 0, s.items.Len())
	for seq := range s.items.All() {
		out = append(out, seq)
	}
	return out
}

// ItemCount is how many item rows the row form keeps.
func (s State) ItemCount() int { return s.items.Len() }

// MarshalItem encodes the log of item seq; ok is false when the state keeps
// none for it.
func (s State) MarshalItem(seq int) (data []byte, ok bool, err error) {
	l, found := s.items.Get(seq)
	if !found {
		return nil, false, nil
	}
	base := s.rowBase()
	lw, err := s.logToWire(ItemKey(s.ID, seq), l, &base)
	if err != nil {
		return nil, false, err
	}
	data, err = json.Marshal(lw)
	return data, err == nil, err
}

// rowBase is what an item row's terms are written against: the service's
// terms at activation.
func (s State) rowBase() Item {
	t := s.initial
	return Item{Description: t.Description, Quantity: t.Quantity, UnitPrice: domain.Money{Amount: t.UnitPrice, Currency: s.Currency},
		Discount: t.Discount, TaxRate: t.TaxRate, Mode: t.Mode, PaymentMethodID: t.PaymentMethodID}
}

// UnmarshalRows decodes a state from its head (MarshalHead) and its item
// rows (MarshalItem), in any order. The State behaves exactly as the one
// encoded, as one decoded from its JSON form does.
func UnmarshalRows(head []byte, items []ItemRow) (State, error) {
	w, err := unmarshalHead(head)
	if err != nil {
		return State{}, err
	}
	return FromHeadRows(w, items)
}

// UnmarshalRowsArray is UnmarshalRows with the item rows given as one JSON
// array of {"seq": sequence number, "log": item row}, in any order (as a
// query aggregates them), decoded in one pass instead of one per item.
func UnmarshalRowsArray(head, items []byte) (State, error) {
	w, err := unmarshalHead(head)
	if err != nil {
		return State{}, err
	}
	return FromHeadArray(w, items)
}

// Head is a state's head (MarshalHead) decoded but not yet a State: a
// document that holds a head among other fields decodes it in its own
// pass, as a field of this type, instead of keeping its bytes to decode
// again (which read them twice more). FromHeadRows and FromHeadArray
// complete it.
type Head = stateWire

func unmarshalHead(head []byte) (Head, error) {
	var w Head
	if err := json.Unmarshal(head, &w); err != nil {
		return Head{}, fmt.Errorf("service state: %w", err)
	}
	return w, nil
}

// FromHeadRows is UnmarshalRows of a head already decoded.
func FromHeadRows(head Head, items []ItemRow) (State, error) {
	entries := make([]itemEntryWire, len(items))
	for i, r := range items {
		entries[i].Seq = r.Seq
		if err := json.Unmarshal(r.Data, &entries[i].Log); err != nil {
			return State{}, fmt.Errorf("service state: item %d: %w", r.Seq, err)
		}
	}
	return fromHead(head, entries)
}

// FromHeadArray is UnmarshalRowsArray of a head already decoded.
func FromHeadArray(head Head, items []byte) (State, error) {
	var entries []itemEntryWire
	if len(items) > 0 {
		if err := json.Unmarshal(items, &entries); err != nil {
			return State{}, fmt.Errorf("service state: items: %w", err)
		}
	}
	return fromHead(head, entries)
}

// fromHead makes a state of its decoded head and its item entries.
func fromHead(w stateWire, items []itemEntryWire) (State, error) {
	if len(w.Items) > 0 {
		return State{}, fmt.Errorf("service state: a head with items")
	}
	st, err := fromWire(w)
	if err != nil {
		return State{}, err
	}
	slices.SortFunc(items, func(a, b itemEntryWire) int { return a.Seq - b.Seq })
	base := st.rowBase()
	for i, e := range items {
		if i > 0 && e.Seq == items[i-1].Seq {
			return State{}, fmt.Errorf("service state: item %d twice", e.Seq)
		}
		l, err := st.logFromWire(ItemKey(st.ID, e.Seq), e.Log, &base)
		if err != nil {
			return State{}, err
		}
		st.items = st.items.Set(e.Seq, l) // built as Evolve builds it
	}
	return st, nil
}

// ItemChangedBy returns the sequence number of the item whose log the event
// changes in the row form (ok false: it changes the head alone), the
// state being the one the event is applied to or the one it gives.
func (s State) ItemChangedBy(e domain.Event) (seq int, ok bool) {
	var key string
	switch e := e.(type) {
	case ScheduleItemEdited:
		key = e.ItemKey
	case ScheduleItemSwitchedToManual:
		key = e.ItemKey
	case ScheduleItemSwitchedToAutomatic:
		key = e.ItemKey
	case ScheduleItemSkipped:
		key = e.ItemKey
	case ScheduleItemIssueScheduled:
		key = e.ItemKey
	case ScheduleItemReleased:
		key = e.ItemKey
	case ScheduleItemBilled:
		key = e.ItemKey
	default:
		return 0, false
	}
	return s.seqOf(key)
}
