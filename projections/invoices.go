package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/invoice"
	"remit/projections/rmdb"
)

// invoicesVersion is the version of what the "invoices" table holds: 2
// adds what collection reads (issued_by_run, rejections, and the columns
// collect_on, retry_pending and run_uncollected), the invoices_due table,
// a client's list index in full list order, and what a client owes from an
// index; 3 adds refunds and disputes (and the invoice state's charges); 4
// adds surcharge lines (InvoiceSurchargeAdded, and the state's
// SurchargeLines); 5 adds the index a status-filtered list is read in
// order from (status, issue_date, number, key, open, due_date); 6 adds
// the dunning events (the state's reminders sent, pause and exhaustion); 7
// adds the columns the collections page reads (upcoming_on, failed_since);
// 8 adds when reminders were last resumed (the state's RemindersResumedAt);
// 9 leaves the invoice state's zero fields out of the document (its JSON
// tags: about 2,560 bytes of JSON per invoice become 1,940, and the read
// models of a rebuild 11% fewer bytes per event), so a generation of 8,
// which reconciliation would find holding them, is rebuilt; 10 carries how
// a gateway payment was made (PaymentView.Through, AttemptView.Through)
// and indexes retry_pending and run_uncollected with the key, which
// collection's pages are read in (RejectedInvoicesPage,
// RunInvoicesToCollectPage); 11 carries the method a pay-now payment was
// made with when the client did not keep it (PaymentView.PaidWith).
const invoicesVersion = 11

// Invoices is the "invoices" projection: every invoice folded with
// invoice.Evolve, plus the lists its detail page shows and an outstanding
// amount kept on its own (reduced by each payment, credit note, write-off and
// void) so that Reconcile can check it against the money that came in.
//
// Its table "invoices" is a Docs keyed by invoice id (the document is an
// invoiceRecord, which the detail page and Reconcile read) with columns:
//
//   - client_id, issued (1 once the invoice was issued), issue_date, number,
//     due_date (dates as 'YYYY-MM-DD', empty when none), status (the stored
//     status, never "overdue");
//   - open: 1 while the invoice still expects money (an unpaid status and a
//     positive balance), with its currency code and outstanding amount (a
//     decimal string). What a client owes is the sum of its open rows, and
//     what of it is overdue is the part due before the day asked about: the
//     index (client_id, open, due_date, currency, outstanding) finds and
//     sums them without visiting the client's other invoices or reading a
//     row (see owedBy);
//   - total, balance and recurring: with the above, all a list row shows, so
//     a page of a list is read from the columns, never from documents;
//   - what collection (processes/billingrun) looks for, so that it reads
//     only the invoices it acts on, by index: collect_on, the collection
//     date of an invoice whose payment is scheduled (with a method and a
//     balance; NULL otherwise); retry_pending, 1 for a rejected invoice
//     with a balance whose collection staff did not cancel (the retry
//     policy's candidates); run_uncollected, 1 for an invoice a billing
//     run issued (its command id starts with "billing-run/") that awaits
//     payment with a method and a balance and has no collection scheduled
//     or cancelled;
//   - what the collections page (Collections) reads, by index:
//     upcoming_on, the date of a scheduled first collection (collect_on
//     when the collection is not a retry; NULL otherwise), and
//     failed_since, for an open invoice whose collection failed and was
//     not rescheduled since (payment rejected, or a retry pending), the
//     firm's date of the first rejection since collection was last
//     scheduled (NULL otherwise).
//
// "Overdue" is not stored, since it depends on the day: an invoice is
// overdue on a day exactly when its row is open and due before that day
// (State.StatusOn), which is how a list filtered by status asks for it (see
// invoiceStatusFilter). Lists are sorted newest issue date first (then
// number, then id, descending): the firm's list walks the index (issued,
// issue_date, number, key) and a client's (client_id, issue_date, number,
// key), so only the page asked for is read; a status filter that keeps few
// rows finds them by (status, open, due_date) or (open, due_date) instead.
//
// The table "invoices_due" holds each client's earliest open due date (see
// invoicesDueTable): the clients list's has_overdue filter.
//
// The table "invoices_meta" holds one document (key "firm"): the firm's
// time zone as of the events applied so far, which dates a gateway payment
// recorded before its event carried a date, and survives restarts there
// (the writer caches the loaded location); and how many invoices are in
// each stored status, which gives the firm's list its total without
// counting rows (see firmTotal).
type Invoices struct {
	db   *rmdb.DB
	gen  int64
	docs *rmdb.Docs[invoiceRecord]
	meta *rmdb.Docs[invoicesMeta]

	// zoneName and loc cache the firm's time zone loaded (loc nil: not
	// loaded); the meta document is the truth, read through its own cache.
	zoneName string
	loc      *time.Location

	// fewRows is invoicesFewRows (tests lower it to try both plans).
	fewRows int

	// dueTouched are the clients whose invoices_due row Flush recomputes.
	dueTouched map[uuid.UUID]struct{}

	// touchedClients are the clients whose invoices Apply changed (for
	// the query cache).
	touchedClients
}

