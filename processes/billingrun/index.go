package billingrun

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/service"
	"remit/eventstore"
	"remit/projections"
	"remit/projections/rmdb"
)

// Index is what the runs decide from: the read models (projections), which
// fold every client, service and invoice with the aggregates' own Evolve
// and index what a run looks for (services by the day their next item is
// due, invoices by collection date, rejected ones, those a run issued
// without a collection; invoices begun and not issued), and the firm's
// settings, folded from its stream. It keeps no history: Update brings the
// read models up to the log's head and re-reads the firm; a run then reads
// only the rows it acts on. It only says what is worth trying: every command
// the runs send is decided on its stream's revision, so a stale read costs
// a re-read, never a double effect.
type Index struct {
	store    eventstore.Store
	models   *projections.Models
	upToDate func(context.Context) error
	firmView *projections.FirmView
	closer   func() error

	mu   sync.Mutex
	firm firm.State // as of the last Update
}

// NewIndex returns an Index over the read models kept from store; upToDate
// brings them up to the log's head: CatchUp for a process that applies them
// itself when it can (`remit bill`), WaitFor for one whose Runner is
// started (`remit serve`).
func NewIndex(store eventstore.Store, models *projections.Models, upToDate func(context.Context) error) *Index {
	return &Index{store: store, models: models, upToDate: upToDate, firmView: projections.NewFirmView(store, catalog.New())}
}

// CatchUp brings the read models up to the head with r.CatchUp: applying
// what they miss when this process can take the lease, else waiting for the
// process that holds it (a running `remit serve`) to apply it.
func CatchUp(r *projections.Runner) func(context.Context) error { return r.CatchUp }

// WaitFor brings the read models up to the head by waiting for r, a started
// Runner (its live loop, or the node applying them), to apply the head of
// store as it is at the call.
func WaitFor(store eventstore.Store, r *projections.Runner) func(context.Context) error {
	return func(ctx context.Context) error {
		head, err := store.Head(ctx)
		if err != nil {
			return fmt.Errorf("store head: %w", err)
		}
		return r.WaitFor(ctx, head)
	}
}

// OpenIndex returns an Index over read models built from store in a
// temporary database (rmdb.OpenTemp), deleted by Close: what Run and
// Collect use when given no Index (tests, one-offs on small logs). A process
// on a real data folder opens its read models and uses NewIndex.
func OpenIndex(ctx context.Context, store eventstore.Store) (*Index, error) {
	db, err := rmdb.OpenTemp()
	if err != nil {
		return nil, fmt.Errorf("billing run: %w", err)
	}
	x, err := OpenIndexOn(ctx, store, db, projections.RunnerOptions{})
	if err != nil {
		db.Close()
		return nil, err
	}
	closeRunner := x.closer
	x.closer = func() error { return errors.Join(closeRunner(), db.Close()) }
	return x, nil
}

// OpenIndexOn returns an Index over the read models in db (the data
// folder's, storeurl.OpenReadModels) for a process that starts no Runner
// of its own (`remit bill`): Update applies what they miss (CatchUp) with a
// Runner of opts, or waits for the process holding the lease (a running
// `remit serve`) to. Close closes that Runner, not db.
func OpenIndexOn(ctx context.Context, store eventstore.Store, db *rmdb.DB, opts projections.RunnerOptions) (*Index, error) {
	models := projections.NewModels(db)
	r, err := projections.NewRunner(ctx, store, models, opts)
	if err != nil {
		return nil, fmt.Errorf("billing run: %w", err)
	}
	x := NewIndex(store, models, CatchUp(r))
	x.closer = r.Close
	return x, nil
}

// Models returns the read models the index reads (for the other daily
// jobs, such as the proposals job, that read them too).
func (x *Index) Models() *projections.Models { return x.models }

// Close releases what OpenIndex opened (nothing for NewIndex's).
func (x *Index) Close() error {
	if x.closer == nil {
		return nil
	}
	return x.closer()
}

// Update brings the read models up to the log's head and reads the firm's
// settings.
func (x *Index) Update(ctx context.Context) error {
	if err := x.upToDate(ctx); err != nil {
		return fmt.Errorf("billing run: read models: %w", err)
	}
	f, _, _, err := x.firmView.At(ctx, 0)
	if err != nil {
		return fmt.Errorf("billing run: %w", err)
	}
	x.mu.Lock()
	x.firm = f
	x.mu.Unlock()
	return nil
}

// Firm returns the firm's settings as of the last Update.
func (x *Index) Firm() firm.State {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.firm
}

