package billingrun

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/numbering"
	"remit/domain/service"
	"remit/eventstore"
	"remit/projections/follow"
)

// Index is the process managers' view of the store: the firm's settings and
// every client, service and invoice, folded with the aggregates' own Evolve
// from the events the one log follower (projections/follow) hands it, never
// from projections. Update reads only the events after the follower's
// checkpoint, so a long-lived Index (the Scheduler's) stays cheap. It only says what is worth trying: every command
// the runs send re-reads its stream and is decided there.
type Index struct {
	f *follow.Follower

	mu       sync.Mutex // held by Update while the follower applies
	firm     firm.State
	clients  map[uuid.UUID]client.State
	services map[uuid.UUID]service.State
	svcRevs  map[uuid.UUID]uint64 // the stream revision each service is folded to
	invoices map[uuid.UUID]*invoiceEntry
	// unissued are invoices items were marked billed on, not (yet) issued:
	// in flight, or left by a run that crashed between its steps.
	unissued map[uuid.UUID]*unissuedInvoice
	// reserved are the invoice numbers reserved for invoices not (yet)
	// issued and not voided (see repair.go).
	reserved map[uuid.UUID]reservedNumber
}

// unissuedInvoice is what a run needs to complete an interrupted issue.
type unissuedInvoice struct {
	id        uuid.UUID
	clientID  uuid.UUID
	commandID string               // of the command that marked the items
	items     map[string]uuid.UUID // item key → its payment method
}

// invoiceEntry is an invoice as the runs see it.
type invoiceEntry struct {
	state invoice.State
	// fromRun: issued by a billing run (its command id starts with runPrefix).
	fromRun bool
	// rejections are the rejections since collection was last scheduled
	// (InvoiceCollectionScheduled restarts the retry policy).
	rejections []rejection
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

// NewIndex returns an empty Index over store; the first Update reads it all.
func NewIndex(store eventstore.Store) *Index {
	x := &Index{
		clients: map[uuid.UUID]client.State{}, services: map[uuid.UUID]service.State{}, svcRevs: map[uuid.UUID]uint64{},
		invoices: map[uuid.UUID]*invoiceEntry{},
		unissued: map[uuid.UUID]*unissuedInvoice{},
		reserved: map[uuid.UUID]reservedNumber{},
	}
	x.f = follow.New(store, func(_ context.Context, e follow.Event) error {
		x.apply(e)
		return nil
	}, follow.Options{Filter: indexFilter})
	return x
}

var indexFilter = eventstore.Filter{StreamPrefixes: []string{
	firm.StreamName(), prefixOf(client.StreamName), prefixOf(service.StreamName), prefixOf(invoice.StreamName), numbering.StreamName(),
}}

func prefixOf(name func(uuid.UUID) string) string {
	return strings.TrimSuffix(name(uuid.Nil), uuid.Nil.String())
}

// Update folds every event appended since the last Update.
func (x *Index) Update(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.f.CatchUp(ctx); err != nil {
		return fmt.Errorf("billing run: %w", err)
	}
	return nil
}

// apply folds one event in; the caller (Update) holds x.mu.
func (x *Index) apply(r follow.Event) {
	e := r.Data
	if r.Stream == firm.StreamName() {
		x.firm = firm.Evolve(x.firm, e)
		return
	}
	if r.Stream == numbering.StreamName() {
		x.applyNumbering(r.Metadata.CommandID, e)
		return
	}
	cut := strings.IndexByte(r.Stream, '-')
	if cut < 0 {
		return
	}
	id, err := uuid.Parse(r.Stream[cut+1:])
	if err != nil {
		return // not an aggregate stream of ours
	}
	switch r.Stream[:cut+1] {
	case prefixOf(client.StreamName):
		x.clients[id] = client.Evolve(x.clients[id], e)
	case prefixOf(service.StreamName):
		x.services[id] = service.Evolve(x.services[id], e)
		x.svcRevs[id] = r.Revision
		switch ev := e.(type) {
		case service.ScheduleItemBilled:
			if en := x.invoices[ev.InvoiceID]; en != nil && en.state.Issued() {
				break // a re-run marking an item of an issued invoice
			}
			u := x.unissued[ev.InvoiceID]
			if u == nil {
				u = &unissuedInvoice{id: ev.InvoiceID, clientID: x.services[id].ClientID, items: map[string]uuid.UUID{}}
				x.unissued[ev.InvoiceID] = u
			}
			u.items[ev.ItemKey], u.commandID = ev.PaymentMethodID, r.Metadata.CommandID
		case service.ScheduleItemReleased:
			if u := x.unissued[ev.InvoiceID]; u != nil {
				delete(u.items, ev.ItemKey)
				if len(u.items) == 0 {
					delete(x.unissued, ev.InvoiceID)
				}
			}
		}
	case prefixOf(invoice.StreamName):
		en := x.invoices[id]
		if en == nil {
			en = &invoiceEntry{}
			x.invoices[id] = en
		}
		en.state = invoice.Evolve(en.state, e)
		switch ev := e.(type) {
		case invoice.InvoiceIssued:
			delete(x.unissued, ev.InvoiceID)
			delete(x.reserved, ev.InvoiceID)
			en.fromRun = strings.HasPrefix(r.Metadata.CommandID, runPrefix)
		case invoice.InvoiceCollectionScheduled:
			en.rejections = nil
		case invoice.InvoicePaymentRejected:
			en.rejections = append(en.rejections, rejection{runDate: collectRunDate(r.Metadata.CorrelationID), event: ev})
		}
	}
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

// allServices copies the services out of the index, so a run works
// without holding the lock.
func (x *Index) allServices() []service.State {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]service.State, 0, len(x.services))
	for _, s := range x.services {
		out = append(out, s)
	}
	return out
}

