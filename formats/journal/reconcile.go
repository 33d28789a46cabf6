package journal

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/eventstore"
	"remit/projections"
)

// Reconcile proves the journal against Remit's read models: it builds the
// journal from store up to the position models have reached (so a log
// growing under a running `remit serve` does not make a false difference)
// and returns Check's differences, one line each; none when the books agree.
// models nil replays the log into fresh read models (in a temporary
// database) first.
func Reconcile(ctx context.Context, store eventstore.Store, models *projections.Models) (differences []string, err error) {
	var pos uint64
	if models == nil {
		m, last, err := projections.BuildAsOf(ctx, store, projections.Bound{})
		if err != nil {
			return nil, fmt.Errorf("journal: replay the read models: %w", err)
		}
		defer m.Close()
		models, pos = m, last
	} else if pos, err = reached(ctx, models); err != nil {
		return nil, err
	}
	j := &Journal{}
	if pos > 0 {
		if j, err = Build(ctx, store, Options{UpTo: pos}); err != nil {
			return nil, err
		}
	}
	return j.Check(ctx, models)
}

// reached is how far every serving projection of models has applied the
// log, read from the registry of their database: the models may be fed by
// a runner of this process, of another (a running `remit serve`), or by
// none.
func reached(ctx context.Context, models *projections.Models) (uint64, error) {
	regs, err := models.DB().Registrations(ctx)
	if err != nil {
		return 0, fmt.Errorf("journal: %w", err)
	}
	var pos uint64
	first := true
	for _, r := range regs {
		if !r.Serving {
			continue
		}
		if first || r.Checkpoint < pos {
			pos, first = r.Checkpoint, false
		}
	}
	return pos, nil
}

// Receivables sums the receivable postings of each client, per currency
// code.
func (j *Journal) Receivables() map[uuid.UUID]map[string]domain.Money {
	out := map[uuid.UUID]map[string]domain.Money{}
	for _, t := range j.Transactions {
		for _, p := range t.Postings {
			if p.ClientID == uuid.Nil {
				continue
			}
			byCur := out[p.ClientID]
			if byCur == nil {
				byCur = map[string]domain.Money{}
				out[p.ClientID] = byCur
			}
			m, ok := byCur[p.Currency.Code]
			if !ok {
				m = domain.Zero(p.Currency)
			}
			m.Amount = m.Amount.Add(p.Amount)
			byCur[p.Currency.Code] = m
		}
	}
	return out
}

// Unbalanced lists the transactions that do not sum to zero in each
// commodity, one line each.
func (j *Journal) Unbalanced() []string {
	var out []string
	for _, t := range j.Transactions {
		sums := map[string]domain.Money{}
		for _, p := range t.Postings {
			m, ok := sums[p.Currency.Code]
			if !ok {
				m = domain.Zero(p.Currency)
			}
			m.Amount = m.Amount.Add(p.Amount)
			sums[p.Currency.Code] = m
		}
		for _, code := range sortedKeys(sums) {
			if m := sums[code]; !m.IsZero() {
				out = append(out, fmt.Sprintf("transaction %s %s %s (event %s, %s at position %d) does not balance: its postings sum to %s",
					t.Date, t.InvoiceNumber, t.Narration, t.EventID, t.EventType, t.Position, m))
			}
		}
	}
	return out
}

// Check compares the journal with the read models: every transaction must
// balance in each commodity, and each client's receivable balance per
// currency must equal the outstanding amount Remit shows for that client
// (the Summary tab, the clients list). It returns one line per difference;
// an error only when the read models cannot be read.
func (j *Journal) Check(ctx context.Context, models *projections.Models) ([]string, error) {
	diffs := append(j.Unbalanced(), j.CheckClearing()...)
	shown := map[uuid.UUID]map[string]domain.Money{}
	names := map[uuid.UUID]string{}
	for off := 0; ; off += projections.MaxLimit {
		page, err := models.ListClients(ctx, projections.ClientQuery{Paging: projections.Paging{Offset: off, Limit: projections.MaxLimit}})
		if err != nil {
			return nil, fmt.Errorf("journal: list clients: %w", err)
		}
		for _, c := range page.Items {
			names[c.ID] = c.Name
			byCur := map[string]domain.Money{}
			for _, m := range c.Outstanding {
				byCur[m.Currency.Code] = m
			}
			shown[c.ID] = byCur
		}
		if off+projections.MaxLimit >= page.Total {
			break
		}
	}
	booked := j.Receivables()
	for _, c := range j.Clients {
		if _, ok := names[c.ClientID]; !ok {
			names[c.ClientID] = c.Name
		}
	}
	ids := make([]uuid.UUID, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int {
		return cmp.Or(cmp.Compare(names[a], names[b]), cmp.Compare(a.String(), b.String()))
	})
	for _, id := range ids {
		codes := map[string]domain.Currency{}
		for code, m := range booked[id] {
			codes[code] = m.Currency
		}
		for code, m := range shown[id] {
			codes[code] = m.Currency
		}
		for _, code := range sortedKeys(codes) {
			cur := codes[code]
			b, s := amountOr(booked[id], code), amountOr(shown[id], code)
			if !b.Equal(s) {
				diffs = append(diffs, fmt.Sprintf("client %s (%s) %s: the journal's receivable is %s but Remit shows %s outstanding",
					names[id], id, code, b.StringFixed(cur.MinorUnits), s.StringFixed(cur.MinorUnits)))
			}
		}
	}
	return diffs, nil
}

func amountOr(m map[string]domain.Money, code string) decimal.Decimal {
	if v, ok := m[code]; ok {
		return v.Amount
	}
	return decimal.Zero
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, strings.Compare)
	return keys
}
