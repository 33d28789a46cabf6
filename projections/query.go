package projections

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/proposal"
	"remit/domain/service"
)

// Paging asks for one page of a list: Limit items after skipping Offset.
// Limit <= 0 means DefaultLimit; it is capped at MaxLimit.
type Paging struct {
	Offset int
	Limit  int
}

// Page limits.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Page is one page of a list and the size of the whole list.
type Page[T any] struct {
	Items  []T
	Total  int // items matching the query, over all pages
	Offset int
	Limit  int
}

// ClientSummary is the Summary tab of the client page.
type ClientSummary struct {
	ID               uuid.UUID
	Name             string
	Kind             client.Kind
	Address          domain.Address
	TaxNumber        string
	Currency         domain.Currency
	PaymentTermsDays *int // nil: the firm's default applies
	Archived         bool
	CreatedAt        time.Time
	// Revision is the client stream's revision (for ETag / If-Match).
	Revision uint64
	// Tags are the client's tags, sorted.
	Tags []string

	Contacts       []ContactView       // in the order they were added
	PrimaryContact uuid.UUID           // uuid.Nil when there is none
	PaymentMethods []PaymentMethodView // in the order they were added
	DefaultMethod  uuid.UUID           // uuid.Nil when there is none
	Proposals      []ProposalView      // oldest first
	// PaymentDetailsRequests are the requests for payment details sent to
	// the client, oldest first, each with whether it was answered.
	PaymentDetailsRequests []client.PaymentDetailsRequest

	// Money owed, one amount per currency (usually just the client's), sorted
	// by currency code. Outstanding counts every unpaid balance; Overdue
	// those past their due date as of the day the query was asked for.
	Outstanding     []domain.Money
	Overdue         []domain.Money
	OpenInvoices    int
	OverdueInvoices int
}

// ContactView is a contact at a client.
type ContactView struct {
	client.Contact
	Primary bool
}

// PaymentMethodView is a payment method on file, with a label a person
// recognises ("Visa •••• 4242, expires 08/2027", "SEPA DE89 ****3000").
type PaymentMethodView struct {
	ID uuid.UUID
	client.PaymentMethodDetails
	Label         string
	Status        client.MethodStatus
	FailureReason string
	Default       bool
	Replaces      uuid.UUID // the method this one replaced, if any
	AddedAt       time.Time
}

// ProposalView is one of the client's proposals and its status.
type ProposalView struct {
	ID         uuid.UUID
	Title      string
	Status     proposal.Status
	Currency   domain.Currency
	StartDate  domain.Date
	Lines      int             // how many services it offers
	Items      []proposal.Line // its lines (proposal.ValueOf gives its totals per cadence)
	Total      domain.Money    // sum of quantity × unit price over its lines, before discount and tax
	DraftedAt  time.Time
	SentAt     time.Time // zero when never sent
	AcceptedOn domain.Date
	ClosedAt   time.Time // accepted, declined, withdrawn or expired
	Revision   uint64
}

// ClientFilter narrows the clients list.
type ClientFilter string

// Client filters.
const (
	ClientsAll        ClientFilter = ""            // every client
	ClientsActive     ClientFilter = "active"      // not archived
	ClientsArchived   ClientFilter = "archived"    // archived
	ClientsHasOverdue ClientFilter = "has_overdue" // an invoice past its due date with a balance
	// ClientsNoActiveMethod: not archived, and no payment method on file
	// that can be charged.
	ClientsNoActiveMethod ClientFilter = "no_active_method"
	// ClientsRequestUnanswered: asked for payment details and not answered
	// (no method added or replaced since).
	ClientsRequestUnanswered ClientFilter = "request_unanswered"
)

// ClientFilters lists every client filter but ClientsAll.
func ClientFilters() []ClientFilter {
	return []ClientFilter{ClientsActive, ClientsArchived, ClientsHasOverdue, ClientsNoActiveMethod, ClientsRequestUnanswered}
}

// ClientQuery selects clients for the clients list.
type ClientQuery struct {
	// Search matches, case-insensitively, a substring of the client's name
	// or of any contact's name or email.
	Search string
	Filter ClientFilter
	// Tag, when set, lists only the clients with this tag
	// (case-insensitively).
	Tag string
	// Today is the day overdue is judged on (ClientsHasOverdue, and the
	// Overdue amounts of each item).
	Today domain.Date
	Paging
}

// ClientListItem is one row of the clients list, sorted by name then id.
type ClientListItem struct {
	ID              uuid.UUID
	Name            string
	PrimaryEmail    string
	Archived        bool
	Outstanding     []domain.Money
	Overdue         []domain.Money
	OverdueInvoices int
	// HasActiveMethod: a payment method on file can be charged.
	HasActiveMethod bool
	// LastRequest is the latest request for payment details, if any.
	LastRequest *client.PaymentDetailsRequest
	// Tags are the client's tags.
	Tags []string
}