func (x *Index) invoiceEntries() []invoiceEntry {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]invoiceEntry, 0, len(x.invoices))
	for _, en := range x.invoices {
		out = append(out, *en)
	}
	return out
}

// interrupted returns the invoices a billing run marked items billed on
// and did not issue, as groups to issue again (the same items, date and
// command id, so the re-run completes exactly what was begun).
func (x *Index) interrupted() []*group {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []*group
	for _, u := range x.unissued {
		rest, ok := strings.CutPrefix(u.commandID, runPrefix+"issue/")
		if !ok {
			continue // begun by someone else (staff billing an item now): not ours to complete (repair.go voids its number once stranded)
		}
		if en := x.invoices[u.id]; en != nil && en.state.AbandonedReason != "" {
			continue // abandoned: its number is being voided, its items released
		}
		date, err := domain.ParseDate(strings.SplitN(rest, "/", 2)[0])
		if err != nil {
			continue
		}
		g := &group{clientID: u.clientID, date: date, commandID: u.commandID, invoiceID: u.id}
		for k := range u.items {
			g.items = append(g.items, k)
		}
		slices.Sort(g.items)
		for _, k := range g.items {
			g.method = u.items[k]
			rel := 0
			if serviceID, _, ok := service.ParseItemKey(k); ok {
				rel = x.services[serviceID].Releases(k)
			}
			g.releases = append(g.releases, rel)
		}
		out = append(out, g)
	}
	return out
}

func (x *Index) client(id uuid.UUID) (client.State, bool) { return x.Client(id) }

// Client returns a client as of the last Update (billing.Snapshot).
func (x *Index) Client(id uuid.UUID) (client.State, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	c, ok := x.clients[id]
	return c, ok
}

// Service returns a service as of the last Update and the revision of its
// stream it is folded to (billing.Snapshot).
func (x *Index) Service(id uuid.UUID) (service.State, uint64, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	st, ok := x.services[id]
	return st, x.svcRevs[id], ok
}

// Invoice returns an invoice as of the last Update (billing.Snapshot).
func (x *Index) Invoice(id uuid.UUID) (invoice.State, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	en, ok := x.invoices[id]
	if !ok {
		return invoice.State{}, false
	}
	return en.state, true
}
