package projections

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/service"
	"remit/projections/rmdb"
)

// servicesVersion is the version of what the "services" table holds.
const servicesVersion = 1

// Services is the "services" projection: every service folded with
// service.Evolve, the function command handlers and the billing run fold
// with, so the views and the schedules derived from them on demand
// (service.State.Schedule) agree with what billing does by construction.
//
// service.State keeps what the schedule is derived from unexported, so it
// has no JSON form: the table "services" keeps, per service (key: its id),
// the service's events folded so far, each encoded as the event store
// encodes it (type, schema version, JSON), and whoever reads a service folds
// them again, as the old snapshot restore did. Folding costs time in
// proportion to the stream (BenchmarkServicesLoad: a service of 200 events).
// The columns client_id, seq (the global position of the activation, so a
// client's services list in activation order), name and ended are computed
// from the folded state when the document is written.
//
// The writer keeps the folded state beside each document in Docs' bounded
// cache (serviceDoc.state), so applying the next event of a service touched
// recently evolves the cached state by one event; a document read from the
// table is folded once. Queries read the table through its view and fold.
type Services struct {
	db      *rmdb.DB
	gen     int64
	docs    *rmdb.Docs[serviceDoc]
	catalog *catalog.Catalog
}

// serviceDoc is a service as the table keeps it: its stream revision and
// the events folded so far. state is the fold of Events, filled by fold;
// it is never encoded, so the document encodes to the same JSON however
// often it is written.
type serviceDoc struct {
	Revision uint64 `json:"revision"`
	// Seq is the global position of the event that activated the service
	// (set ClientID): the service's place in its client's list.
	Seq    uint64            `json:"seq,omitempty"`
	Events []serviceDocEvent `json:"events"`

	state  service.State
	folded bool
}

// serviceDocEvent is one event of a service's document, encoded as the
// store encodes it; V is the schema version the data was encoded at, so an
// upcaster added later still reads it.
type serviceDocEvent struct {
	Type string          `json:"type"`
	V    int             `json:"v"`
	Data json.RawMessage `json:"data"`
}

// servicesCacheSize bounds the documents the writer keeps decoded and
// folded: a service's document grows with its stream (a few hundred bytes
// an event), so fewer than Docs' default.
const servicesCacheSize = 1024

func newServices(db *rmdb.DB, gen int64) *Services {
	return &Services{
		db:      db,
		gen:     gen,
		catalog: catalog.New(),
		docs: rmdb.NewDocs(rmdb.DocsSpec[serviceDoc]{
			Name: "services",
			Columns: []rmdb.Column[serviceDoc]{
				{Name: "client_id", Type: "TEXT", Value: func(_ string, d *serviceDoc) any {
					if d.state.ClientID == uuid.Nil {
						return nil
					}
					return d.state.ClientID.String()
				}},
				{Name: "seq", Type: "BIGINT", Value: func(_ string, d *serviceDoc) any { return int64(d.Seq) }},
				{Name: "name", Type: "TEXT", Value: func(_ string, d *serviceDoc) any { return d.state.Name }},
				{Name: "ended", Type: "BIGINT", Value: func(_ string, d *serviceDoc) any {
					if d.state.Ended {
						return int64(1)
					}
					return int64(0)
				}},
			},
			Indexes:   []string{"client_id, seq"},
			CacheSize: servicesCacheSize,
		}, gen),
	}
}

// Name implements Projection.
func (p *Services) Name() string { return "services" }

// Tables implements Projection.
func (p *Services) Tables() []rmdb.Table { return []rmdb.Table{p.docs.Table()} }

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
		d = &serviceDoc{folded: true}
	}
	if err := p.fold(d); err != nil {
		tx.Fail(fmt.Errorf("read models: services %s: %w", key, err))
		return
	}
	data, err := json.Marshal(e.Data)
	if err != nil {
		tx.Fail(fmt.Errorf("read models: services %s: encode %s: %w", key, e.Data.EventType(), err))
		return
	}
	typ := e.Data.EventType()
	before := d.state.ClientID
	d.state = service.Evolve(d.state, e.Data)
	d.Revision = e.Revision
	d.Events = append(d.Events, serviceDocEvent{Type: typ, V: p.catalog.SchemaVersion(typ), Data: data})
	if before == uuid.Nil && d.state.ClientID != uuid.Nil {
		d.Seq = e.Position
	}
	p.docs.Put(key, d)
}

