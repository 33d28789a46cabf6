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
type Invoices struct {
	guard
	s invoicesState
}

type invoicesState struct {
	Invoices map[uuid.UUID]*invoiceRecord `json:"invoices"`
	// ByClient lists each client's invoices in issue order.
	ByClient map[uuid.UUID][]uuid.UUID `json:"by_client"`
	// Open holds the invoices with an outstanding balance, per client, for
	// the outstanding and overdue amounts of summaries and lists.
	Open map[uuid.UUID]map[uuid.UUID]bool `json:"open"`
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
}

func newInvoices() *Invoices { return &Invoices{s: emptyInvoicesState()} }

func emptyInvoicesState() invoicesState {
	return invoicesState{
		Invoices: map[uuid.UUID]*invoiceRecord{},
		ByClient: map[uuid.UUID][]uuid.UUID{},
		Open:     map[uuid.UUID]map[uuid.UUID]bool{},
	}
}

// Name implements Projection.
func (p *Invoices) Name() string { return "invoices" }

// Apply implements Projection.
func (p *Invoices) Apply(e Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checkpoint = max(p.checkpoint, e.Position)
	switch e.Data.(type) {
	case invoice.InvoiceIssued, invoice.InvoiceSent, invoice.InvoiceCollectionScheduled,
		invoice.InvoicePaymentSucceeded, invoice.InvoicePaymentRejected, invoice.InvoiceRetryScheduled,
		invoice.InvoicePaymentRecorded, invoice.InvoiceWrittenOff, invoice.InvoiceVoided,
		invoice.InvoiceCreditNoteIssued:
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
			Reference: ev.GatewayReference, Amount: money(ev.Amount.Amount, cur), Date: domain.DateOf(ev.At, time.UTC), At: ev.At})
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

// setOpen keeps the per-client index of invoices with money outstanding.
func (p *Invoices) setOpen(id uuid.UUID, r *invoiceRecord) {
	clientID := r.State.ClientID
	if openStatus(r.State.Status) && r.State.Balance().Amount.IsPositive() {
		set := p.s.Open[clientID]
		if set == nil {
			set = map[uuid.UUID]bool{}
			p.s.Open[clientID] = set
		}
		set[id] = true
		return
	}
	if set := p.s.Open[clientID]; set != nil {
		delete(set, id)
		if len(set) == 0 {
			delete(p.s.Open, clientID)
		}
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
	if s.Invoices == nil || s.ByClient == nil || s.Open == nil {
		return fmt.Errorf("invoices snapshot: missing maps")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s = s
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

func (p *Invoices) owedBy(clientID uuid.UUID, today domain.Date) owed {
	p.mu.RLock()
	defer p.mu.RUnlock()
	o := owed{outstanding: moneyByCurrency{}, overdue: moneyByCurrency{}}
	for id := range p.s.Open[clientID] {
		r := p.s.Invoices[id]
		if r == nil {
			continue
		}
		// Open invoices have a positive balance in an unpaid status, so
		// overdue is just "after its due date" (invoice.State.StatusOn), and
		// the balance is the outstanding amount kept beside it.
		bal := money(r.Outstanding, r.State.Currency)
		o.outstanding.add(bal)
		o.open++
		if today.After(r.State.DueDate) {
			o.overdue.add(bal)
			o.late++
		}
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