// ServiceView is a service with its current terms and next billing.
type ServiceView struct {
	ID          uuid.UUID
	ClientID    uuid.UUID
	Name        string
	Description string
	Unit        string
	Source      service.Source
	Currency    domain.Currency
	UnitPrice   domain.Money
	Quantity    decimal.Decimal
	Discount    domain.Discount
	TaxRate     decimal.Decimal
	Mode        service.BillingMode
	BillingRule domain.BillingRule
	// PaymentMethodID is the service's own method; uuid.Nil means the
	// client's default is used.
	PaymentMethodID uuid.UUID
	ActivatedAt     time.Time
	Ended           bool
	EndDate         domain.Date
	EndReason       string
	// RevenueAccount is the ledger account code its sales go to; empty:
	// the ledger's default.
	RevenueAccount string
	// NextBilling is the first item on or after the query's day that is
	// neither billed, skipped nor archived; nil when there is none (within
	// a ten-year horizon).
	NextBilling *service.Item
	Revision    uint64
}

// ClientServices is the Services tab: active services first, then ended
// ones, each sorted by name then id.
type ClientServices struct {
	Active []ServiceView
	Ended  []ServiceView
}

// ScheduleQuery selects the billing schedule of a client.
type ScheduleQuery struct {
	// Today is the day overdue is judged on. Every item still to be billed is
	// shown whatever its date (an automatic item dated before today is a
	// catch-up the next billing run invoices); billed and skipped items are
	// left out, and archived ones unless IncludeArchived.
	Today domain.Date
	// Through is the last day shown; zero means a year after Today.
	Through domain.Date
	// IncludeArchived keeps items after a service's end date.
	IncludeArchived bool
	// OneInvoicePerItem and SkipMissed are the firm's settings that shape
	// billing groups (firm.State.GroupItems false, SkipsMissedBillings): the
	// read models have no firm projection, so the caller gives them. The
	// zero values group items and catch missed billings up.
	OneInvoicePerItem bool
	SkipMissed        bool
}

// ScheduleItem is one future billing of a client's service.
type ScheduleItem struct {
	service.Item
	ServiceName string
	// LineDescription is what its invoice line will say: its description,
	// naming the period a repeating rule's item covers ("Bookkeeping —
	// March 2026"), as billing writes it (service.State.LineDescription).
	LineDescription string
	Currency        domain.Currency
	// Amount is quantity × unit price less discount, before tax, rounded to
	// the currency's minor units.
	Amount domain.Money
	// PaymentMethodID is the method it will be collected from: the item's,
	// or the client's default when the item has none.
	PaymentMethodID uuid.UUID
	Overdue         bool // a manual item still waiting after its date
	// IssueDate is the date of the invoice a billing run gives it: its date
	// (or issue-on date), or the query's Today for a catch-up.
	IssueDate domain.Date
	// CatchUp: its date has passed and it is still to bill; the next billing
	// run invoices it on its own date (a missed billing).
	CatchUp bool
	// SkippedAsMissed: a missed automatic billing the firm skips: the next
	// billing run records it as skipped instead of invoicing it.
	SkippedAsMissed bool
	// GroupKey is the key of the billing group (invoice) a billing run puts
	// it on (service.Grouping.Plan, as the run forms them); empty for items
	// no run bills by itself.
	GroupKey string
}

// BillingGroup is one future invoice, as a billing run on its date forms
// it (service.Groups): the client's automatic items (and manual ones
// scheduled to be issued) with the same issue date and payment method,
// missed billings included on the next run's date.
type BillingGroup struct {
	Key             string      // service.Grouping.Key
	Date            domain.Date // the invoice's issue date
	PaymentMethodID uuid.UUID
	Items           []ScheduleItem
	Total           []domain.Money // before tax, one per currency
}

// ClientSchedule is the Billing Schedule tab.
type ClientSchedule struct {
	// Items are sorted by date (undated manual items last), then service
	// name, then key.
	Items []ScheduleItem
	// Groups are the automatic items grouped into future invoices, by date
	// then payment method.
	Groups []BillingGroup
	// Manual are the manual items (also in Items), overdue ones first.
	Manual []ScheduleItem
	// Missed are the missed automatic items the firm skips (also in Items):
	// the next billing run records them as skipped.
	Missed []ScheduleItem
}

// InvoiceQuery selects invoices for a list, one client's or the firm's.
type InvoiceQuery struct {
	ClientID uuid.UUID // uuid.Nil: every client
	// Statuses keeps invoices whose status as of Today is one of these
	// (invoice.StatusOverdue included); empty keeps all.
	Statuses []invoice.Status
	Today    domain.Date
	Paging
}

