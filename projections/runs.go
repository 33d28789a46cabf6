package projections

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/service"
	"remit/projections/rmdb"
)

// What the billing run and collection (processes/billingrun) read: the
// aggregates folded by the projections with the aggregates' own Evolve,
// found through indexed columns so that a run reads the services, clients
// and invoices it acts on, never all of them.

// FoldedService is a service as the services table keeps it: its state and
// the revision of its stream that state is folded to.
type FoldedService struct {
	State    service.State
	Revision uint64
}

// ServicesDue returns the services with an item due for a billing run on or
// before through (service.State.NextDue), in no particular order, by the
// index on next_due (an ORDER BY could make SQLite walk the table in that
// order instead).
func (m *Models) ServicesDue(ctx context.Context, through domain.Date) ([]FoldedService, error) {
	docs, err := m.Services.find(ctx, "WHERE next_due <= ?", through.String())
	if err != nil {
		return nil, fmt.Errorf("read models: services due: %w", err)
	}
	out := make([]FoldedService, 0, len(docs))
	for _, d := range docs {
		if d.State.Activated() {
			out = append(out, FoldedService{State: d.State, Revision: d.Revision})
		}
	}
	return out, nil
}

// ServicesByID returns the activated services among ids.
func (m *Models) ServicesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]FoldedService, error) {
	out := map[uuid.UUID]FoldedService{}
	err := byKeysWith(ctx, m.Services.find, ids, func(d serviceDoc) {
		if d.State.Activated() {
			out[d.State.ID] = FoldedService{State: d.State, Revision: d.Revision}
		}
	})
	return out, err
}

// ClientServiceIDs returns the ids of a client's services, in the order
// they were activated, and the log position the read models are complete up
// to (read first: the rows are then at least that far on). It implements
// billing.ServiceDirectory; 0 (nothing applied) lists nothing certain.
func (m *Models) ClientServiceIDs(ctx context.Context, clientID uuid.UUID) ([]uuid.UUID, uint64, error) {
	upTo := m.Position()
	ids, err := m.ids(ctx, `SELECT key FROM `+m.Services.docs.View()+` WHERE client_id = ? ORDER BY seq`, clientID.String())
	if err != nil {
		return nil, 0, fmt.Errorf("read models: services of client %s: %w", clientID, err)
	}
	return ids, upTo, nil
}

// ids runs a query of one column of ids (as text) and parses them.
func (m *Models) ids(ctx context.Context, query string, args ...any) ([]uuid.UUID, error) {
	rows, err := m.db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			return nil, err
		}
		id, err := uuid.Parse(key)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ClientsWithServicesDue returns, folded, the clients with a service whose
// next billing falls on or before through (as ServicesDue selects them, so a
// billing run reads its clients beside its services rather than after).
func (m *Models) ClientsWithServicesDue(ctx context.Context, through domain.Date) (map[uuid.UUID]client.State, error) {
	ids, err := m.ids(ctx, `SELECT DISTINCT client_id FROM `+m.Services.docs.View()+` WHERE next_due <= ? AND client_id IS NOT NULL`, through.String())
	if err != nil {
		return nil, fmt.Errorf("read models: clients with services due: %w", err)
	}
	return m.ClientsByID(ctx, ids)
}

// ClientsByID returns the clients among ids, folded.
func (m *Models) ClientsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]client.State, error) {
	out := map[uuid.UUID]client.State{}
	err := byKeys(ctx, m.db, m.Clients.clients, ids, func(r clientRecord) {
		if r.State.ID != uuid.Nil {
			out[r.State.ID] = r.State
		}
	})
	return out, err
}

// ClientState returns one client, folded (ENOTFOUND when there is none):
// what a document's "Bill to" and how to pay are drawn from.
func (m *Models) ClientState(ctx context.Context, id uuid.UUID) (client.State, error) {
	cs, err := m.ClientsByID(ctx, []uuid.UUID{id})
	if err != nil {
		return client.State{}, err
	}
	c, ok := cs[id]
	if !ok {
		return client.State{}, domain.NotFound("There is no client %s.", id)
	}
	return c, nil
}

