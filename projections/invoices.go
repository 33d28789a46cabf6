package projections

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/invoice"
)

// Invoices is the "invoices" projection: every invoice folded with
// invoice.Evolve, plus the lists its detail page shows and an outstanding
// amount kept on its own (reduced by each payment, credit note, write-off and
// void) so that Reconcile can check it against the money that came in.
//
// For summaries and the clients list it also keeps, per client and
// currency, the open invoices (an unpaid status and a positive balance)
// sorted by due date with the sum of their outstanding amounts, so what a
// client owes and what of it is overdue on a given day is found without
// visiting every invoice (see owedBy).
type Invoices struct {
	guard
	s    invoicesState
	owed map[uuid.UUID]*clientOwed // derived from s; not in snapshots
	loc  *time.Location            // s.TimeZone loaded; not in snapshots
}

// clientOwed is one client's open invoices, one list per currency (usually
// one).
type clientOwed struct {
	currencies []*currencyOwed
}

// currencyOwed is a client's open invoices in one currency, sorted by due
// date then id, and the sum of their outstanding amounts.
type currencyOwed struct {
	currency domain.Currency
	total    decimal.Decimal
	open     []openInvoice
}

// openInvoice is an open invoice as the owed index holds it.
type openInvoice struct {
	due    domain.Date
	id     uuid.UUID
	amount decimal.Decimal
}

func (a openInvoice) compare(b openInvoice) int {
	if c := a.due.Compare(b.due); c != 0 {
		return c
	}
	return bytes.Compare(a.id[:], b.id[:])
}

// indexed is where an invoice sits in the owed index.
type indexed struct {
	client   uuid.UUID
	currency string
	entry    openInvoice
}

type invoicesState struct {
	Invoices map[uuid.UUID]*invoiceRecord `json:"invoices"`
	// ByClient lists each client's invoices in issue order.
	ByClient map[uuid.UUID][]uuid.UUID `json:"by_client"`
	// TimeZone is the firm's time zone as of the last event applied: a
	// gateway payment recorded before its event carried a date is dated in
	// it (invoice.InvoicePaymentSucceeded.PaymentDate).
	TimeZone string `json:"time_zone,omitempty"`
}

type invoiceRecord struct {
	State       invoice.State    `json:"state"`
	Revision    uint64           `json:"revision"`
	Payments    []PaymentView    `json:"payments,omitempty"`
	Attempts    []AttemptView    `json:"attempts,omitempty"`
	CreditNotes []CreditNoteView `json:"credit_notes,omitempty"`
	WriteOffs   []WriteOffView   `json:"write_offs,omitempty"`
	Outstanding decimal.Decimal  `json:"outstanding"`
	Voided      decimal.Decimal  `json:"voided"`

	index *indexed // its place in the owed index; nil when not open
}

func newInvoices() *Invoices {
	return &Invoices{s: emptyInvoicesState(), owed: map[uuid.UUID]*clientOwed{}, loc: time.UTC}
}

func emptyInvoicesState() invoicesState {
	return invoicesState{
		Invoices: map[uuid.UUID]*invoiceRecord{},
		ByClient: map[uuid.UUID][]uuid.UUID{},
	}
}

// Name implements Projection.
func (p *Invoices) Name() string { return "invoices" }