// invoicesMeta is what the projection keeps about the firm as a whole.
type invoicesMeta struct {
	// TimeZone is the firm's time zone as of the last event applied.
	TimeZone string `json:"time_zone,omitempty"`
	// Statuses counts the invoices in each stored status, so that the
	// firm's list need not count them row by row (see firmTotal).
	Statuses map[invoice.Status]int64 `json:"statuses,omitempty"`
}

// invoicesMetaKey is the key of the one invoices_meta document.
const invoicesMetaKey = "firm"

// newInvoices returns the projection writing generation gen of its tables
// (gen 0: the query side, which reads the views).
func newInvoices(db *rmdb.DB, gen int64) *Invoices {
	return &Invoices{
		db:      db,
		gen:     gen,
		fewRows: invoicesFewRows,
		docs: rmdb.NewDocs(rmdb.DocsSpec[invoiceRecord]{
			Name: "invoices",
			Columns: []rmdb.Column[invoiceRecord]{
				{Name: "client_id", Type: "TEXT NOT NULL", Value: func(_ string, r *invoiceRecord) any { return r.State.ClientID.String() }},
				{Name: "issued", Type: "BIGINT NOT NULL", Value: func(_ string, r *invoiceRecord) any { return invoiceFlag(r.State.Issued()) }},
				{Name: "issue_date", Type: "TEXT NOT NULL", Value: func(_ string, r *invoiceRecord) any { return r.State.IssueDate.String() }},
				{Name: "number", Type: "TEXT NOT NULL", Value: func(_ string, r *invoiceRecord) any { return r.State.Number }},
				{Name: "due_date", Type: "TEXT NOT NULL", Value: func(_ string, r *invoiceRecord) any { return r.State.DueDate.String() }},
				{Name: "status", Type: "TEXT NOT NULL", Value: func(_ string, r *invoiceRecord) any { return string(r.State.Status) }},
				{Name: "open", Type: "BIGINT NOT NULL", Value: func(_ string, r *invoiceRecord) any { return invoiceFlag(r.open()) }},
				{Name: "currency", Type: "TEXT NOT NULL", Value: func(_ string, r *invoiceRecord) any { return r.State.Currency.Code }},
				{Name: "outstanding", Type: "TEXT NOT NULL", Value: func(_ string, r *invoiceRecord) any { return r.Outstanding.String() }},
				// What a list row shows besides the above, so a page reads no document.
				{Name: "total", Type: "TEXT NOT NULL", Value: func(_ string, r *invoiceRecord) any { return r.State.Totals.Gross.Amount.String() }},
				{Name: "balance", Type: "TEXT NOT NULL", Value: func(_ string, r *invoiceRecord) any { return r.State.Balance().Amount.String() }},
				{Name: "recurring", Type: "BIGINT NOT NULL", Value: func(_ string, r *invoiceRecord) any { return invoiceFlag(r.State.Recurring) }},
				// What collection looks for.
				{Name: "collect_on", Type: "TEXT", Value: func(_ string, r *invoiceRecord) any {
					if d, ok := r.collectOn(); ok {
						return d.String()
					}
					return nil
				}},
				{Name: "retry_pending", Type: "BIGINT NOT NULL", Value: func(_ string, r *invoiceRecord) any { return invoiceFlag(r.retryPending()) }},
				{Name: "run_uncollected", Type: "BIGINT NOT NULL", Value: func(_ string, r *invoiceRecord) any { return invoiceFlag(r.runUncollected()) }},
				// What the collections page looks for.
				{Name: "upcoming_on", Type: "TEXT", Value: func(_ string, r *invoiceRecord) any {
					if d, ok := r.collectOn(); ok && !r.State.Collection.Retry {
						return d.String()
					}
					return nil
				}},
				{Name: "failed_since", Type: "TEXT", Value: func(_ string, r *invoiceRecord) any {
					if r.failed() {
						return r.FailedSince.String()
					}
					return nil
				}},
			},
			// With what a client owes, so that sum reads the index only; also
			// what flushDue recomputes a client's earliest due date from, so
			// a fill has it from the start.
			ApplyIndexes:   []string{"client_id, open, due_date, currency, outstanding"},
			FillCacheBytes: fillCacheBytes,
			Indexes: []string{
				"issued, issue_date, number, key",
				"client_id, issue_date, number, key",
				"open, due_date",
				"status, open, due_date",
				// A list of one status, in list order, with what tells an
				// unpaid status from overdue: no sort, however many match.
				"status, issue_date, number, key, open, due_date",
				"open, issue_date, number, key, due_date",
				"collect_on",
				"retry_pending, key",
				"run_uncollected, key",
				"upcoming_on, key",
				"failed_since, key",
			},
		}, gen),
		meta: rmdb.NewDocs(rmdb.DocsSpec[invoicesMeta]{Name: "invoices_meta", CacheSize: 1}, gen),
	}
}