// InvoicesByID returns the invoices among ids that exist: issued ones as
// folded, and ones begun and abandoned (never to be issued) as
// invoice.Evolve makes them of their InvoiceAbandoned.
func (m *Models) InvoicesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]invoice.State, error) {
	out := map[uuid.UUID]invoice.State{}
	err := byKeys(ctx, m.db, m.Invoices.docs, ids, func(r invoiceRecord) {
		if r.State.Issued() {
			out[r.State.ID] = r.State
		}
	})
	if err != nil {
		return nil, err
	}
	var rest []uuid.UUID
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			rest = append(rest, id)
		}
	}
	err = byKeys(ctx, m.db, m.Unissued.docs, rest, func(u UnissuedInvoice) {
		if u.Abandoned != nil {
			out[u.InvoiceID] = invoice.Evolve(invoice.State{}, *u.Abandoned)
		}
	})
	return out, err
}

// CollectionsDue returns the invoices whose payment is scheduled for
// collection on or before asOf (with a method and a balance), by number.
func (m *Models) CollectionsDue(ctx context.Context, asOf domain.Date) ([]invoice.State, error) {
	recs, err := m.Invoices.docs.Find(ctx, m.db, "WHERE collect_on <= ? ORDER BY number, key", asOf.String())
	return states(recs), err
}

// RejectedInvoice is an invoice whose last collection attempt was
// rejected, with the rejections since its collection was last scheduled.
type RejectedInvoice struct {
	State      invoice.State
	Rejections []Rejection
}

// RejectedInvoicesPage returns up to limit of the invoices the retry policy
// may have a retry for (payment rejected, a balance left, collection not
// cancelled by staff) after the one whose key (id) is after ("" for the
// first page), in key order, and the key the next page starts after; a
// page shorter than limit is the last. Collection reads them a page at a
// time, so its memory does not grow with the rejected invoices; one that
// stops being rejected while the pages are read is simply not met again.
func (m *Models) RejectedInvoicesPage(ctx context.Context, after string, limit int) ([]RejectedInvoice, string, error) {
	recs, err := m.Invoices.docs.Find(ctx, m.db, rejectedInvoicesPage, after, limit)
	if err != nil {
		return nil, after, err
	}
	out := make([]RejectedInvoice, len(recs))
	for i, r := range recs {
		out[i] = RejectedInvoice{State: r.State, Rejections: r.Rejections}
	}
	return out, lastKey(recs, after), nil
}

// rejectedInvoicesPage and runInvoicesToCollectPage are the pages'
// queries (arguments: the key after, the limit): each starts at its cursor
// in its index (retry_pending, key; run_uncollected, key), so a page reads
// only its own rows.
const (
	rejectedInvoicesPage     = "WHERE retry_pending = 1 AND key > ? ORDER BY key LIMIT ?"
	runInvoicesToCollectPage = "WHERE run_uncollected = 1 AND key > ? ORDER BY key LIMIT ?"
)

// PageSize is how many invoices collection and the billing run read a page
// at a time (RejectedInvoicesPage, RunInvoicesToCollectPage).
const PageSize = 500

func lastKey(recs []invoiceRecord, after string) string {
	if n := len(recs); n > 0 {
		return recs[n-1].State.ID.String()
	}
	return after
}

// allPages reads every page of read, PageSize at a time, handing each to f.
func allPages[V any](ctx context.Context, read func(ctx context.Context, after string, limit int) ([]V, string, error), f func([]V)) error {
	after := ""
	for {
		page, next, err := read(ctx, after, PageSize)
		if err != nil {
			return err
		}
		f(page)
		if len(page) < PageSize {
			return nil
		}
		after = next
	}
}

// EachPage is allPages for a reader outside the package: it reads every
// page of read, PageSize at a time, handing each to f, which may stop the
// reading with an error.
func EachPage[V any](ctx context.Context, read func(ctx context.Context, after string, limit int) ([]V, string, error), f func([]V) error) error {
	var ferr error
	err := allPages(ctx, read, func(page []V) {
		if ferr == nil {
			ferr = f(page)
		}
	})
	return cmp.Or(ferr, err)
}

