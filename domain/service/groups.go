package service

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"remit/domain"
)

// Grouping is how a billing run on Today turns items into invoices: the
// firm's settings, and the day the run bills for (the firm's today, or a
// run's as-of date). The zero value groups items and catches missed
// billings up.
type Grouping struct {
	// Today is the run's date: an item whose date (or issue-on date) is
	// before it has been missed and is invoiced on Today (a catch-up).
	Today domain.Date
	// OneInvoicePerItem: the firm does not group items (firm.State.GroupItems
	// false).
	OneInvoicePerItem bool
	// SkipMissed: the firm skips missed automatic billings instead of
	// catching them up (firm.MissedSkip).
	SkipMissed bool
}

// Billing is one schedule item as a billing run on a Grouping's Today bills
// it: the date of its invoice, the payment method it is collected from, and
// the billing group (invoice) it goes on. Plan makes it, for the schedule
// page and the billing run alike, so the two never disagree.
type Billing struct {
	Item
	ClientID uuid.UUID
	// IssueDate is the date of the invoice: the item's date (or, for a
	// manual item scheduled to be issued, its issue-on date), or Today when
	// that date has passed (CatchUp).
	IssueDate domain.Date
	// PaymentMethodID is the method the invoice is collected from: the
	// item's own, or else the client's default (uuid.Nil when neither).
	PaymentMethodID uuid.UUID
	// CatchUp: the item's date passed before it was billed.
	CatchUp bool
	// Skip: a missed automatic item the firm skips rather than bills
	// (SkipMissedItems); it belongs to no group.
	Skip bool
	// GroupKey names its billing group: GroupKey of client, issue date and
	// method, plus the item's key when the firm does not group items. Empty
	// for an item no run bills by itself (manual and not scheduled to be
	// issued, undated, or skipped).
	GroupKey string
}

// Plan says how a run on g.Today bills item it of a service of clientID,
// given the client's default payment method (uuid.Nil when none).
func (g Grouping) Plan(clientID uuid.UUID, it Item, defaultMethod uuid.UUID) Billing {
	b := Billing{Item: it, ClientID: clientID, IssueDate: it.Date, PaymentMethodID: ResolveMethod(it.PaymentMethodID, defaultMethod)}
	if it.Status == ItemScheduledToIssue {
		b.IssueDate = it.IssueOn
	}
	if b.IssueDate.IsZero() || (it.Status != ItemScheduled && it.Status != ItemScheduledToIssue) {
		return b
	}
	if b.IssueDate.Before(g.Today) {
		b.IssueDate, b.CatchUp = g.Today, true
	}
	switch {
	case it.Mode == Manual && it.Status != ItemScheduledToIssue:
		return b // waits for someone
	case b.CatchUp && g.SkipMissed && it.Mode == Automatic:
		b.Skip = true
		return b
	}
	b.GroupKey = g.Key(clientID, b.IssueDate, b.PaymentMethodID, it.Key)
	return b
}

// ResolveMethod is the payment method an item is collected from: its own,
// or else the client's default.
func ResolveMethod(itemMethod, defaultMethod uuid.UUID) uuid.UUID {
	if itemMethod != uuid.Nil {
		return itemMethod
	}
	return defaultMethod
}

// Key is the key of the billing group of an item (itemKey) of clientID
// invoiced on issueDate and collected from method (resolved: see
// ResolveMethod): GroupKey, plus the item's key when the firm does not group
// items.
func (g Grouping) Key(clientID uuid.UUID, issueDate domain.Date, method uuid.UUID, itemKey string) string {
	key := GroupKey(clientID, issueDate, method)
	if g.OneInvoicePerItem {
		key += "/" + itemKey
	}
	return key
}

// Group is one billing group: the items one invoice bills.
type Group struct {
	Key             string
	ClientID        uuid.UUID
	IssueDate       domain.Date
	PaymentMethodID uuid.UUID
	Items           []Billing // by date, then key
}