// invoiceFlag is a boolean as a BIGINT column holds it.
func invoiceFlag(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Name implements Projection.
func (p *Invoices) Name() string { return "invoices" }

// Tables implements Projection.
func (p *Invoices) Tables() []rmdb.Table {
	return []rmdb.Table{p.docs.Table(), p.meta.Table(), invoicesDueSpec()}
}

// Apply implements Projection.
func (p *Invoices) Apply(tx *rmdb.Tx, e Event) {
	if loc, ok := firmZone(e.Data); ok {
		m := p.firm(tx)
		m.TimeZone = loc.String()
		p.meta.Put(invoicesMetaKey, m)
		return
	}
	switch e.Data.(type) {
	case invoice.InvoiceIssued, invoice.InvoiceSent, invoice.InvoiceCollectionScheduled,
		invoice.InvoicePaymentSucceeded, invoice.InvoicePaymentRejected, invoice.InvoiceRetryScheduled,
		invoice.InvoicePaymentRecorded, invoice.InvoiceWrittenOff, invoice.InvoiceVoided,
		invoice.InvoiceCreditNoteIssued, invoice.InvoiceCollectionCancelled,
		invoice.InvoicePaymentRefunded, invoice.InvoicePaymentDisputed, invoice.InvoiceDisputeClosed,
		invoice.InvoiceSurchargeAdded, invoice.InvoiceReminderSent, invoice.InvoiceDunningExhausted,
		invoice.InvoiceRemindersPaused, invoice.InvoiceRemindersResumed:
	default:
		return
	}
	id, ok := streamID(e.Stream, "invoice-")
	if !ok {
		return
	}
	key := id.String()
	r := p.docs.Get(tx, key)
	if tx.Err() != nil {
		return
	}
	if r == nil {
		r = &invoiceRecord{}
	}
	before := r.State
	r.State = invoice.Evolve(r.State, e.Data)
	r.Revision = e.Revision
	cur := r.State.Currency
	switch ev := e.Data.(type) {
	case invoice.InvoiceIssued:
		r.Outstanding = ev.Totals.Gross.Amount
		r.IssuedByRun = strings.HasPrefix(e.Metadata.CommandID, billingRunCommandPrefix)
	case invoice.InvoiceCollectionScheduled:
		r.Rejections = nil // the retry policy starts again
		r.FailedSince = domain.Date{}
	case invoice.InvoicePaymentSucceeded:
		if _, seen := before.Attempts[ev.AttemptID]; seen {
			break
		}
		r.Attempts = append(r.Attempts, AttemptView{ID: ev.AttemptID, PaymentMethodID: ev.PaymentMethodID, Through: ev.Through, PaidWith: ev.PaidWith,
			Outcome: invoice.AttemptSucceeded, Amount: money(ev.Amount.Amount, cur), GatewayReference: ev.GatewayReference, At: ev.At})
		r.Payments = append(r.Payments, PaymentView{ID: ev.AttemptID, Gateway: true, Method: "gateway", MethodID: ev.PaymentMethodID, Through: ev.Through, PaidWith: ev.PaidWith,
			Reference: ev.GatewayReference, Amount: money(ev.Amount.Amount, cur), Date: ev.PaymentDate(p.zone(tx)), At: ev.At})
		r.Outstanding = r.Outstanding.Sub(ev.Amount.Amount)
	case invoice.InvoicePaymentRejected:
		r.Rejections = append(r.Rejections, Rejection{Event: ev, CorrelationID: e.Metadata.CorrelationID})
		if len(r.Rejections) == 1 {
			r.FailedSince = ev.AttemptDate(p.zone(tx))
		}
		if _, seen := before.Attempts[ev.AttemptID]; seen {
			break
		}
		r.Attempts = append(r.Attempts, AttemptView{ID: ev.AttemptID, PaymentMethodID: ev.PaymentMethodID,
			Outcome: invoice.AttemptRejected, DeclineCode: ev.DeclineCode, DeclineMessage: ev.DeclineMessage, At: ev.At})
	case invoice.InvoicePaymentRecorded:
		if before.Payments[ev.PaymentID] {
			break
		}
		r.Payments = append(r.Payments, PaymentView{ID: ev.PaymentID, Method: string(ev.Method), Reference: ev.Reference,
			Amount: money(ev.Amount.Amount, cur), Date: ev.Date, At: ev.At})
		r.Outstanding = r.Outstanding.Sub(ev.Amount.Amount)
	case invoice.InvoiceCreditNoteIssued:
		if before.CreditNotes[ev.CreditNoteID] {
			break
		}
		r.CreditNotes = append(r.CreditNotes, CreditNoteView{ID: ev.CreditNoteID, Amount: money(ev.Amount.Amount, cur), Reason: ev.Reason, At: ev.At})
		r.Outstanding = r.Outstanding.Sub(ev.Amount.Amount)
	case invoice.InvoiceWrittenOff:
		r.WriteOffs = append(r.WriteOffs, WriteOffView{Amount: money(ev.Amount.Amount, cur), Reason: ev.Reason, At: ev.At})
		r.Outstanding = r.Outstanding.Sub(ev.Amount.Amount)
	case invoice.InvoiceVoided:
		r.Voided = r.Outstanding
		r.Outstanding = decimal.Zero
	case invoice.InvoiceSurchargeAdded:
		if !before.SurchargeLines[ev.Line.LineID] {
			r.Outstanding = r.Outstanding.Add(ev.Line.Amounts.Gross.Amount) // paid by the payment that follows
		}
	default:
		applyRefund(r, before, ev, cur)
	}
	p.docs.Put(key, r)
	p.noteDue(before, r)
	p.touch(before.ClientID)
	p.touch(r.State.ClientID)
	if before.Status != r.State.Status {
		m := p.firm(tx)
		if m.Statuses == nil {
			m.Statuses = map[invoice.Status]int64{}
		}
		if before.Status != invoice.StatusNone {
			m.Statuses[before.Status]--
		}
		m.Statuses[r.State.Status]++
		p.meta.Put(invoicesMetaKey, m)
	}
}

// firm returns the writer's firm-wide document (a new one before the
// first); change it and Put it.
func (p *Invoices) firm(tx *rmdb.Tx) *invoicesMeta {
	if m := p.meta.Get(tx, invoicesMetaKey); m != nil {
		return m
	}
	return &invoicesMeta{}
}

// zone is the firm's time zone as of the events applied so far.
func (p *Invoices) zone(tx *rmdb.Tx) *time.Location {
	name := ""
	if m := p.meta.Get(tx, invoicesMetaKey); m != nil {
		name = m.TimeZone
	}
	if p.loc == nil || name != p.zoneName {
		p.zoneName, p.loc = name, zone(name)
	}
	return p.loc
}

// Flush implements Projection.
func (p *Invoices) Flush(tx *rmdb.Tx) {
	p.docs.Flush(tx)
	p.meta.Flush(tx)
	p.flushDue(tx)
}

// SetFilling implements filler.
func (p *Invoices) SetFilling(on bool) { p.docs.SetFilling(on) }

// CompleteFill implements filler.
func (p *Invoices) CompleteFill(ctx context.Context, db *rmdb.DB) error {
	return p.docs.CompleteFill(ctx, db)
}

// Discard implements Projection.
func (p *Invoices) Discard() {
	p.docs.Discard()
	p.meta.Discard()
	clear(p.dueTouched)
	p.zoneName, p.loc = "", nil
}

// openStatus reports whether an invoice in status s still expects money.
func openStatus(s invoice.Status) bool {
	switch s {
	case invoice.StatusAwaitingPayment, invoice.StatusPaymentScheduled, invoice.StatusPartlyPaid, invoice.StatusPaymentRejected:
		return true
	}
	return false
}

// open reports whether the invoice counts in what its client owes: it still
// expects money (the "open" column). StatusOn calls such an invoice overdue
// once its due date has passed.
func (r *invoiceRecord) open() bool {
	return openStatus(r.State.Status) && r.State.Balance().Amount.IsPositive()
}

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
	Refunds     []RefundView     `json:"refunds,omitempty"`
	Disputes    []DisputeView    `json:"disputes,omitempty"`
	Outstanding decimal.Decimal  `json:"outstanding"`
	Voided      decimal.Decimal  `json:"voided"`
	// IssuedByRun: a billing run issued it (see billingRunCommandPrefix).
	IssuedByRun bool `json:"issued_by_run,omitempty"`
	// Rejections are the rejected collection attempts since collection was
	// last scheduled (InvoiceCollectionScheduled starts the retry policy
	// again), which the policy counts its retries from.
	Rejections []Rejection `json:"rejections,omitempty"`
	// FailedSince is the firm's date of the first of Rejections (zero when
	// there is none): since when the collections page lists the payment as
	// failed.
	FailedSince domain.Date `json:"failed_since,omitzero"`
}

