package priceincrease

import (
	"cmp"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// Candidate is a service as the planner sees it, with the facts of its
// client the Filter looks at.
type Candidate struct {
	ServiceID        uuid.UUID
	ServiceName      string
	LibraryServiceID uuid.UUID
	ClientID         uuid.UUID
	ClientName       string
	ClientTags       []string
	ClientArchived   bool
	Currency         domain.Currency
	UnitPrice        decimal.Decimal
	Quantity         decimal.Decimal
	BillingRule      domain.BillingRule
	Ended            bool
}

// Selects reports whether f selects c: a service that has not ended, bills
// on a repeating rule, and matches every field f sets.
func (f Filter) Selects(c Candidate) bool {
	if c.Ended || !c.BillingRule.Frequency.Repeats() {
		return false
	}
	if f.LibraryServiceID != uuid.Nil && c.LibraryServiceID != f.LibraryServiceID {
		return false
	}
	if f.Tag != "" && !slices.ContainsFunc(c.ClientTags, func(t string) bool { return strings.EqualFold(t, f.Tag) }) {
		return false
	}
	switch f.ClientStatus {
	case StatusActive:
		if c.ClientArchived {
			return false
		}
	case StatusArchived:
		if !c.ClientArchived {
			return false
		}
	}
	if f.Frequency != "" && (c.BillingRule.Frequency != f.Frequency || max(c.BillingRule.Interval, 1) != max(f.Interval, 1)) {
		return false
	}
	if f.Currency != "" && !strings.EqualFold(c.Currency.Code, f.Currency) {
		return false
	}
	return len(f.ClientIDs) == 0 || slices.Contains(f.ClientIDs, c.ClientID)
}

// Plan returns the services f selects among cands with their new prices,
// by client name, then service name, then id.
func Plan(cands []Candidate, f Filter, inc Increase, r Rounding) []ServiceChange {
	var out []ServiceChange
	for _, c := range cands {
		if !f.Selects(c) {
			continue
		}
		out = append(out, ServiceChange{
			ServiceID: c.ServiceID, ServiceName: c.ServiceName, ClientID: c.ClientID, ClientName: c.ClientName,
			Currency: c.Currency, Quantity: c.Quantity, BillingRule: c.BillingRule,
			OldUnitPrice: c.UnitPrice, NewUnitPrice: NewPrice(c.UnitPrice, inc, r, c.Currency),
		})
	}
	slices.SortFunc(out, func(a, b ServiceChange) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.ClientName), strings.ToLower(b.ClientName)), cmp.Compare(a.ClientID.String(), b.ClientID.String()),
			cmp.Compare(strings.ToLower(a.ServiceName), strings.ToLower(b.ServiceName)), cmp.Compare(a.ServiceID.String(), b.ServiceID.String()))
	})
	return out
}

var hundred = decimal.NewFromInt(100)

// NewPrice is old increased by inc, rounded up to r's step (a price
// increase never comes out lower than the increase asked for).
func NewPrice(old decimal.Decimal, inc Increase, r Rounding, cur domain.Currency) decimal.Decimal {
	raw := old.Add(inc.Value)
	if inc.Kind == Percent {
		raw = old.Add(old.Mul(inc.Value).Div(hundred))
	}
	step := r.step(cur)
	return raw.Div(step).Ceil().Mul(step)
}

// step is the amount r rounds to in cur.
func (r Rounding) step(cur domain.Currency) decimal.Decimal {
	switch r {
	case RoundUnit:
		return decimal.NewFromInt(1)
	case RoundFive:
		return decimal.NewFromInt(5)
	case RoundTen:
		return decimal.NewFromInt(10)
	}
	return decimal.New(1, -int32(cur.MinorUnits))
}

// Yearly is what amount billed on rule adds up to in a year: 12/N times
// for every N months, 52/N for every N weeks, 365/N for every N days;
// zero for a rule that does not repeat.
func Yearly(rule domain.BillingRule, amount decimal.Decimal) decimal.Decimal {
	n := decimal.NewFromInt(int64(max(rule.Interval, 1)))
	switch rule.Frequency {
	case domain.FrequencyMonths:
		return amount.Mul(decimal.NewFromInt(12)).Div(n)
	case domain.FrequencyWeeks:
		return amount.Mul(decimal.NewFromInt(52)).Div(n)
	case domain.FrequencyDays:
		return amount.Mul(decimal.NewFromInt(365)).Div(n)
	}
	return decimal.Zero
}

// Change is the change in recurring revenue of one service: per year, and
// per month (a twelfth of the year), both rounded to the currency; the
// amounts are unit price times quantity, before discounts and tax.
func (c ServiceChange) Change() (month, year decimal.Decimal) {
	diff := c.NewUnitPrice.Sub(c.OldUnitPrice).Mul(c.Quantity)
	y := Yearly(c.BillingRule, diff)
	return c.Currency.Round(y.Div(decimal.NewFromInt(12))), c.Currency.Round(y)
}