// OpenCursor is where a page of OpenInvoicesPage ended: the last invoice's
// issue date, number and id. The zero cursor starts at the first.
type OpenCursor struct {
	IssueDate, Number, Key string
}

// OpenInvoicesPage returns up to limit of the invoices that still expect
// money (an unpaid status and a balance), each with its rejections since its
// collection was last scheduled: what the daily dunning job
// (processes/dunning) chases, a page at a time so that its memory does not
// grow with the firm's open invoices. They come after the cursor after, by
// issue date, number and id (the order of the index on open, so a page reads
// only its own rows); the cursor returned is where the next page starts, and
// a page shorter than limit is the last. An invoice that stops being open
// while the pages are read is simply not met again. A paid, written-off or
// void invoice is not among them.
func (m *Models) OpenInvoicesPage(ctx context.Context, after OpenCursor, limit int) ([]RejectedInvoice, OpenCursor, error) {
	return m.Invoices.openPage(ctx, after, limit)
}

// openInvoicesPage is OpenInvoicesPage's query (its arguments: the cursor's
// issue date, number and key, then the limit). The row value lets both
// SQLite and PostgreSQL start the page at the cursor in the index on
// (open, issue_date, number, key), so a page reads only its own rows.
const openInvoicesPage = "WHERE open = 1 AND (issue_date, number, key) > (?, ?, ?) ORDER BY issue_date, number, key LIMIT ?"

func (p *Invoices) openPage(ctx context.Context, after OpenCursor, limit int) ([]RejectedInvoice, OpenCursor, error) {
	recs, err := p.docs.Find(ctx, p.db, openInvoicesPage, after.IssueDate, after.Number, after.Key, limit)
	if err != nil {
		return nil, after, err
	}
	out := make([]RejectedInvoice, len(recs))
	for i, r := range recs {
		out[i] = RejectedInvoice{State: r.State, Rejections: r.Rejections}
	}
	if n := len(recs); n > 0 {
		last := recs[n-1].State
		after = OpenCursor{IssueDate: last.IssueDate.String(), Number: last.Number, Key: last.ID.String()}
	}
	return out, after, nil
}

// RunInvoicesToCollectPage returns up to limit of the invoices billing runs
// issued whose collection is still to schedule (NeedsCollection), by the
// index on run_uncollected, after key after ("" for the first page), in key
// order, and the key the next page starts after, as RejectedInvoicesPage.
func (m *Models) RunInvoicesToCollectPage(ctx context.Context, after string, limit int) ([]invoice.State, string, error) {
	recs, err := m.Invoices.docs.Find(ctx, m.db, runInvoicesToCollectPage, after, limit)
	if err != nil {
		return nil, after, err
	}
	return states(recs), lastKey(recs, after), nil
}

func states(recs []invoiceRecord) []invoice.State {
	out := make([]invoice.State, len(recs))
	for i, r := range recs {
		out[i] = r.State
	}
	return out
}

// keysPerQuery is how many keys one IN (…) list holds.
const keysPerQuery = 500

// byKeys reads the documents of ids, keysPerQuery at a time, and hands
// each to f.
func byKeys[V any](ctx context.Context, db *rmdb.DB, docs *rmdb.Docs[V], ids []uuid.UUID, f func(V)) error {
	return byKeysWith(ctx, func(ctx context.Context, rest string, args ...any) ([]V, error) {
		return docs.Find(ctx, db, rest, args...)
	}, ids, f)
}

// byKeysWith is byKeys reading with find (rest: the WHERE clause).
func byKeysWith[V any](ctx context.Context, find func(ctx context.Context, rest string, args ...any) ([]V, error), ids []uuid.UUID, f func(V)) error {
	for len(ids) > 0 {
		n := min(len(ids), keysPerQuery)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id.String()
		}
		found, err := find(ctx, "WHERE key IN (?"+strings.Repeat(", ?", n-1)+")", args...)
		if err != nil {
			return err
		}
		for _, v := range found {
			f(v)
		}
		ids = ids[n:]
	}
	return nil
}
