package projections

import (
	"slices"

	"github.com/google/uuid"

	"remit/domain/invoice"
	"remit/projections/rmdb"
)

// invoicesDueTable is the invoices projection's table of each client's
// earliest open due date: one row (client_id, first_due) per client with
// an open invoice, first_due the earliest due date ('YYYY-MM-DD') of its
// open rows. A client has an overdue invoice on a day exactly when its row's
// first_due is before that day, so the clients list filtered to has_overdue
// is a range of the first_due index joined to the clients, not a probe of
// the invoices per client. The writer recomputes the row of every client
// whose invoices opened, closed or changed due date in a batch, at Flush,
// from the invoices index (client_id, open, due_date): one probe each.
const invoicesDueTable = "invoices_due"

// invoicesDueSpec is the table's definition.
func invoicesDueSpec() rmdb.Table {
	return rmdb.Table{
		Name:    invoicesDueTable,
		Columns: []string{"client_id TEXT PRIMARY KEY", "first_due TEXT NOT NULL"},
		Indexes: []string{"first_due"},
	}
}

// noteDue records that an invoice's client needs its row recomputed when
// the invoice's openness or due date changed.
func (p *Invoices) noteDue(before invoice.State, after *invoiceRecord) {
	wasOpen := openStatus(before.Status) && before.Balance().Amount.IsPositive()
	if wasOpen == after.open() && (!wasOpen || before.DueDate == after.State.DueDate) {
		return
	}
	if p.dueTouched == nil {
		p.dueTouched = map[uuid.UUID]struct{}{}
	}
	p.dueTouched[after.State.ClientID] = struct{}{}
	if before.ClientID != after.State.ClientID && before.ClientID != uuid.Nil {
		p.dueTouched[before.ClientID] = struct{}{}
	}
}

// flushDue recomputes the rows of the clients noted, after the invoices'
// rows are written, in key order (the same statements whatever the map's
// order).
func (p *Invoices) flushDue(tx *rmdb.Tx) {
	if len(p.dueTouched) == 0 {
		return
	}
	ids := make([]string, 0, len(p.dueTouched))
	for id := range p.dueTouched {
		ids = append(ids, id.String())
	}
	clear(p.dueTouched)
	slices.Sort(ids)
	table := rmdb.Stored(invoicesDueTable, p.gen)
	del := "DELETE FROM " + table + " WHERE client_id = ?"
	ins := "INSERT INTO " + table + " (client_id, first_due) SELECT client_id, MIN(due_date) FROM " +
		rmdb.Stored("invoices", p.gen) + " WHERE client_id = ? AND open = 1 GROUP BY client_id"
	for _, id := range ids {
		tx.Exec(del, id)
		tx.Exec(ins, id)
	}
}
