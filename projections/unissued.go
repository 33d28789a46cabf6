package projections

import (
	"context"

	"github.com/google/uuid"

	"remit/domain/invoice"
	"remit/domain/numbering"
	"remit/domain/service"
	"remit/projections/rmdb"
)

const unissuedVersion = 2 // 2: rows left by an item marked after its issue are dropped (rebuilt once to delete them)

// Unissued is the "unissued" projection: the invoices begun and not (yet)
// issued, which the billing run completes or whose numbers it voids
// (processes/billingrun). An invoice has a row while items are marked
// billed on it (ScheduleItemBilled, not released since) or a number is
// reserved for it (and not voided); the row goes when the invoice is
// issued, or when its last item is released and its number voided. So the
// table holds the invoices in flight and those a crash left, a few rows
// whatever the length of the log, and a run reads it whole. An item marked
// billed on an invoice after its issue (a retried request that found the
// invoice issued) makes no row: at Flush, a row begun in the batch whose
// invoice the invoices table shows issued is dropped (see dropIssued).
//
// Table "unissued" is a Docs keyed by invoice id holding an
// UnissuedInvoice.
type Unissued struct {
	db   *rmdb.DB
	docs *rmdb.Docs[UnissuedInvoice]
	// begun are the rows created in the batch being applied.
	begun map[string]bool
}

// UnissuedInvoice is an invoice begun and not issued.
type UnissuedInvoice struct {
	InvoiceID uuid.UUID `json:"invoice_id"`
	// Items are the items marked billed on it and not released, each with
	// the payment method it was marked with.
	Items map[string]uuid.UUID `json:"items,omitempty"`
	// CommandID is the command id of the last mark: a billing run's names
	// the run's issue date (see processes/billingrun).
	CommandID string `json:"command_id,omitempty"`
	// Reserved is the number reserved for it (nil: none, or voided), and
	// ReservedBy the command id of the reservation.
	Reserved   *numbering.InvoiceNumberReserved `json:"reserved,omitempty"`
	ReservedBy string                           `json:"reserved_by,omitempty"`
	// Abandoned is set once the invoice was abandoned (it never will be
	// issued: its number is to be voided, its items released).
	Abandoned *invoice.InvoiceAbandoned `json:"abandoned,omitempty"`
}

func newUnissued(db *rmdb.DB, gen int64) *Unissued {
	return &Unissued{db: db, docs: rmdb.NewDocs(rmdb.DocsSpec[UnissuedInvoice]{Name: "unissued", CacheSize: 1024}, gen), begun: map[string]bool{}}
}

// Name implements Projection.
func (p *Unissued) Name() string { return "unissued" }

// Tables implements Projection.
func (p *Unissued) Tables() []rmdb.Table { return []rmdb.Table{p.docs.Table()} }

// Apply implements Projection.
func (p *Unissued) Apply(tx *rmdb.Tx, e Event) {
	switch ev := e.Data.(type) {
	case service.ScheduleItemBilled:
		u := p.get(tx, ev.InvoiceID, true)
		if u == nil {
			return
		}
		if u.Items == nil {
			u.Items = map[string]uuid.UUID{}
		}
		u.Items[ev.ItemKey], u.CommandID = ev.PaymentMethodID, e.Metadata.CommandID
		p.put(u)
	case service.ScheduleItemReleased:
		if u := p.get(tx, ev.InvoiceID, false); u != nil {
			delete(u.Items, ev.ItemKey)
			p.put(u)
		}
	case invoice.InvoiceIssued:
		p.docs.Delete(ev.InvoiceID.String())
	case invoice.InvoiceAbandoned:
		if u := p.get(tx, ev.InvoiceID, false); u != nil {
			a := ev
			u.Abandoned = &a
			p.put(u)
		}
	case numbering.InvoiceNumberVoided:
		if u := p.get(tx, ev.InvoiceID, false); u != nil {
			u.Reserved, u.ReservedBy = nil, ""
			p.put(u)
		}
	default:
		for _, rsv := range numbering.ReservationsOf(e.Data) {
			if u := p.get(tx, rsv.InvoiceID, true); u != nil {
				r := rsv
				u.Reserved, u.ReservedBy = &r, e.Metadata.CommandID
				p.put(u)
			}
		}
	}
}

// get returns the invoice's row (a new one when create is set and it has
// none; nil on a read error).
func (p *Unissued) get(tx *rmdb.Tx, id uuid.UUID, create bool) *UnissuedInvoice {
	u := p.docs.Get(tx, id.String())
	if u == nil && create && tx.Err() == nil {
		u = &UnissuedInvoice{InvoiceID: id}
		p.begun[id.String()] = true
	}
	return u
}

// put writes the row back, or deletes it once nothing is left to complete
// or void.
func (p *Unissued) put(u *UnissuedInvoice) {
	if len(u.Items) == 0 && u.Reserved == nil {
		p.docs.Delete(u.InvoiceID.String())
		return
	}
	p.docs.Put(u.InvoiceID.String(), u)
}

// Flush implements Projection.
func (p *Unissued) Flush(tx *rmdb.Tx) {
	p.dropIssued(tx)
	p.docs.Flush(tx)
}

// dropIssued deletes the rows begun in this batch whose invoice is issued:
// an item marked billed after the issue. The invoices table read is the
// newest generation's, which the Runner flushes before this one in the same
// transaction when both apply the batch; when it is ahead (this projection
// alone is rebuilt) an invoice issued later than the mark loses its row
// early, which only a reader of the unfinished generation could see; when
// it is behind (the invoices projection alone is rebuilt), the row is
// kept, and billing runs pass over it as before.
func (p *Unissued) dropIssued(tx *rmdb.Tx) {
	if len(p.begun) == 0 {
		return
	}
	defer clear(p.begun)
	var gen int64
	if !tx.QueryRow(`SELECT generation FROM rm_projections WHERE name = ? ORDER BY generation DESC LIMIT 1`, []any{"invoices"}, &gen) {
		return
	}
	q := `SELECT issued FROM ` + rmdb.Stored("invoices", gen) + ` WHERE key = ?`
	for key := range p.begun {
		if p.docs.Get(tx, key) == nil {
			continue // issued, abandoned or released in the batch already
		}
		var issued int64
		if tx.QueryRow(q, []any{key}, &issued) && issued == 1 {
			p.docs.Delete(key)
		}
	}
}

// Discard implements Projection.
func (p *Unissued) Discard() {
	clear(p.begun)
	p.docs.Discard()
}

// UnissuedInvoices returns every invoice begun and not issued, by id.
func (m *Models) UnissuedInvoices(ctx context.Context) ([]UnissuedInvoice, error) {
	return m.Unissued.docs.Find(ctx, m.db, "ORDER BY key")
}
