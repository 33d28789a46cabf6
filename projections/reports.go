package projections

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/service"
)

// ReportQuery is what every report is computed for: the firm's calendar
// date today (reports look back and forward from it), its time zone (which
// dates the moments recorded in events, such as a collection attempt), its
// currency (listed first where figures are per currency) and, for revenue,
// a period.
type ReportQuery struct {
	Today    domain.Date
	Zone     *time.Location
	Currency domain.Currency
	// From and To bound revenue's period, both included; zero: the twelve
	// calendar months ending with the current one.
	From, To domain.Date
}

func (q ReportQuery) zone() *time.Location {
	if q.Zone == nil {
		return time.UTC
	}
	return q.Zone
}

// Month is a calendar month, "2026-03".
type Month struct {
	Year  int
	Month time.Month
}

// MonthOf is the month a date falls in.
func MonthOf(d domain.Date) Month { return Month{d.Year(), d.Month()} }

// String is "2026-03".
func (m Month) String() string { return m.First().String()[:7] }

// First is the first day of the month.
func (m Month) First() domain.Date { return domain.MustDate(m.Year, m.Month, 1) }

// Last is the last day of the month.
func (m Month) Last() domain.Date {
	return domain.MustDate(m.Year, m.Month, domain.DaysIn(m.Year, m.Month))
}

// Add is the month n months later (earlier for negative n).
func (m Month) Add(n int) Month { return MonthOf(m.First().AddMonthsClamped(n, 1)) }

// lastMonths are the twelve calendar months ending with today's, oldest first.
func lastMonths(today domain.Date) []Month {
	cur := MonthOf(today)
	out := make([]Month, 12)
	for i := range out {
		out[i] = cur.Add(i - 11)
	}
	return out
}

// MonthAmount is an amount in one month.
type MonthAmount struct {
	Month  Month
	Amount domain.Money
}

// NamedAmount is an amount of one service or client.
type NamedAmount struct {
	ID     uuid.UUID
	Name   string
	Client string // for a service: its client's name
	Amount domain.Money
}

// perCurrency collects unrounded sums per currency code.
type perCurrency[T any] struct {
	firm  domain.Currency
	order map[string]domain.Currency
	items map[string]*T
	init  func(domain.Currency) *T
}

func newPerCurrency[T any](firm domain.Currency, init func(domain.Currency) *T) *perCurrency[T] {
	p := &perCurrency[T]{firm: firm, order: map[string]domain.Currency{}, items: map[string]*T{}, init: init}
	if !firm.IsZero() {
		p.get(firm)
	}
	return p
}

func (p *perCurrency[T]) get(c domain.Currency) *T {
	if t, ok := p.items[c.Code]; ok {
		return t
	}
	t := p.init(c)
	p.items[c.Code], p.order[c.Code] = t, c
	return t
}

// sorted returns the sections: the firm's currency first, then by code.
func (p *perCurrency[T]) sorted() []*T {
	codes := make([]string, 0, len(p.items))
	for code := range p.items {
		codes = append(codes, code)
	}
	slices.SortFunc(codes, func(a, b string) int {
		if (a == p.firm.Code) != (b == p.firm.Code) {
			if a == p.firm.Code {
				return -1
			}
			return 1
		}
		return cmp.Compare(a, b)
	})
	out := make([]*T, len(codes))
	for i, code := range codes {
		out[i] = p.items[code]
	}
	return out
}

// roundedSum rounds an unrounded sum to the currency's minor units.
func roundedSum(d decimal.Decimal, c domain.Currency) domain.Money {
	return domain.NewMoney(c.Round(d), c)
}

// sortNamed orders amounts largest first, then by name.
func sortNamed(xs []NamedAmount) {
	slices.SortFunc(xs, func(a, b NamedAmount) int {
		if c := b.Amount.Amount.Cmp(a.Amount.Amount); c != 0 {
			return c
		}
		return cmp.Compare(a.Name+a.Client, b.Name+b.Client)
	})
}

// clientNames reads every client's name by id.
func (m *Models) clientNames(ctx context.Context) (map[uuid.UUID]string, error) {
	recs, err := m.Clients.clients.Find(ctx, m.db, "")
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]string, len(recs))
	for _, r := range recs {
		out[r.State.ID] = r.State.Name
	}
	return out, nil
}

// allServices reads every activated service, in activation order.
func (m *Models) allServices(ctx context.Context) ([]service.State, error) {
	docs, err := m.Services.find(ctx, "ORDER BY seq, key")
	if err != nil {
		return nil, err
	}
	var out []service.State
	for _, d := range docs {
		if d.State.Activated() {
			out = append(out, d.State)
		}
	}
	return out, nil
}

// clientName is a client's name, or its id when unknown (erased).
func clientName(names map[uuid.UUID]string, id uuid.UUID) string {
	if n, ok := names[id]; ok {
		return n
	}
	return id.String()
}