// Rejection is a rejected collection attempt and the correlation id it was
// recorded under (a collection run's names the run's date).
type Rejection struct {
	Event         invoice.InvoicePaymentRejected `json:"event"`
	CorrelationID string                         `json:"correlation_id,omitempty"`
}

// billingRunCommandPrefix starts the command id of everything a billing run
// (processes/billingrun) does.
const billingRunCommandPrefix = "billing-run/"

// collectOn is the date of the invoice's scheduled collection, when one is
// scheduled with a method and the invoice has a balance to collect.
func (r *invoiceRecord) collectOn() (domain.Date, bool) {
	st := r.State
	if st.Status == invoice.StatusPaymentScheduled && !st.Collection.Date.IsZero() &&
		st.Collection.PaymentMethodID != uuid.Nil && st.Balance().Amount.IsPositive() {
		return st.Collection.Date, true
	}
	return domain.Date{}, false
}

// retryPending reports whether the retry policy may have a retry to
// schedule: the last attempt was rejected, there is a balance, and staff
// did not cancel the collection.
func (r *invoiceRecord) retryPending() bool {
	st := r.State
	return st.Status == invoice.StatusPaymentRejected && len(r.Rejections) > 0 && st.Balance().Amount.IsPositive() && !st.CollectionCancelled
}