// Apply implements Projection.
func (p *Invoices) Apply(e Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checkpoint = max(p.checkpoint, e.Position)
	if loc, ok := firmZone(e.Data); ok {
		p.s.TimeZone, p.loc = loc.String(), loc
		return
	}
	switch e.Data.(type) {
	case invoice.InvoiceIssued, invoice.InvoiceSent, invoice.InvoiceCollectionScheduled,
		invoice.InvoicePaymentSucceeded, invoice.InvoicePaymentRejected, invoice.InvoiceRetryScheduled,
		invoice.InvoicePaymentRecorded, invoice.InvoiceWrittenOff, invoice.InvoiceVoided,
		invoice.InvoiceCreditNoteIssued, invoice.InvoiceCollectionCancelled:
	default:
		return
	}
	id, ok := streamID(e.Stream, "invoice-")
	if !ok {
		return
	}
	r := p.s.Invoices[id]
	if r == nil {
		r = &invoiceRecord{}
		p.s.Invoices[id] = r
	}
	before := r.State
	r.State = invoice.Evolve(r.State, e.Data)
	r.Revision = e.Revision
	cur := r.State.Currency
	switch ev := e.Data.(type) {
	case invoice.InvoiceIssued:
		r.Outstanding = ev.Totals.Gross.Amount
		if !before.Issued() {
			p.s.ByClient[ev.ClientID] = append(p.s.ByClient[ev.ClientID], id)
		}
	case invoice.InvoicePaymentSucceeded:
		if _, seen := before.Attempts[ev.AttemptID]; seen {
			break
		}
		r.Attempts = append(r.Attempts, AttemptView{ID: ev.AttemptID, PaymentMethodID: ev.PaymentMethodID,
			Outcome: invoice.AttemptSucceeded, Amount: money(ev.Amount.Amount, cur), GatewayReference: ev.GatewayReference, At: ev.At})
		r.Payments = append(r.Payments, PaymentView{ID: ev.AttemptID, Gateway: true, Method: "gateway", MethodID: ev.PaymentMethodID,
			Reference: ev.GatewayReference, Amount: money(ev.Amount.Amount, cur), Date: ev.PaymentDate(p.loc), At: ev.At})
		r.Outstanding = r.Outstanding.Sub(ev.Amount.Amount)
	case invoice.InvoicePaymentRejected:
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
	}
	p.setOpen(id, r)
}

// setOpen keeps the owed index up to date with an invoice's record.
func (p *Invoices) setOpen(id uuid.UUID, r *invoiceRecord) {
	open := openStatus(r.State.Status) && r.State.Balance().Amount.IsPositive()
	want := indexed{client: r.State.ClientID, currency: r.State.Currency.Code,
		entry: openInvoice{due: r.State.DueDate, id: id, amount: r.Outstanding}}
	if old := r.index; old != nil {
		if open && old.client == want.client && old.currency == want.currency &&
			old.entry.due == want.entry.due && old.entry.amount.Equal(want.entry.amount) {
			return
		}
		p.unindex(old)
		r.index = nil
	}
	if !open {
		return
	}
	co := p.owed[want.client]
	if co == nil {
		co = &clientOwed{}
		p.owed[want.client] = co
	}
	var c *currencyOwed
	for _, x := range co.currencies {
		if x.currency.Code == want.currency {
			c = x
		}
	}
	if c == nil {
		c = &currencyOwed{currency: r.State.Currency}
		co.currencies = append(co.currencies, c)
		slices.SortFunc(co.currencies, func(a, b *currencyOwed) int { return strings.Compare(a.currency.Code, b.currency.Code) })
	}
	i, _ := slices.BinarySearchFunc(c.open, want.entry, openInvoice.compare)
	c.open = slices.Insert(c.open, i, want.entry)
	c.total = c.total.Add(want.entry.amount)
	r.index = &want
}

// unindex removes an invoice from the owed index.
func (p *Invoices) unindex(x *indexed) {
	co := p.owed[x.client]
	if co == nil {
		return
	}
	for ci, c := range co.currencies {
		if c.currency.Code != x.currency {
			continue
		}
		i, found := slices.BinarySearchFunc(c.open, x.entry, openInvoice.compare)
		if !found {
			return
		}
		c.open = slices.Delete(c.open, i, i+1)
		c.total = c.total.Sub(x.entry.amount)
		if len(c.open) == 0 {
			co.currencies = slices.Delete(co.currencies, ci, ci+1)
		}
		break
	}
	if len(co.currencies) == 0 {
		delete(p.owed, x.client)
	}
}

// openStatus reports whether an invoice in status s still expects money.
func openStatus(s invoice.Status) bool {
	switch s {
	case invoice.StatusAwaitingPayment, invoice.StatusPaymentScheduled, invoice.StatusPartlyPaid, invoice.StatusPaymentRejected:
		return true
	}
	return false
}

// Reset implements Projection.
func (p *Invoices) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s = emptyInvoicesState()
	p.owed = map[uuid.UUID]*clientOwed{}
	p.loc = time.UTC
	p.checkpoint = 0
}

// MarshalSnapshot implements Projection.
func (p *Invoices) MarshalSnapshot() ([]byte, uint64, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	data, err := json.Marshal(p.s)
	return data, p.checkpoint, err
}