// Location returns the firm's time zone (UTC before set-up or when the zone
// does not load).
func (x *Index) Location() *time.Location { return location(x.Firm()) }

func location(f firm.State) *time.Location {
	if f.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(f.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Client returns a client as the read models have it (billing.Snapshot).
// A read error reads as not found (the command refused, reported by the
// run, and tried again by the next).
func (x *Index) Client(id uuid.UUID) (client.State, bool) {
	m, err := x.models.ClientsByID(context.Background(), []uuid.UUID{id})
	if err != nil {
		return client.State{}, false
	}
	c, ok := m[id]
	return c, ok
}

// Service returns a service as the read models have it and the revision of
// its stream it is folded to (billing.Snapshot).
func (x *Index) Service(id uuid.UUID) (service.State, uint64, bool) {
	m, err := x.models.ServicesByID(context.Background(), []uuid.UUID{id})
	if err != nil {
		return service.State{}, 0, false
	}
	s, ok := m[id]
	return s.State, s.Revision, ok
}

// Invoice returns an invoice as the read models have it (billing.Snapshot):
// issued, or abandoned.
func (x *Index) Invoice(id uuid.UUID) (invoice.State, bool) {
	m, err := x.models.InvoicesByID(context.Background(), []uuid.UUID{id})
	if err != nil {
		return invoice.State{}, false
	}
	st, ok := m[id]
	return st, ok
}

// snapshot is the billing.Snapshot a run decides from: the firm, and the
// clients, services and invoices of its groups, read from the read models
// before IssueBatch (so deciding reads no row one at a time), as many as
// the run has groups, whatever the length of the log. What it lacks it
// reads from the Index.
type snapshot struct {
	idx      *Index
	firm     firm.State
	clients  map[uuid.UUID]client.State
	services map[uuid.UUID]projections.FoldedService
	invoices map[uuid.UUID]invoice.State
}

func newSnapshot(idx *Index) *snapshot {
	return &snapshot{idx: idx, firm: idx.Firm(), clients: map[uuid.UUID]client.State{},
		services: map[uuid.UUID]projections.FoldedService{}, invoices: map[uuid.UUID]invoice.State{}}
}

func (s *snapshot) Firm() firm.State { return s.firm }

func (s *snapshot) Client(id uuid.UUID) (client.State, bool) {
	if c, ok := s.clients[id]; ok {
		return c, true
	}
	return s.idx.Client(id)
}

func (s *snapshot) Service(id uuid.UUID) (service.State, uint64, bool) {
	if f, ok := s.services[id]; ok {
		return f.State, f.Revision, true
	}
	return s.idx.Service(id)
}

func (s *snapshot) Invoice(id uuid.UUID) (invoice.State, bool) {
	st, ok := s.invoices[id]
	return st, ok
}

// forget drops the clients, services and invoices of groups a chunk of the
// run has issued, so the run holds only what its chunks still need. A later
// look-up of one of them (a client whose groups span two chunks) reads the
// read models again, which give what the snapshot held.
func (s *snapshot) forget(groups []*group, invoices []uuid.UUID) {
	for _, g := range groups {
		delete(s.clients, g.clientID)
		for _, key := range g.items {
			if id, _, ok := service.ParseItemKey(key); ok {
				delete(s.services, id)
			}
		}
	}
	for _, id := range invoices {
		delete(s.invoices, id)
	}
}

// addServices reads services into the snapshot (again, when given again).
func (s *snapshot) addServices(ctx context.Context, ids []uuid.UUID) error {
	return readInto(ctx, s.services, ids, s.idx.models.ServicesByID)
}

// addClients reads the clients not in the snapshot yet.
func (s *snapshot) addClients(ctx context.Context, ids []uuid.UUID) error {
	var missing []uuid.UUID
	for _, id := range ids {
		if _, ok := s.clients[id]; !ok {
			missing = append(missing, id)
		}
	}
	return readInto(ctx, s.clients, missing, s.idx.models.ClientsByID)
}

// addInvoices reads the invoices of ids that exist (issued or abandoned).
func (s *snapshot) addInvoices(ctx context.Context, ids []uuid.UUID) error {
	return readInto(ctx, s.invoices, ids, s.idx.models.InvoicesByID)
}

// readInto reads the aggregates of ids with read and adds them to into.
func readInto[V any](ctx context.Context, into map[uuid.UUID]V, ids []uuid.UUID, read func(context.Context, []uuid.UUID) (map[uuid.UUID]V, error)) error {
	m, err := read(ctx, ids)
	if err != nil {
		return fmt.Errorf("billing run: %w", err)
	}
	maps.Copy(into, m)
	return nil
}

// unissued is an invoice begun and not issued, as a run sees it.
type unissued struct {
	projections.UnissuedInvoice
	clientID uuid.UUID // the client of its items' service
}

// pending reads the invoices begun and not issued (those the read models
// show issued after all are left out) and their items' services into snap.
func pending(ctx context.Context, snap *snapshot) ([]unissued, error) {
	docs, err := snap.idx.models.UnissuedInvoices(ctx)
	if err != nil {
		return nil, fmt.Errorf("billing run: %w", err)
	}
	ids := make([]uuid.UUID, len(docs))
	var services []uuid.UUID
	for i, d := range docs {
		ids[i] = d.InvoiceID
		for k := range d.Items {
			if id, _, ok := service.ParseItemKey(k); ok {
				services = append(services, id)
			}
		}
	}
	if err := snap.addInvoices(ctx, ids); err != nil {
		return nil, err
	}
	if err := snap.addServices(ctx, services); err != nil {
		return nil, err
	}
	var out []unissued
	for _, d := range docs {
		if st, ok := snap.invoices[d.InvoiceID]; ok && st.Issued() {
			continue // an item marked again after the issue
		}
		u := unissued{UnissuedInvoice: d}
		for k := range d.Items {
			if id, _, ok := service.ParseItemKey(k); ok {
				u.clientID = snap.services[id].State.ClientID
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// byRun reports whether a billing run began the invoice (its items were
// marked by a run's issue command, which names the issue date).
func (u unissued) byRun() bool {
	return len(u.Items) > 0 && strings.HasPrefix(u.CommandID, runPrefix+"issue/")
}

// interrupted returns the invoices a billing run marked items billed on
// and did not issue, as groups to issue again (the same items, date and
// command id, so the re-run completes exactly what was begun).
func interrupted(pend []unissued, snap *snapshot) []*group {
	var out []*group
	for _, u := range pend {
		if !u.byRun() {
			continue // begun by someone else (staff billing an item now): not ours to complete (repair.go voids its number once stranded)
		}
		if u.Abandoned != nil {
			continue // abandoned: its number is being voided, its items released
		}
		rest, _ := strings.CutPrefix(u.CommandID, runPrefix+"issue/")
		date, err := domain.ParseDate(strings.SplitN(rest, "/", 2)[0])
		if err != nil {
			continue
		}
		g := &group{clientID: u.clientID, date: date, commandID: u.CommandID, invoiceID: u.InvoiceID}
		for k := range u.Items {
			g.items = append(g.items, k)
		}
		slices.Sort(g.items)
		for _, k := range g.items {
			g.method = u.Items[k]
			rel := 0
			if serviceID, _, ok := service.ParseItemKey(k); ok {
				rel = snap.services[serviceID].State.Releases(k)
			}
			g.releases = append(g.releases, rel)
		}
		out = append(out, g)
	}
	return out
}

// rejection is a rejected collection attempt, dated as
// invoice.InvoicePaymentRejected.AttemptDate dates it: the date its event
// carries (the collection run's as-of date, which a run's retry dates count
// from, never the wall clock). For an event recorded before events carried
// a date, runDate is the as-of date in the run's correlation id, else
// (a webhook) the attempt is dated by the time it was recorded.
type rejection struct {
	runDate domain.Date
	event   invoice.InvoicePaymentRejected
}

// date is the rejection's date in the firm's zone.
func (r rejection) date(loc *time.Location) domain.Date {
	if r.event.Date.IsZero() && !r.runDate.IsZero() {
		return r.runDate
	}
	return r.event.AttemptDate(loc)
}

// rejectionsOf dates the rejections the read models keep.
func rejectionsOf(rs []projections.Rejection) []rejection {
	out := make([]rejection, len(rs))
	for i, r := range rs {
		out[i] = rejection{runDate: collectRunDate(r.CorrelationID), event: r.Event}
	}
	return out
}

// collectRunDate is the as-of date of the collection run whose correlation
// id is corr ("collect/2027-02-05"), or zero.
func collectRunDate(corr string) domain.Date {
	rest, ok := strings.CutPrefix(corr, collectPrefix)
	if !ok {
		return domain.Date{}
	}
	d, err := domain.ParseDate(rest)
	if err != nil {
		return domain.Date{}
	}
	return d
}