// InvoiceListItem is one row of an invoice list, newest issue date first
// (then number, descending).
type InvoiceListItem struct {
	ID         uuid.UUID
	ClientID   uuid.UUID
	ClientName string
	Number     string
	IssueDate  domain.Date
	DueDate    domain.Date
	Status     invoice.Status // as of the query's Today (may be overdue)
	Total      domain.Money
	Balance    domain.Money
	Recurring  bool
}

// InvoiceDetail is an invoice's own page.
type InvoiceDetail struct {
	InvoiceListItem
	StoredStatus    invoice.Status // the status folded from events (never overdue)
	TaxMode         domain.TaxMode
	Lines           []invoice.Line
	Totals          invoice.Totals
	PaymentMethodID uuid.UUID
	Collection      *invoice.Collection // the scheduled collection or retry, if any
	LastRejection   *invoice.Rejection  // the last declined attempt, if any
	Paid            domain.Money
	Credited        domain.Money
	WrittenOff      domain.Money
	VoidReason      string
	SendCount       int
	LastRecipient   string
	// RemindersPaused: staff paused the invoice's dunning (reminders, final
	// action, write-off); RemindersSent the dunning reminder steps sent.
	RemindersPaused bool
	RemindersSent   int

	Payments    []PaymentView    // money in: gateway collections and offline payments, in order
	Attempts    []AttemptView    // every gateway collection attempt, in order
	CreditNotes []CreditNoteView // in order
	WriteOffs   []WriteOffView   // in order
	Refunds     []RefundView     // refunds of gateway payments, in order
	Disputes    []DisputeView    // disputes of gateway payments, in order
	Refunded    domain.Money     // what refunds paid back (Paid is net of it)
	// Audit is the invoice's own trail (as ActivityOf(SubjectInvoice, id)).
	Audit    []ActivityLine
	Revision uint64
	// Ledger is its sync status in the connected ledgers (the "ledger" projection).
	Ledger InvoiceLedger
	// Emails are the emails about it, oldest first (the "emails" projection).
	Emails []EmailView
}

// PaymentView is money received on an invoice.
type PaymentView struct {
	ID       uuid.UUID // the attempt id (gateway) or payment id (offline)
	Gateway  bool
	Method   string    // offline: bank_transfer, cash, cheque, other; gateway: "gateway"
	MethodID uuid.UUID // gateway: the payment method charged
	// Through is how the client paid on their own (gateway: the pay-now
	// page, where MethodID is zero unless they kept the method).
	Through invoice.PaymentChannel
	// PaidWith is the method a pay-now payment was made with when the
	// client did not keep it (nil when the gateway did not say).
	PaidWith  *invoice.MethodUsed
	Reference string
	Amount    domain.Money
	Date      domain.Date // offline: the day paid; gateway: the firm's date of the collection
	At        time.Time
}

// AttemptView is one gateway collection attempt.
type AttemptView struct {
	ID               uuid.UUID
	PaymentMethodID  uuid.UUID
	Through          invoice.PaymentChannel // as PaymentView.Through
	PaidWith         *invoice.MethodUsed    // as PaymentView.PaidWith
	Outcome          invoice.AttemptOutcome
	Amount           domain.Money // succeeded attempts
	GatewayReference string       // succeeded attempts
	DeclineCode      string       // rejected attempts
	DeclineMessage   string       // rejected attempts
	At               time.Time
}

// CreditNoteView is a credit note against an invoice.
type CreditNoteView struct {
	ID     uuid.UUID
	Amount domain.Money
	Reason string
	At     time.Time
}

// WriteOffView is a write-off of an invoice's balance.
type WriteOffView struct {
	Amount domain.Money
	Reason string
	At     time.Time
}

// Subject is what an activity history is about.
type Subject string

// Activity subjects.
const (
	SubjectClient        Subject = "client"         // the client's own events and those of its proposals, services, invoices and payment methods
	SubjectService       Subject = "service"        // one service's events
	SubjectInvoice       Subject = "invoice"        // one invoice's events
	SubjectPaymentMethod Subject = "payment_method" // one payment method's events (and the one it replaced)
	SubjectProposal      Subject = "proposal"       // one proposal's events
)

// ActivityLine is one event told in plain English.
type ActivityLine struct {
	Position  uint64
	Stream    string
	Revision  uint64
	EventType string
	Actor     string    // metadata actor, e.g. "user:alice"; "" when none was recorded
	At        time.Time // recorded-at
	Text      string    // e.g. "Invoice INV-000042 voided: duplicate (by user:alice)"
	// What is Text without who did it, for pages that name the actor
	// themselves.
	What string
	// InvoiceID and Invoice (its number, "" while unknown) name the invoice
	// the line is about, for a link.
	InvoiceID uuid.UUID
	Invoice   string
}