// Groups gathers billings into their groups, ordered by issue date, then
// key; billings without a group key (manual, skipped) are left out.
func Groups(billings []Billing) []Group {
	at := map[string]int{}
	var out []Group
	for _, b := range billings {
		if b.GroupKey == "" {
			continue
		}
		i, ok := at[b.GroupKey]
		if !ok {
			i = len(out)
			at[b.GroupKey] = i
			out = append(out, Group{Key: b.GroupKey, ClientID: b.ClientID, IssueDate: b.IssueDate, PaymentMethodID: b.PaymentMethodID})
		}
		out[i].Items = append(out[i].Items, b)
	}
	for i := range out {
		slices.SortFunc(out[i].Items, func(a, b Billing) int {
			if c := a.Date.Compare(b.Date); c != 0 {
				return c
			}
			return strings.Compare(a.Key, b.Key)
		})
	}
	slices.SortFunc(out, func(a, b Group) int {
		if c := a.IssueDate.Compare(b.IssueDate); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return out
}

// GroupKey names the invoice a billing run puts an item on: one client's items
// of the same issue date and (resolved) payment method form one invoice,
// across services. Grouping.Plan is what applies it.
func GroupKey(clientID uuid.UUID, date domain.Date, paymentMethodID uuid.UUID) string {
	method := "none"
	if paymentMethodID != uuid.Nil {
		method = paymentMethodID.String()
	}
	return clientID.String() + "/" + date.String() + "/" + method
}

// Period names the period an item of a repeating rule covers, for its
// invoice line: "February 2026" (monthly), "February – April 2026" (every 3
// months), "2 – 8 March 2026" (weekly), "2 March 2026" (daily), "15 – 30
// April 2027, pro rata 16/30 days" (a partial first period). It is taken
// from the item's place in its rule, so moving the item's date does not
// change it. One-time and manual items cover no period: "".
func (s State) Period(it Item) string {
	seq, ok := parseSeq(it.Key)
	if !ok || !s.Activated() || len(s.segments) == 0 {
		return ""
	}
	i := len(s.segments) - 1
	for i > 0 && s.segments[i].base >= seq {
		i--
	}
	seg := s.segments[i]
	r := seg.rule
	if !r.Frequency.Repeats() || r.Frequency.Manual() {
		return ""
	}
	occ, ok := nthOccurrence(r, seg.first, seq-seg.base)
	if !ok {
		return ""
	}
	if !occ.ProRata.IsZero() {
		return occ.ProRata.String()
	}
	return periodLabel(r, occ.Date)
}

// LineDescription is the description of the invoice line that bills it:
// the item's description, followed by the period it covers when it has one
// ("Monthly bookkeeping — February 2026").
func (s State) LineDescription(it Item) string {
	p := s.Period(it)
	if p == "" || strings.Contains(it.Description, p) {
		return it.Description
	}
	return it.Description + " — " + p
}

func periodLabel(r domain.BillingRule, from domain.Date) string {
	n := max(r.Interval, 1)
	switch r.Frequency {
	case domain.FrequencyMonths:
		if n == 1 {
			return monthYear(from)
		}
		last := from.AddMonthsClamped(n-1, 1)
		if last.Year() == from.Year() {
			return from.Month().String() + " – " + monthYear(last)
		}
		return monthYear(from) + " – " + monthYear(last)
	case domain.FrequencyWeeks:
		n *= 7
	case domain.FrequencyDays:
	default:
		return ""
	}
	last := from.AddDays(n - 1)
	switch {
	case n == 1:
		return dayMonthYear(from)
	case last.Year() != from.Year():
		return dayMonthYear(from) + " – " + dayMonthYear(last)
	case last.Month() != from.Month():
		return fmt.Sprintf("%d %s – %s", from.Day(), from.Month(), dayMonthYear(last))
	}
	return fmt.Sprintf("%d – %s", from.Day(), dayMonthYear(last))
}

func monthYear(d domain.Date) string { return fmt.Sprintf("%s %d", d.Month(), d.Year()) }

func dayMonthYear(d domain.Date) string {
	return fmt.Sprintf("%d %s %d", d.Day(), d.Month(), d.Year())
}