// Flush implements Projection.
func (p *Services) Flush(tx *rmdb.Tx) { p.docs.Flush(tx) }

// Discard implements Projection.
func (p *Services) Discard() { p.docs.Discard() }

// fold fills d.state from d.Events unless it is already.
func (p *Services) fold(d *serviceDoc) error {
	if d.folded {
		return nil
	}
	var st service.State
	for i, se := range d.Events {
		e, err := p.catalog.Decode(se.Type, se.V, se.Data)
		if err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
		st = service.Evolve(st, e)
	}
	d.state, d.folded = st, true
	return nil
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
		Revision:        revision,
	}
	for _, it := range st.Schedule(today.AddMonthsClamped(12*horizonYears, today.Day())) {
		if pending(it) && (it.Date.IsZero() || !it.Date.Before(today)) {
			v.NextBilling = &it
			break
		}
	}
	return v
}

// pending reports whether an item still waits to be billed.
func pending(it service.Item) bool {
	return it.Status == service.ItemScheduled || it.Status == service.ItemScheduledToIssue
}

// load reads one service's document and folds it; ok is false for a
// service never activated.
func (p *Services) load(ctx context.Context, id uuid.UUID) (serviceDoc, bool, error) {
	d, ok, err := p.docs.Load(ctx, p.db, id.String())
	if err != nil || !ok {
		return d, false, err
	}
	if err := p.fold(&d); err != nil {
		return d, false, fmt.Errorf("read models: services %s: %w", id, err)
	}
	return d, d.state.Activated(), nil
}

// ofClientDocs reads a client's services' documents in activation order
// and folds them.
func (p *Services) ofClientDocs(ctx context.Context, clientID uuid.UUID) ([]serviceDoc, error) {
	docs, err := p.docs.Find(ctx, p.db, "WHERE client_id = ? ORDER BY seq, key", clientID.String())
	if err != nil {
		return nil, err
	}
	out := docs[:0]
	for _, d := range docs {
		if err := p.fold(&d); err != nil {
			return nil, fmt.Errorf("read models: services of client %s: %w", clientID, err)
		}
		if d.state.Activated() {
			out = append(out, d)
		}
	}
	return out, nil
}

// view renders one service; an unknown one is ENOTFOUND.
func (p *Services) view(ctx context.Context, id uuid.UUID, today domain.Date) (ServiceView, error) {
	d, ok, err := p.load(ctx, id)
	if err != nil {
		return ServiceView{}, err
	}
	if !ok {
		return ServiceView{}, domain.NotFound("service %s not found", id)
	}
	return viewOf(d.state, d.Revision, today), nil
}

// ofClient renders a client's services.
func (p *Services) ofClient(ctx context.Context, clientID uuid.UUID, today domain.Date) ([]ServiceView, error) {
	docs, err := p.ofClientDocs(ctx, clientID)
	if err != nil {
		return nil, err
	}
	var out []ServiceView
	for _, d := range docs {
		out = append(out, viewOf(d.state, d.Revision, today))
	}
	return out, nil
}

// states returns a client's services folded, in activation order.
func (p *Services) states(ctx context.Context, clientID uuid.UUID) ([]service.State, error) {
	docs, err := p.ofClientDocs(ctx, clientID)
	if err != nil {
		return nil, err
	}
	var out []service.State
	for _, d := range docs {
		out = append(out, d.state)
	}
	return out, nil
}

// state returns one service folded.
func (p *Services) state(ctx context.Context, id uuid.UUID) (service.State, bool, error) {
	d, ok, err := p.load(ctx, id)
	if err != nil || !ok {
		return service.State{}, false, err
	}
	return d.state, true, nil
}
