package projections

import (
	"context"
	"sync/atomic"

	"github.com/google/uuid"

	"remit/domain"
	"remit/projections/rmdb"
)

// Models is the set of read models of the client page and the query API over
// them, read from the read-model database. Build it with NewModels; a Runner
// keeps the tables up to date (live), BuildAsOf fills a temporary database
// (history). Its methods are safe for concurrent use with the Runner.
type Models struct {
	db       *rmdb.DB
	Clients  *Clients
	Services *Services
	Invoices *Invoices
	Unissued *Unissued
	Activity *Activity
	Ledger   *Ledger
	Emails   *Emails
	Payouts  *Payouts
	Library  *Library
	// SentProposals is what the daily proposals job reads.
	SentProposals *SentProposals
	// PriceIncreases holds the bulk price increases.
	PriceIncreases *PriceIncreases

	position atomic.Uint64 // set by the Runner feeding these models
	// version moves whenever the tables change under the models (see
	// querycache.go: changed); cache holds answers read at a version.
	version atomic.Uint64
	cache   atomic.Pointer[queryCache]
	closer  func() error // BuildAsOf's temporary database
}

// NewModels returns the read models kept in db.
func NewModels(db *rmdb.DB) *Models {
	return &Models{
		db:       db,
		Clients:  newClients(db, 0),
		Services: newServices(db, 0),
		Invoices: newInvoices(db, 0),
		Unissued: newUnissued(db, 0),
		Activity: newActivity(db, 0),
		Ledger:   newLedger(db, 0),
		Emails:   newEmails(db, 0),
		Payouts:  newPayouts(db, 0),
		Library:  newLibrary(db, 0),

		SentProposals:  newSentProposals(db, 0),
		PriceIncreases: newPriceIncreases(db, 0),
	}
}

// DB is the database the models are read from.
func (m *Models) DB() *rmdb.DB { return m.db }

// Close releases a temporary database (BuildAsOf's); for the live models it
// does nothing (the app closes their database).
func (m *Models) Close() error {
	if m.closer == nil {
		return nil
	}
	return m.closer()
}

// Specs lists the read models' projections, in the order the Runner
// applies an event to them.
func (m *Models) Specs() []Spec {
	db := m.db
	return []Spec{
		{Name: "clients", Version: clientsVersion, New: func(g int64) Projection { return newClients(db, g) }},
		{Name: "services", Version: servicesVersion, New: func(g int64) Projection { return newServices(db, g) }},
		{Name: "invoices", Version: invoicesVersion, New: func(g int64) Projection { return newInvoices(db, g) }},
		{Name: "unissued", Version: unissuedVersion, New: func(g int64) Projection { return newUnissued(db, g) }},
		{Name: "activity", Version: activityVersion, New: func(g int64) Projection { return newActivity(db, g) }},
		{Name: "ledger", Version: ledgerVersion, New: func(g int64) Projection { return newLedger(db, g) }},
		{Name: "emails", Version: emailsVersion, New: func(g int64) Projection { return newEmails(db, g) }},
		{Name: "payouts", Version: payoutsVersion, New: func(g int64) Projection { return newPayouts(db, g) }},
		{Name: "library", Version: libraryVersion, New: func(g int64) Projection { return newLibrary(db, g) }},
		{Name: "sent_proposals", Version: sentProposalsVersion, New: func(g int64) Projection { return newSentProposals(db, g) }},
		{Name: "price_increases", Version: priceIncreasesVersion, New: func(g int64) Projection { return newPriceIncreases(db, g) }},
	}
}

// Position is how far the read models have applied the log: the lowest
// checkpoint of the projections, as the Runner feeding them last saw it.
func (m *Models) Position() uint64 { return m.position.Load() }

// Summary returns the Summary tab of a client's page; overdue amounts are
// judged on today. An unknown client is ENOTFOUND.
func (m *Models) Summary(ctx context.Context, clientID uuid.UUID, today domain.Date) (ClientSummary, error) {
	return cached(ctx, m, clientID, queryKey("summary", clientID, today), func() (ClientSummary, error) { return m.summary(ctx, clientID, today) }, sizeOfSummary)
}

// ListClients returns one page of the clients list.
func (m *Models) ListClients(ctx context.Context, q ClientQuery) (Page[ClientListItem], error) {
	return cached(ctx, m, uuid.Nil, queryKey("clients", q), func() (Page[ClientListItem], error) { return m.listClients(ctx, q) }, sizeOfPage)
}

// ClientServices returns the Services tab; NextBilling is judged from today.
// An unknown client is ENOTFOUND.
func (m *Models) ClientServices(ctx context.Context, clientID uuid.UUID, today domain.Date) (ClientServices, error) {
	return cached(ctx, m, clientID, queryKey("services", clientID, today), func() (ClientServices, error) { return m.clientServices(ctx, clientID, today) }, sizeOfServices)
}

// Service returns one service; NextBilling is judged from today. An unknown
// service is ENOTFOUND.
func (m *Models) Service(ctx context.Context, serviceID uuid.UUID, today domain.Date) (ServiceView, error) {
	return m.Services.view(ctx, serviceID, today)
}

// ServiceSchedule returns one service's items as service.State.Schedule
// does, through the given day. An unknown service is ENOTFOUND.
func (m *Models) ServiceSchedule(ctx context.Context, serviceID uuid.UUID, q ScheduleQuery) ([]ScheduleItem, error) {
	return m.serviceSchedule(ctx, serviceID, q)
}

// Schedule returns the Billing Schedule tab: the client's future items
// across its services, sorted, with billing groups and overdue manual items.
// An unknown client is ENOTFOUND.
func (m *Models) Schedule(ctx context.Context, clientID uuid.UUID, q ScheduleQuery) (ClientSchedule, error) {
	return cached(ctx, m, clientID, queryKey("schedule", clientID, q), func() (ClientSchedule, error) { return m.schedule(ctx, clientID, q) }, sizeOfSchedule)
}

// ListInvoices returns one page of invoices, one client's or the firm's
// (uuid.Nil ClientID: a firm-wide answer for the query cache).
func (m *Models) ListInvoices(ctx context.Context, q InvoiceQuery) (Page[InvoiceListItem], error) {
	return cached(ctx, m, q.ClientID, queryKey("invoices", q), func() (Page[InvoiceListItem], error) { return m.listInvoices(ctx, q) }, sizeOfPage)
}

// Invoice returns an invoice's detail page; its status is judged on today.
// An unknown invoice is ENOTFOUND.
func (m *Models) Invoice(ctx context.Context, invoiceID uuid.UUID, today domain.Date) (InvoiceDetail, error) {
	d, err := m.invoiceDetail(ctx, invoiceID, today)
	if err != nil {
		return d, err
	}
	if d.Ledger, err = m.Ledger.of(ctx, invoiceID); err != nil {
		return d, err
	}
	d.Emails, err = m.Emails.about(ctx, invoiceID)
	return d, err
}

// EmailsAbout returns the emails about an invoice or a proposal (issued,
// receipts, rejections, reminders; the proposal), oldest first, with their
// delivery status.
func (m *Models) EmailsAbout(ctx context.Context, id uuid.UUID) ([]EmailView, error) {
	return m.Emails.about(ctx, id)
}

// ActivityOf returns the history of a client, service, invoice, proposal or
// payment method, oldest first. A subject with no events is ENOTFOUND.
func (m *Models) ActivityOf(ctx context.Context, subject Subject, id uuid.UUID) ([]ActivityLine, error) {
	return m.Activity.of(ctx, subject, id)
}
