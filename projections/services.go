package projections

import (
	"context"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/service"
	"remit/projections/rmdb"
)

// servicesVersion is the version of what the "services" table holds: 2
// stores each service's folded state (version 1 stored its events), 3 adds
// next_due, 4 its view too (serviceViewColumns), 5 the part of its
// schedule the Billing Schedule tab shows (serviceScheduleColumns), 6 the
// recurring revenue of its past states on month ends (MRRHistory), 7 keeps
// the state's item logs as rows of "service_items" (the state's row form).
const servicesVersion = 7

// Services is the "services" projection: every service folded with
// service.Evolve, the function command handlers and the billing run fold
// with, so the views and the schedules derived from them on demand
// (service.State.Schedule) agree with what billing does by construction.
//
// The table "services" keeps, per service (key: its id), the state folded
// so far in service.State's row form (which holds everything the schedule
// is derived from): the head in the document, and the log of each item
// billed or changed one by one as a row of "service_items" (service, item:
// its sequence number, doc), so an event rewrites the head and the one item
// it changed, not every item ever billed, and a read (find: one query,
// each service with its item rows as one array) folds nothing: a client
// page reads every service of the client (BenchmarkServicesLoad: a service
// of 200 events). The columns client_id,
// seq (the global position of the activation, so a client's services list
// in activation order), name, ended and next_due are computed from the
// state when the document is written (once per batch, at Flush). next_due
// is service.State.NextDue ('YYYY-MM-DD', NULL when nothing will be due):
// the first day a billing run has an item of the service to invoice, so a
// run reads only the services whose day has come (ServicesDue), by the
// index on it.
//
// The writer evolves the state of the document it gets (from Docs' bounded
// cache, or decoded from the table) by each event and puts it back.
type Services struct {
	db    *rmdb.DB
	gen   int64
	docs  *rmdb.Docs[serviceDoc]
	items serviceItems
	// touchedClients are the clients whose services Apply changed (for
	// the query cache).
	touchedClients
}

// serviceDoc is a service as the table keeps it: its stream revision and
// its folded state.
type serviceDoc struct {
	Revision uint64 `json:"revision"`
	// Seq is the global position of the event that activated the service
	// (set ClientID): the service's place in its client's list.
	Seq   uint64        `json:"seq,omitempty"`
	State service.State `json:"state"`
	// AsOf is the day the view column is rendered for (see
	// serviceViewColumns).
	AsOf domain.Date `json:"as_of,omitzero"`
	// Since is when the last event applied was recorded: State stands
	// since then. First is when the service's first event was.
	Since time.Time `json:"since,omitzero"`
	First time.Time `json:"first,omitzero"`
	// MRRHistory is the service's recurring revenue on past month ends as
	// its state stood then (closeMRRVersion), so recurring revenue's
	// history is what was true at each month end, not today's schedule
	// and rule applied to the past.
	MRRHistory []mrrPoint `json:"mrr_history,omitempty"`
}

// servicesCacheSize bounds the documents the writer keeps decoded: a
// service's state grows with the items billed or changed one by one, so
// fewer than Docs' default.
const servicesCacheSize = 1024

func newServices(db *rmdb.DB, gen int64) *Services {
	p := &Services{db: db, gen: gen, items: newServiceItems(gen)}
	p.docs = rmdb.NewDocs(rmdb.DocsSpec[serviceDoc]{
		Name:           "services",
		Columns:        servicesColumns(),
		Indexes:        []string{"client_id, seq", "next_due"},
		CacheSize:      servicesCacheSize,
		FillCacheBytes: fillCacheBytes,
		Decode:         p.items.decode,
		Size:           func(d *serviceDoc, n int) int { return n + itemBytes*d.State.ItemCount() },
	}, gen)
	return p
}

// Name implements Projection.
func (p *Services) Name() string { return "services" }

// Tables implements Projection.
func (p *Services) Tables() []rmdb.Table { return []rmdb.Table{p.docs.Table(), serviceItemsTable()} }

// Apply implements Projection.
func (p *Services) Apply(tx *rmdb.Tx, e Event) {
	switch e.Data.(type) {
	case service.ServiceActivated, service.ServiceEdited, service.ServiceSwitchedToManual,
		service.ServiceSwitchedToAutomatic, service.ServiceEnded, service.ScheduleItemEdited,
		service.ScheduleItemSwitchedToManual, service.ScheduleItemSwitchedToAutomatic,
		service.ScheduleItemSkipped, service.ScheduleItemIssueScheduled, service.ScheduleItemBilled,
		service.ScheduleItemReleased:
	default:
		return
	}
	id, ok := streamID(e.Stream, "service-")
	if !ok {
		return
	}
	key := id.String()
	d := p.docs.Get(tx, key)
	if d == nil {
		if tx.Err() != nil {
			return
		}
		d = &serviceDoc{}
	}
	before := d.State.ClientID
	if _, ok := e.Data.(service.ServiceActivated); ok && len(d.State.ItemSeqs()) > 0 {
		p.items.clear(key) // activated again: Evolve starts afresh
	}
	d.closeMRRVersion(e.Metadata.RecordedAt)
	d.State = service.Evolve(d.State, e.Data)
	if seq, ok := d.State.ItemChangedBy(e.Data); ok {
		p.items.changed(key, seq, d)
	}
	d.Since = e.Metadata.RecordedAt
	if d.First.IsZero() {
		d.First = d.Since
	}
	d.Revision = e.Revision
	d.AsOf = asOf(e)
	if before == uuid.Nil && d.State.ClientID != uuid.Nil {
		d.Seq = e.Position
	}
	p.docs.Put(key, d)
	p.touch(before)
	p.touch(d.State.ClientID)
}

