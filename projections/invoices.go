package projections

// STUB: replaced by the real projection (see doc.go, "Read models in a database").

import (
	"context"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/invoice"
	"remit/projections/rmdb"
)

const invoicesVersion = 1

// Invoices is the "invoices" projection.
type Invoices struct {
	db  *rmdb.DB
	gen int64
}

func newInvoices(db *rmdb.DB, gen int64) *Invoices { return &Invoices{db: db, gen: gen} }

// Name implements Projection.
func (p *Invoices) Name() string { return "invoices" }

// Tables implements Projection.
func (p *Invoices) Tables() []rmdb.Table { return nil }

// Apply implements Projection.
func (p *Invoices) Apply(tx *rmdb.Tx, e Event) {}

// Flush implements Projection.
func (p *Invoices) Flush(tx *rmdb.Tx) {}

// Discard implements Projection.
func (p *Invoices) Discard() {}

// owed is what a client owes: per currency, outstanding and overdue sums,
// and how many invoices are open and overdue.
type owed struct {
	outstanding, overdue moneyByCurrency
	open, late           int
}

// invoiceRecord is an invoice as the invoices table keeps it.
type invoiceRecord struct {
	State       invoice.State    `json:"state"`
	Revision    uint64           `json:"revision"`
	Payments    []PaymentView    `json:"payments,omitempty"`
	Attempts    []AttemptView    `json:"attempts,omitempty"`
	CreditNotes []CreditNoteView `json:"credit_notes,omitempty"`
	WriteOffs   []WriteOffView   `json:"write_offs,omitempty"`
	Outstanding decimal.Decimal  `json:"outstanding"`
	Voided      decimal.Decimal  `json:"voided"`
}

// owedBy sums what a client owes and what of it is overdue on today.
func (p *Invoices) owedBy(ctx context.Context, clientID uuid.UUID, today domain.Date) (owed, error) {
	panic("stub")
}

// list returns the page of issued invoices q selects, newest issue date
// first (then number, then id, descending), and how many match in all.
func (p *Invoices) list(ctx context.Context, q InvoiceQuery) ([]InvoiceListItem, int, error) {
	panic("stub")
}

// detail renders an invoice's page without its audit trail, client name,
// ledger and emails.
func (p *Invoices) detail(ctx context.Context, id uuid.UUID, today domain.Date) (InvoiceDetail, error) {
	panic("stub")
}

// each calls f with every invoice record, in key order, for reconciliation.
func (p *Invoices) each(ctx context.Context, f func(invoiceRecord) error) error { panic("stub") }
