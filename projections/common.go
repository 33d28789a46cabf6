package projections

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// guard is the lock and checkpoint every projection embeds.
type guard struct {
	mu         sync.RWMutex
	checkpoint uint64
}

// Checkpoint implements Projection.
func (g *guard) Checkpoint() uint64 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.checkpoint
}

// Advance implements Projection.
func (g *guard) Advance(pos uint64) {
	g.mu.Lock()
	if pos > g.checkpoint {
		g.checkpoint = pos
	}
	g.mu.Unlock()
}

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

// page cuts one page out of items.
func page[T any](items []T, p Paging) Page[T] {
	limit := pageLimit(p)
	offset := max(p.Offset, 0)
	out := Page[T]{Total: len(items), Offset: offset, Limit: limit, Items: []T{}}
	if offset < len(items) {
		out.Items = slices.Clone(items[offset:min(len(items), offset+limit)])
	}
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