// Flush implements Projection.
func (p *Services) Flush(tx *rmdb.Tx) {
	p.docs.Flush(tx)
	p.items.flush(tx)
}

// Discard implements Projection.
func (p *Services) Discard() {
	p.docs.Discard()
	p.items.discard()
}

// SetFilling implements filler.
func (p *Services) SetFilling(on bool) { p.docs.SetFilling(on) }

// CompleteFill implements filler.
func (p *Services) CompleteFill(ctx context.Context, db *rmdb.DB) error {
	return p.docs.CompleteFill(ctx, db)
}

// horizonYears is how far ahead NextBilling looks.
const horizonYears = 10

// viewOf renders one service.
func viewOf(st service.State, revision uint64, today domain.Date) ServiceView {
	v := ServiceView{
		ID:              st.ID,
		ClientID:        st.ClientID,
		Name:            st.Name,
		Description:     st.Terms.Description,
		Unit:            st.Unit,
		Source:          st.Source,
		Currency:        st.Currency,
		UnitPrice:       money(st.Terms.UnitPrice, st.Currency),
		Quantity:        st.Terms.Quantity,
		Discount:        st.Terms.Discount,
		TaxRate:         st.Terms.TaxRate,
		Mode:            st.Terms.Mode,
		BillingRule:     st.BillingRule,
		PaymentMethodID: st.Terms.PaymentMethodID,
		ActivatedAt:     st.ActivatedAt,
		Ended:           st.Ended,
		EndDate:         st.EndDate,
		EndReason:       st.EndReason,
		RevenueAccount:  st.RevenueAccount,
		Revision:        revision,
	}
	if it, ok := st.NextBilling(today, today.AddMonthsClamped(12*horizonYears, today.Day())); ok {
		v.NextBilling = &it
	}
	return v
}

// load reads one service's document; ok is false for a service never
// activated.
func (p *Services) load(ctx context.Context, id uuid.UUID) (serviceDoc, bool, error) {
	docs, err := p.find(ctx, "WHERE key = ?", id.String())
	if err != nil || len(docs) == 0 {
		return serviceDoc{}, false, err
	}
	return docs[0], docs[0].State.Activated(), nil
}

// ofClientDocs reads a client's services' documents in activation order.
func (p *Services) ofClientDocs(ctx context.Context, clientID uuid.UUID) ([]serviceDoc, error) {
	docs, err := p.find(ctx, "WHERE client_id = ? ORDER BY seq, key", clientID.String())
	if err != nil {
		return nil, err
	}
	out := docs[:0]
	for _, d := range docs {
		if d.State.Activated() {
			out = append(out, d)
		}
	}
	return out, nil
}

// view renders one service; an unknown one is ENOTFOUND.
func (p *Services) view(ctx context.Context, id uuid.UUID, today domain.Date) (ServiceView, error) {
	views, err := p.views(ctx, today, "WHERE key = ?", id.String())
	if err != nil {
		return ServiceView{}, err
	}
	if len(views) == 0 {
		return ServiceView{}, domain.NotFound("service %s not found", id)
	}
	return views[0], nil
}

// ofClient renders a client's services.
func (p *Services) ofClient(ctx context.Context, clientID uuid.UUID, today domain.Date) ([]ServiceView, error) {
	out, err := p.views(ctx, today, "WHERE client_id = ? ORDER BY seq, key", clientID.String())
	if len(out) == 0 {
		return nil, err
	}
	return out, err
}

// states returns a client's services folded, in activation order.
func (p *Services) states(ctx context.Context, clientID uuid.UUID) ([]service.State, error) {
	docs, err := p.ofClientDocs(ctx, clientID)
	if err != nil {
		return nil, err
	}
	var out []service.State
	for _, d := range docs {
		out = append(out, d.State)
	}
	return out, nil
}

// state returns one service folded.
func (p *Services) state(ctx context.Context, id uuid.UUID) (service.State, bool, error) {
	d, ok, err := p.load(ctx, id)
	if err != nil || !ok {
		return service.State{}, false, err
	}
	return d.State, true, nil
}

// servicesColumns are the services table's columns beside the document.
func servicesColumns() []rmdb.Column[serviceDoc] {
	return append([]rmdb.Column[serviceDoc]{
		{Name: "client_id", Type: "TEXT", Value: func(_ string, d *serviceDoc) any {
			if d.State.ClientID == uuid.Nil {
				return nil
			}
			return d.State.ClientID.String()
		}},
		{Name: "seq", Type: "BIGINT", Value: func(_ string, d *serviceDoc) any { return int64(d.Seq) }},
		{Name: "name", Type: "TEXT", Value: func(_ string, d *serviceDoc) any { return d.State.Name }},
		{Name: "ended", Type: "BIGINT", Value: func(_ string, d *serviceDoc) any {
			if d.State.Ended {
				return int64(1)
			}
			return int64(0)
		}},
		{Name: "next_due", Type: "TEXT", Value: func(_ string, d *serviceDoc) any {
			if due, ok := d.State.NextDue(); ok {
				return due.String()
			}
			return nil
		}},
	}, append(serviceViewColumns(), serviceScheduleColumns()...)...)
}
