package projections

import (
	"cmp"
	"context"
	"slices"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/priceincrease"
	"remit/projections/rmdb"
)

const priceIncreasesVersion = 1

// PriceIncreases is the "price_increases" projection: every bulk price
// increase (priceincrease.State, folded with priceincrease.Evolve), for the
// Price increases page, GET /api/price-increases and the daily job that
// sends their notices (processes/priceincreases).
//
// Table "price_increases" holds a PriceIncreaseView per batch id, with the
// columns applied_at (Unix nanoseconds: the list is newest first) and open
// (1 while the batch is not cancelled and a notice is still to send, or its
// effective date may not have come: the daily job reads only those).
type PriceIncreases struct {
	docs *rmdb.Docs[PriceIncreaseView]
}

// PriceIncreaseView is one batch as the pages and the API show it.
type PriceIncreaseView struct {
	State    priceincrease.State `json:"state"`
	Revision uint64              `json:"revision"`
}

func newPriceIncreases(_ *rmdb.DB, gen int64) *PriceIncreases {
	return &PriceIncreases{docs: rmdb.NewDocs(rmdb.DocsSpec[PriceIncreaseView]{
		Name: "price_increases",
		Columns: []rmdb.Column[PriceIncreaseView]{
			{Name: "applied_at", Type: "BIGINT NOT NULL", Value: func(_ string, v *PriceIncreaseView) any { return v.State.At.UnixNano() }},
			{Name: "open", Type: "BIGINT NOT NULL", Value: func(_ string, v *PriceIncreaseView) any {
				if v.State.Cancelled || len(v.State.Notices) >= len(v.State.Clients()) {
					return int64(0)
				}
				return int64(1)
			}},
		},
		Indexes: []string{"applied_at", "open"},
	}, gen)}
}

// Name implements Projection.
func (p *PriceIncreases) Name() string { return "price_increases" }

// Tables implements Projection.
func (p *PriceIncreases) Tables() []rmdb.Table { return []rmdb.Table{p.docs.Table()} }

// Apply implements Projection.
func (p *PriceIncreases) Apply(tx *rmdb.Tx, e Event) {
	switch e.Data.(type) {
	case priceincrease.PriceIncreaseApplied, priceincrease.PriceIncreaseNoticeSent, priceincrease.PriceIncreaseCancelled:
		id, ok := streamID(e.Stream, "priceincrease-")
		if !ok {
			return
		}
		key := id.String()
		v := p.docs.Get(tx, key)
		if v == nil {
			v = &PriceIncreaseView{}
		}
		c := *v
		c.State = priceincrease.Evolve(c.State, e.Data)
		c.Revision = e.Revision
		p.docs.Put(key, &c)
	}
}

// Flush implements Projection.
func (p *PriceIncreases) Flush(tx *rmdb.Tx) { p.docs.Flush(tx) }

// Discard implements Projection.
func (p *PriceIncreases) Discard() { p.docs.Discard() }

// PriceIncreaseList returns every batch, newest first (a firm makes a few
// a year).
func (m *Models) PriceIncreaseList(ctx context.Context) ([]PriceIncreaseView, error) {
	all, err := m.PriceIncreases.docs.Find(ctx, m.db, "")
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b PriceIncreaseView) int {
		return cmp.Or(b.State.At.Compare(a.State.At), cmp.Compare(a.State.BatchID.String(), b.State.BatchID.String()))
	})
	return all, nil
}

// PriceIncrease returns one batch; an unknown one is ENOTFOUND.
func (m *Models) PriceIncrease(ctx context.Context, id uuid.UUID) (PriceIncreaseView, error) {
	v, ok, err := m.PriceIncreases.docs.Load(ctx, m.db, id.String())
	if err != nil {
		return v, err
	}
	if !ok {
		return v, domain.NotFound("There is no price increase %s.", id)
	}
	return v, nil
}

// PriceIncreasesWithNotices returns the batches not cancelled with a
// notice still to send.
func (m *Models) PriceIncreasesWithNotices(ctx context.Context) ([]PriceIncreaseView, error) {
	return m.PriceIncreases.docs.Find(ctx, m.db, "WHERE open = 1")
}

// AllServices returns every activated service, ended or not, in no
// particular order: what a price increase plans from.
func (m *Models) AllServices(ctx context.Context) ([]FoldedService, error) {
	docs, err := m.Services.find(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]FoldedService, 0, len(docs))
	for _, d := range docs {
		if d.State.Activated() {
			out = append(out, FoldedService{State: d.State, Revision: d.Revision})
		}
	}
	return out, nil
}