// failed reports whether the invoice is a failed payment on the
// collections page: it is open, a collection attempt was rejected since
// collection was last scheduled, and nothing but a retry was scheduled
// since (payment rejected, or a retry pending).
func (r *invoiceRecord) failed() bool {
	st := r.State
	if len(r.Rejections) == 0 || !r.open() {
		return false
	}
	return st.Status == invoice.StatusPaymentRejected || (st.Status == invoice.StatusPaymentScheduled && st.Collection.Retry)
}

// runUncollected reports whether a billing run issued the invoice and its
// collection is still to schedule (staff cancelling one leaves it to them).
func (r *invoiceRecord) runUncollected() bool {
	return r.IssuedByRun && NeedsCollection(r.State)
}

// NeedsCollection reports whether an issued invoice waits for a collection
// no one scheduled: it awaits payment, has a method and a balance, and
// staff did not cancel its collection.
func NeedsCollection(st invoice.State) bool {
	return st.Status == invoice.StatusAwaitingPayment && st.PaymentMethodID != uuid.Nil && st.Balance().Amount.IsPositive() &&
		!st.CollectionCancelled
}

// owedBy sums what a client owes and what of it is overdue on today (due
// before today), from the client's open rows only.
func (p *Invoices) owedBy(ctx context.Context, clientID uuid.UUID, today domain.Date) (owed, error) {
	all, err := p.owedByClients(ctx, []uuid.UUID{clientID}, today)
	return all[clientID], err
}

// owedByClients is owedBy for several clients in one query (a page of the
// clients list); every client asked about has an entry.
func (p *Invoices) owedByClients(ctx context.Context, clientIDs []uuid.UUID, today domain.Date) (map[uuid.UUID]owed, error) {
	out := make(map[uuid.UUID]owed, len(clientIDs))
	if len(clientIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(clientIDs))
	for i, id := range clientIDs {
		args[i] = id.String()
		out[id] = owed{outstanding: moneyByCurrency{}, overdue: moneyByCurrency{}}
	}
	rows, err := p.db.Query(ctx, `SELECT client_id, currency, due_date, outstanding FROM `+p.docs.View()+
		` WHERE client_id IN (?`+strings.Repeat(", ?", len(args)-1)+`) AND open = 1`, args...)
	if err != nil {
		return nil, fmt.Errorf("read models: invoices owed: %w", err)
	}
	defer rows.Close()
	type sums struct {
		total, overdue decimal.Decimal
		late           int
	}
	type key struct {
		client uuid.UUID
		code   string
	}
	per := map[key]*sums{}
	t := today.String()
	for rows.Next() {
		var client, code, due, amount string
		if err := rows.Scan(&client, &code, &due, &amount); err != nil {
			return nil, fmt.Errorf("read models: invoices owed: %w", err)
		}
		id, err := uuid.Parse(client)
		if err != nil {
			return nil, fmt.Errorf("read models: invoices owed: client %q: %w", client, err)
		}
		x, err := decimal.NewFromString(amount)
		if err != nil {
			return nil, fmt.Errorf("read models: invoices owed by %s: outstanding %q: %w", id, amount, err)
		}
		k := key{id, code}
		s := per[k]
		if s == nil {
			s = &sums{}
			per[k] = s
		}
		s.total = s.total.Add(x)
		o := out[id]
		o.open++
		if due < t {
			s.overdue = s.overdue.Add(x)
			s.late++
			o.late++
		}
		out[id] = o
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read models: invoices owed: %w", err)
	}
	for k, s := range per {
		c, err := domain.ParseCurrency(k.code)
		if err != nil {
			return nil, fmt.Errorf("read models: invoices owed by %s: %w", k.client, err)
		}
		o := out[k.client]
		o.outstanding.add(money(s.total, c))
		if s.late > 0 {
			o.overdue.add(money(s.overdue, c))
		}
	}
	return out, nil
}