// UnmarshalSnapshot implements Projection.
func (p *Invoices) UnmarshalSnapshot(data []byte, checkpoint uint64) error {
	s := emptyInvoicesState()
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("invoices snapshot: %w", err)
	}
	if s.Invoices == nil || s.ByClient == nil {
		return fmt.Errorf("invoices snapshot: missing maps")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s = s
	p.owed = map[uuid.UUID]*clientOwed{}
	p.loc = zone(s.TimeZone)
	for id, r := range s.Invoices {
		if r == nil {
			return fmt.Errorf("invoices snapshot: invoice %s has no record", id)
		}
		p.setOpen(id, r)
	}
	p.checkpoint = checkpoint
	return nil
}

// listItem renders a row; the caller holds the read lock.
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

// list returns the rows matching q, sorted newest first, and how many
// match; only the page asked for is rendered.
func (p *Invoices) list(q InvoiceQuery) ([]InvoiceListItem, int) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var match []*invoiceRecord
	consider := func(r *invoiceRecord) {
		if r == nil || !r.State.Issued() {
			return
		}
		if len(q.Statuses) == 0 || slices.Contains(q.Statuses, r.State.StatusOn(q.Today)) {
			match = append(match, r)
		}
	}
	if q.ClientID != uuid.Nil {
		for _, id := range p.s.ByClient[q.ClientID] {
			consider(p.s.Invoices[id])
		}
	} else {
		for _, r := range p.s.Invoices {
			consider(r)
		}
	}
	slices.SortFunc(match, func(a, b *invoiceRecord) int {
		if c := b.State.IssueDate.Compare(a.State.IssueDate); c != 0 {
			return c
		}
		if c := strings.Compare(b.State.Number, a.State.Number); c != 0 {
			return c
		}
		return bytes.Compare(b.State.ID[:], a.State.ID[:])
	})
	pg := page(match, q.Paging)
	out := make([]InvoiceListItem, len(pg.Items))
	for i, r := range pg.Items {
		out[i] = listItem(r, q.Today)
	}
	return out, len(match)
}

// detail renders an invoice's page without its audit trail.
func (p *Invoices) detail(id uuid.UUID, today domain.Date) (InvoiceDetail, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	r, ok := p.s.Invoices[id]
	if !ok || !r.State.Issued() {
		return InvoiceDetail{}, domain.NotFound("invoice %s not found", id)
	}
	st := r.State
	d := InvoiceDetail{
		InvoiceListItem: listItem(r, today),
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
		Payments:        slices.Clone(r.Payments),
		Attempts:        slices.Clone(r.Attempts),
		CreditNotes:     slices.Clone(r.CreditNotes),
		WriteOffs:       slices.Clone(r.WriteOffs),
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

// owed is what a client owes: outstanding and overdue sums and counts.
type owed struct {
	outstanding, overdue moneyByCurrency
	open, late           int
}

// owedBy sums what a client owes and what of it is overdue on today (due
// before today): per currency, a binary search splits the open invoices
// sorted by due date, and whichever side is shorter is summed (the overdue
// side directly, or the not-yet-due side subtracted from the total).
func (p *Invoices) owedBy(clientID uuid.UUID, today domain.Date) owed {
	p.mu.RLock()
	defer p.mu.RUnlock()
	o := owed{outstanding: moneyByCurrency{}, overdue: moneyByCurrency{}}
	co := p.owed[clientID]
	if co == nil {
		return o
	}
	for _, c := range co.currencies {
		n := len(c.open)
		k, _ := slices.BinarySearchFunc(c.open, today, func(x openInvoice, d domain.Date) int {
			if x.due.Before(d) {
				return -1
			}
			return 1
		})
		o.open += n
		o.late += k
		o.outstanding.add(money(c.total, c.currency))
		if k == 0 {
			continue
		}
		var overdue decimal.Decimal
		if k <= n-k {
			for _, x := range c.open[:k] {
				overdue = overdue.Add(x.amount)
			}
		} else {
			overdue = c.total
			for _, x := range c.open[k:] {
				overdue = overdue.Sub(x.amount)
			}
		}
		o.overdue.add(money(overdue, c.currency))
	}
	return o
}

// records returns copies of every invoice record, for reconciliation.
func (p *Invoices) records() []invoiceRecord {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]invoiceRecord, 0, len(p.s.Invoices))
	for _, r := range p.s.Invoices {
		out = append(out, *r)
	}
	return out
}
