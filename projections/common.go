package projections

import (
	"cmp"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// streamID returns the uuid that follows prefix in a stream name.
func streamID(stream, prefix string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(stream, prefix)
	if !ok {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(rest)
	return id, err == nil
}

// moneyByCurrency sums amounts per currency code.
type moneyByCurrency map[string]domain.Money

func (m moneyByCurrency) add(x domain.Money) {
	if x.Currency.IsZero() {
		return
	}
	cur, ok := m[x.Currency.Code]
	if !ok {
		m[x.Currency.Code] = x
		return
	}
	m[x.Currency.Code] = domain.Money{Amount: cur.Amount.Add(x.Amount), Currency: x.Currency}
}

// sorted returns the sums sorted by currency code (nil when empty).
func (m moneyByCurrency) sorted() []domain.Money {
	if len(m) == 0 {
		return nil
	}
	out := make([]domain.Money, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b domain.Money) int { return cmp.Compare(a.Currency.Code, b.Currency.Code) })
	return out
}

// money returns amount in currency c.
func money(amount decimal.Decimal, c domain.Currency) domain.Money {
	return domain.Money{Amount: amount, Currency: c}
}

// pageLimit is the page size p asks for, defaulted and capped.
func pageLimit(p Paging) int {
	if p.Limit <= 0 {
		return DefaultLimit
	}
	return min(p.Limit, MaxLimit)
}