// listItem renders a row.
func listItem(r *invoiceRecord, today domain.Date) InvoiceListItem {
	st := r.State
	return InvoiceListItem{
		ID:        st.ID,
		ClientID:  st.ClientID,
		Number:    st.Number,
		IssueDate: st.IssueDate,
		DueDate:   st.DueDate,
		Status:    st.StatusOn(today),
		Total:     money(st.Totals.Gross.Amount, st.Currency),
		Balance:   st.Balance(),
		Recurring: st.Recurring,
	}
}

// invoicesOrder is the lists' order: newest issue date first, then number,
// then id, descending (ids as text sort as their bytes do).
const invoicesOrder = ` ORDER BY issue_date DESC, number DESC, key DESC`

// invoiceStatusFilter is the SQL condition (and its arguments) keeping invoices
// whose status on today (State.StatusOn) is one of statuses. Overdue is an
// open invoice (unpaid status, positive balance) due before today; an
// unpaid status stands as itself only while the invoice is not overdue.
//
// The prefixes ("+" or "") go before the status, open and due_date
// columns: on SQLite, "+" keeps an index from serving that column, which
// steers the plan (see planInvoiceList).
func invoiceStatusFilter(statuses []invoice.Status, today domain.Date, pl invoiceListPlan) (string, []any) {
	st, op, due := pl.statusPrefix+`status`, pl.openPrefix+`open`, pl.duePrefix+`due_date`
	t := today.String()
	var terms []string
	var args []any
	seen := map[invoice.Status]bool{}
	for _, s := range statuses {
		if seen[s] {
			continue
		}
		seen[s] = true
		switch {
		case s == invoice.StatusOverdue:
			terms = append(terms, `(`+op+` = 1 AND `+due+` < ?)`)
			args = append(args, t)
		case openStatus(s):
			// Not overdue: settled, or not yet due. One range of the index
			// (status, issue_date, number, key, open, due_date), read in
			// list order, the rest judged from the index.
			terms = append(terms, `(`+st+` = ? AND (`+op+` = 0 OR `+due+` >= ?))`)
			args = append(args, string(s), t)
		default:
			terms = append(terms, st+` = ?`)
			args = append(args, string(s))
		}
	}
	return "(" + strings.Join(terms, " OR ") + ")", args
}

// invoicesFewRows is how many matching rows a status-filtered firm list
// sorts itself, found by status; above it, walking the list's order and
// skipping the other rows reads fewer rows.
const invoicesFewRows = 4096

