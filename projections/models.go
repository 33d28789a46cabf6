package projections

import (
	"github.com/google/uuid"

	"remit/domain"
)

// Models is the set of read models of the client page and the query API over
// them. Build it with NewModels; feed it with a Runner (live) or BuildAsOf
// (history). Its methods are safe for concurrent use with the Runner.
type Models struct {
	Clients  *Clients
	Services *Services
	Invoices *Invoices
	Activity *Activity
	Ledger   *Ledger
	Emails   *Emails
}

// NewModels returns empty read models.
func NewModels() *Models {
	m := &Models{
		Clients:  newClients(),
		Services: newServices(),
		Invoices: newInvoices(),
	}
	m.Activity = newActivity()
	m.Ledger = newLedger()
	m.Emails = newEmails()
	return m
}

// Projections lists the read models as projections, in the order the Runner
// applies an event to them.
func (m *Models) Projections() []Projection {
	return []Projection{m.Clients, m.Services, m.Invoices, m.Activity, m.Ledger, m.Emails}
}

// Position is how far the read models have applied the log: the lowest
// checkpoint of the projections.
func (m *Models) Position() uint64 {
	var pos uint64
	for i, p := range m.Projections() {
		if c := p.Checkpoint(); i == 0 || c < pos {
			pos = c
		}
	}
	return pos
}

// Projection returns the projection with the given name.
func (m *Models) Projection(name string) (Projection, bool) {
	for _, p := range m.Projections() {
		if p.Name() == name {
			return p, true
		}
	}
	return nil, false
}

// Summary returns the Summary tab of a client's page; overdue amounts are
// judged on today. An unknown client is ENOTFOUND.
func (m *Models) Summary(clientID uuid.UUID, today domain.Date) (ClientSummary, error) {
	return m.summary(clientID, today)
}

// ListClients returns one page of the clients list.
func (m *Models) ListClients(q ClientQuery) Page[ClientListItem] {
	return m.listClients(q)
}

// ClientServices returns the Services tab; NextBilling is judged from today.
// An unknown client is ENOTFOUND.
func (m *Models) ClientServices(clientID uuid.UUID, today domain.Date) (ClientServices, error) {
	return m.clientServices(clientID, today)
}

// Service returns one service; NextBilling is judged from today. An unknown
// service is ENOTFOUND.
func (m *Models) Service(serviceID uuid.UUID, today domain.Date) (ServiceView, error) {
	return m.Services.view(serviceID, today)
}

// ServiceSchedule returns one service's items as service.State.Schedule
// does, through the given day. An unknown service is ENOTFOUND.
func (m *Models) ServiceSchedule(serviceID uuid.UUID, q ScheduleQuery) ([]ScheduleItem, error) {
	return m.serviceSchedule(serviceID, q)
}

// Schedule returns the Billing Schedule tab: the client's future items
// across its services, sorted, with billing groups and overdue manual items.
// An unknown client is ENOTFOUND.
func (m *Models) Schedule(clientID uuid.UUID, q ScheduleQuery) (ClientSchedule, error) {
	return m.schedule(clientID, q)
}

// ListInvoices returns one page of invoices, one client's or the firm's.
func (m *Models) ListInvoices(q InvoiceQuery) Page[InvoiceListItem] {
	return m.listInvoices(q)
}

// Invoice returns an invoice's detail page; its status is judged on today.
// An unknown invoice is ENOTFOUND.
func (m *Models) Invoice(invoiceID uuid.UUID, today domain.Date) (InvoiceDetail, error) {
	d, err := m.invoiceDetail(invoiceID, today)
	if err == nil {
		d.Ledger = m.Ledger.of(invoiceID)
		d.Emails = m.Emails.about(invoiceID)
	}
	return d, err
}

// EmailsAbout returns the emails about an invoice or a proposal (issued,
// receipts, rejections, reminders; the proposal), oldest first, with their
// delivery status.
func (m *Models) EmailsAbout(id uuid.UUID) []EmailView {
	return m.Emails.about(id)
}

// ActivityOf returns the history of a client, service, invoice, proposal or
// payment method, oldest first. A subject with no events is ENOTFOUND.
func (m *Models) ActivityOf(subject Subject, id uuid.UUID) ([]ActivityLine, error) {
	return m.Activity.of(subject, id)
}