// invoiceListWhere is the WHERE clause (and its arguments) selecting the invoices
// of a list as pl plans it.
func invoiceListWhere(q InvoiceQuery, pl invoiceListPlan) (string, []any) {
	var where []string
	var args []any
	if pl.issued != "" {
		where = append(where, pl.issued)
	}
	if q.ClientID != uuid.Nil {
		where = append(where, `client_id = ?`)
		args = append(args, q.ClientID.String())
	}
	if len(q.Statuses) > 0 {
		cond, a := invoiceStatusFilter(q.Statuses, q.Today, pl)
		where = append(where, cond)
		args = append(args, a...)
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// invoiceListPlan is how a list's page selects rows: the condition keeping
// issued rows ("" when the others imply it) and the prefixes before the
// status columns (see invoiceStatusFilter).
type invoiceListPlan struct {
	issued                              string
	statusPrefix, openPrefix, duePrefix string
}

// planInvoiceList plans a list's page, given how many rows match, how many are
// few, and the database's dialect.
//
// A client's page reads the client's rows. The firm's page walks the index
// in list order (issued, issue_date, number, key) and stops at the page's
// end; filtered to one status other than overdue, the index (status,
// issue_date, number, key, open, due_date) in list order, however many
// match. When few rows match another status filter, leaving "issued" out (no index
// then serves the order) makes the database find them by status and sort
// them instead. When many match, SQLite (which plans without statistics;
// PostgreSQL plans by its own) is kept walking the order: for overdue
// alone, the index (open, issue_date, number, key, due_date), which skips
// the invoices not yet due without reading them; otherwise the first index,
// "+" keeping the status indexes out.
func planInvoiceList(q InvoiceQuery, total, few int, dialect rmdb.Dialect) invoiceListPlan {
	implied := q.ClientID != uuid.Nil || (len(q.Statuses) > 0 && !slices.Contains(q.Statuses, invoice.StatusNone))
	onlyOverdue := len(q.Statuses) > 0 && !slices.ContainsFunc(q.Statuses, func(s invoice.Status) bool { return s != invoice.StatusOverdue })
	oneStatus := len(q.Statuses) > 0 && !slices.ContainsFunc(q.Statuses, func(s invoice.Status) bool {
		return s != q.Statuses[0] || s == invoice.StatusOverdue || s == invoice.StatusNone
	})
	switch {
	case q.ClientID != uuid.Nil:
		return invoiceListPlan{}
	case !implied:
		return invoiceListPlan{issued: `issued = 1`}
	case oneStatus:
		// The index (status, issue_date, number, key, …) gives the list's
		// order: read it until the page is full, few matches or many.
		return invoiceListPlan{}
	case total <= few:
		return invoiceListPlan{}
	case dialect != rmdb.SQLite:
		return invoiceListPlan{issued: `issued = 1`}
	case onlyOverdue:
		return invoiceListPlan{duePrefix: "+"}
	}
	return invoiceListPlan{issued: `issued = 1`, statusPrefix: "+", openPrefix: "+", duePrefix: "+"}
}

// list returns the page of issued invoices q selects, newest issue date
// first (then number, then id, descending), and how many match in all.
//
// Only InvoiceIssued sets a client, a stored status other than none and
// the open flag, so a client's rows, and rows a status keeps (none
// excepted), are issued: a client's count needs no "issued" and reads one
// index only; the firm's comes from the counts per stored status (see
// firmTotal). planInvoiceList says how the page is read.
func (p *Invoices) list(ctx context.Context, q InvoiceQuery) ([]InvoiceListItem, int, error) {
	var total int
	if q.ClientID == uuid.Nil {
		var err error
		if total, err = p.firmTotal(ctx, q); err != nil {
			return nil, 0, err
		}
	} else {
		w, args := invoiceListWhere(q, invoiceListPlan{})
		if err := p.db.QueryRow(ctx, `SELECT COUNT(*) FROM `+p.docs.View()+w, args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("read models: invoices count: %w", err)
		}
	}
	offset := max(q.Offset, 0)
	if offset >= total {
		return []InvoiceListItem{}, total, nil
	}
	w, args := invoiceListWhere(q, planInvoiceList(q, total, p.fewRows, p.db.Dialect()))
	rows, err := p.db.Query(ctx, `SELECT `+invoicesRowColumns+` FROM `+p.docs.View()+w+invoicesOrder+` LIMIT ? OFFSET ?`,
		append(args, pageLimit(q.Paging), offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("read models: invoices list: %w", err)
	}
	defer rows.Close()
	out := make([]InvoiceListItem, 0, pageLimit(q.Paging))
	currencies := map[string]domain.Currency{}
	for rows.Next() {
		it, err := scanInvoiceListItem(rows, q.Today, currencies)
		if err != nil {
			return nil, 0, fmt.Errorf("read models: invoices list: %w", err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read models: invoices list: %w", err)
	}
	return out, total, nil
}

// invoicesOverdueCount counts the overdue invoices per stored status, on
// the day its one argument gives (view is the table's view).
func invoicesOverdueCount(view string) string {
	return `SELECT status, COUNT(*) FROM ` + view +
		` WHERE status IN ('awaiting_payment', 'payment_scheduled', 'partly_paid', 'payment_rejected') AND open = 1 AND due_date < ? GROUP BY status`
}

// firmTotal counts the firm's issued invoices whose status on q.Today is
// one of q.Statuses (all when none): from the counts of stored statuses
// the firm document keeps, moving the overdue ones (counted through the
// index on status, open, due_date) from their stored status to overdue.
func (p *Invoices) firmTotal(ctx context.Context, q InvoiceQuery) (int, error) {
	m, _, err := p.meta.Load(ctx, p.db, invoicesMetaKey)
	if err != nil {
		return 0, err
	}
	if len(q.Statuses) == 0 {
		var n int64
		for st, c := range m.Statuses {
			if st != invoice.StatusNone {
				n += c
			}
		}
		return int(n), nil
	}
	overdue := map[invoice.Status]int64{}
	var late int64
	if slices.ContainsFunc(q.Statuses, func(s invoice.Status) bool { return s == invoice.StatusOverdue || openStatus(s) }) {
		rows, err := p.db.Query(ctx, invoicesOverdueCount(p.docs.View()), q.Today.String())
		if err != nil {
			return 0, fmt.Errorf("read models: invoices overdue: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var st string
			var n int64
			if err := rows.Scan(&st, &n); err != nil {
				return 0, fmt.Errorf("read models: invoices overdue: %w", err)
			}
			overdue[invoice.Status(st)] = n
			late += n
		}
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("read models: invoices overdue: %w", err)
		}
	}
	var n int64
	seen := map[invoice.Status]bool{}
	for _, s := range q.Statuses {
		if seen[s] {
			continue
		}
		seen[s] = true
		switch s {
		case invoice.StatusNone:
		case invoice.StatusOverdue:
			n += late
		default:
			n += m.Statuses[s] - overdue[s]
		}
	}
	return int(n), nil
}

// invoicesRowColumns are the columns a list row is rendered from (see
// scanInvoiceListItem): a page reads no document.
const invoicesRowColumns = `key, client_id, number, issue_date, due_date, status, open, currency, total, balance, recurring`

// scanInvoiceListItem renders a list row from its columns as listItem renders the
// record: the status on today is overdue exactly when the row is open and
// due before today (State.StatusOn).
func scanInvoiceListItem(rows *sql.Rows, today domain.Date, currencies map[string]domain.Currency) (InvoiceListItem, error) {
	var key, client, number, issue, due, status, code, total, balance string
	var open, recurring int64
	if err := rows.Scan(&key, &client, &number, &issue, &due, &status, &open, &code, &total, &balance, &recurring); err != nil {
		return InvoiceListItem{}, err
	}
	it := InvoiceListItem{Number: number, Status: invoice.Status(status), Recurring: recurring != 0}
	var err error
	if open == 1 && due < today.String() {
		it.Status = invoice.StatusOverdue
	}
	cur, ok := currencies[code]
	if !ok {
		if code != "" {
			if cur, err = domain.ParseCurrency(code); err != nil {
				return it, err
			}
		}
		currencies[code] = cur
	}
	it.Total.Currency, it.Balance.Currency = cur, cur
	for _, f := range []func() error{
		func() (err error) { it.ID, err = uuid.Parse(key); return err },
		func() (err error) { it.ClientID, err = uuid.Parse(client); return err },
		func() (err error) { it.IssueDate, err = invoiceDateColumn(issue); return err },
		func() (err error) { it.DueDate, err = invoiceDateColumn(due); return err },
		func() (err error) { it.Total.Amount, err = decimal.NewFromString(total); return err },
		func() (err error) { it.Balance.Amount, err = decimal.NewFromString(balance); return err },
	} {
		if err := f(); err != nil {
			return it, fmt.Errorf("invoice %s: %w", key, err)
		}
	}
	return it, nil
}

// invoiceDateColumn parses a date column (empty is the zero Date).
func invoiceDateColumn(s string) (domain.Date, error) {
	if s == "" {
		return domain.Date{}, nil
	}
	return domain.ParseDate(s)
}

// detail renders an invoice's page without its audit trail, client name,
// ledger and emails.
func (p *Invoices) detail(ctx context.Context, id uuid.UUID, today domain.Date) (InvoiceDetail, error) {
	r, ok, err := p.docs.Load(ctx, p.db, id.String())
	if err != nil {
		return InvoiceDetail{}, err
	}
	if !ok || !r.State.Issued() {
		return InvoiceDetail{}, domain.NotFound("invoice %s not found", id)
	}
	st := r.State
	d := InvoiceDetail{
		InvoiceListItem: listItem(&r, today),
		StoredStatus:    st.Status,
		TaxMode:         st.TaxMode,
		Lines:           slices.Clone(st.Lines),
		Totals:          st.Totals,
		PaymentMethodID: st.PaymentMethodID,
		Paid:            st.Paid,
		Credited:        st.Credited,
		WrittenOff:      st.WrittenOff,
		VoidReason:      st.VoidReason,
		SendCount:       st.SendCount,
		LastRecipient:   st.LastRecipient,
		RemindersPaused: st.RemindersPaused,
		RemindersSent:   len(st.RemindersSent),
		Payments:        r.Payments,
		Attempts:        r.Attempts,
		CreditNotes:     r.CreditNotes,
		WriteOffs:       r.WriteOffs,
		Refunds:         r.Refunds,
		Disputes:        r.Disputes,
		Refunded:        st.Refunded,
		Revision:        r.Revision,
	}
	if !st.Collection.Date.IsZero() {
		c := st.Collection
		d.Collection = &c
	}
	if st.LastRejection.AttemptID != uuid.Nil {
		rj := st.LastRejection
		d.LastRejection = &rj
	}
	return d, nil
}

// each calls f with every invoice record, in key order, for reconciliation.
// Rows are read one at a time, so memory does not grow with the log.
func (p *Invoices) each(ctx context.Context, f func(invoiceRecord) error) error {
	rows, err := p.db.Query(ctx, `SELECT key, doc FROM `+p.docs.View()+` ORDER BY key`)
	if err != nil {
		return fmt.Errorf("read models: invoices: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, doc string
		if err := rows.Scan(&key, &doc); err != nil {
			return fmt.Errorf("read models: invoices: %w", err)
		}
		var r invoiceRecord
		if err := json.Unmarshal([]byte(doc), &r); err != nil {
			return fmt.Errorf("read models: invoice %s: %w", key, err)
		}
		if err := f(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
