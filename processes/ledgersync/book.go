package ledgersync

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/domain/payout"
	"remit/eventstore"
	"remit/projections/follow"
)

// source is one event of an invoice that is pushed: its issue, a payment, a
// credit note, a write-off or its void.
type source struct {
	eventID uuid.UUID
	kind    ledger.Kind
	typ     string       // the event type
	remitID uuid.UUID    // Remit's id of the thing: DocumentID's input
	amount  domain.Money // what the ledger should hold
	// refund: a refund's credit note, pushed unallocated (the invoice was
	// paid; the credit is what the client was paid back).
	refund bool
	// creditNoteID is, for a refund (KindRefund), the credit note it pays
	// out: pushed just before it.
	creditNoteID uuid.UUID
}

// invoiceRec is what the book keeps of an invoice.
type invoiceRec struct {
	id        uuid.UUID
	number    string
	clientID  uuid.UUID
	issuedPos uint64
	sources   []source // the issue first, then in log order
	// refunds are the refunds recorded (InvoicePaymentRefunded), by the
	// credit note issued with each: a refund is pushed right after it.
	refunds map[uuid.UUID]source
	// surcharges are the surcharges added with payments, by attempt: the
	// payment's share of the invoice is its amount less the surcharge.
	surcharges map[uuid.UUID]domain.Money
}

type genKey struct {
	provider string
	invoice  uuid.UUID
}

// pushRec is a push folded from its stream, with the stream's revision.
type pushRec struct {
	ledger.Push
	revision  uint64
	appliedTo string // the ledger invoice a payment, credit or void went to
}

// book is everything the log says about ledger sync: connections, invoices
// and their pushable events, pushes, generations. The process manager and
// Reconcile both build it; it is not safe for concurrent use.
type book struct {
	cat      *catalog.Catalog
	conns    map[string]*ledger.State // provider → its connection stream's state
	invoices map[uuid.UUID]*invoiceRec
	pushes   map[uuid.UUID]*pushRec
	gens     map[genKey]int
	// contacts is the ledger contact last used per provider and client.
	contacts map[genKey]string
	// payouts are the payouts recorded, pushed apart from invoices.
	payouts map[uuid.UUID]*payoutRec
	next    uint64 // the next log position to read
}

func newBook() *book {
	return &book{cat: catalog.New(), conns: map[string]*ledger.State{}, invoices: map[uuid.UUID]*invoiceRec{},
		pushes: map[uuid.UUID]*pushRec{}, gens: map[genKey]int{}, contacts: map[genKey]string{}, payouts: map[uuid.UUID]*payoutRec{}, next: 1}
}

// pushedTypes are the invoice events that are pushed.
var pushedTypes = []string{"InvoiceIssued", "InvoicePaymentSucceeded", "InvoicePaymentRecorded", "InvoicePaymentRefunded",
	"InvoiceCreditNoteIssued", "InvoicePaymentDisputed", "InvoiceDisputeClosed", "InvoiceWrittenOff", "InvoiceVoided",
	"InvoiceSurchargeAdded"}

// watched selects the events the book reads.
func watched() eventstore.Filter {
	types := append(append(append([]string(nil), pushedTypes...), ledger.EventTypes()...), payout.EventTypes()...)
	return eventstore.Filter{EventTypes: types}
}

// readAll reads the log from b.next to its head into the book, through the
// one log follower (projections/follow), calling each (when not nil) after
// each event.
func (b *book) readAll(ctx context.Context, store eventstore.Store, each func(ev follow.Event, inv *invoiceRec) error) error {
	f := follow.New(store, func(_ context.Context, ev follow.Event) error {
		inv := b.observe(ev)
		if each != nil {
			return each(ev, inv)
		}
		return nil
	}, follow.Options{From: b.next - 1, Filter: watched(), Catalog: b.cat})
	if err := f.CatchUp(ctx); err != nil {
		return fmt.Errorf("ledgersync: %w", err)
	}
	return nil
}

// noteSurcharge notes a surcharge: pushed as its own invoice, paid by the
// surcharge's share of the payment that follows it (push.go,
// surchargeDocs).
func (b *book) noteSurcharge(e invoice.InvoiceSurchargeAdded) {
	if inv := b.invoices[e.InvoiceID]; inv != nil {
		if inv.surcharges == nil {
			inv.surcharges = map[uuid.UUID]domain.Money{}
		}
		inv.surcharges[e.AttemptID] = e.Line.Amounts.Gross
	}
}

// paymentShare is what a payment pays of its invoice: its amount less the
// surcharge it carried (which pays the surcharge's own invoice).
func (b *book) paymentShare(e invoice.InvoicePaymentSucceeded) domain.Money {
	amount := e.Amount
	if inv := b.invoices[e.InvoiceID]; inv != nil {
		if sur, ok := inv.surcharges[e.AttemptID]; ok {
			amount.Amount = amount.Amount.Sub(sur.Amount)
		}
	}
	return amount
}

// noteRefund notes a refund: pushed after its credit note (appended after
// it), whose ledger id it needs.
func (b *book) noteRefund(ev follow.Event, e invoice.InvoicePaymentRefunded) {
	if inv := b.invoices[e.InvoiceID]; inv != nil {
		if inv.refunds == nil {
			inv.refunds = map[uuid.UUID]source{}
		}
		inv.refunds[e.CreditNoteID] = source{eventID: ev.ID, kind: ledger.KindRefund, typ: ev.Data.EventType(), remitID: e.RefundID,
			amount: e.Amount, creditNoteID: e.CreditNoteID}
	}
}

// refundOf is the refund a credit note was issued for, if it was.
func (b *book) refundOf(e invoice.InvoiceCreditNoteIssued) (source, bool) {
	if inv := b.invoices[e.InvoiceID]; inv != nil {
		r, ok := inv.refunds[e.CreditNoteID]
		return r, ok
	}
	return source{}, false
}

// observe folds one event into the book and returns the invoice it
// concerns, if any.
func (b *book) observe(ev follow.Event) *invoiceRec {
	if ev.Position >= b.next {
		b.next = ev.Position + 1
	}
	if !watched().Match(ev.Stream, ev.Type) {
		return nil
	}
	add := func(id uuid.UUID, s source) *invoiceRec {
		inv := b.invoices[id]
		if inv == nil {
			return nil // issued before anything here (cannot happen in a whole log)
		}
		s.eventID, s.typ = ev.ID, ev.Data.EventType() // not ev.Type: it keeps the whole stored event in memory
		inv.sources = append(inv.sources, s)
		return inv
	}
	switch e := ev.Data.(type) {
	case invoice.InvoiceIssued:
		inv := &invoiceRec{id: e.InvoiceID, number: e.Number, clientID: e.ClientID, issuedPos: ev.Position}
		inv.sources = []source{{eventID: ev.ID, kind: ledger.KindInvoice, typ: ev.Data.EventType(), remitID: e.InvoiceID, amount: e.Totals.Gross}}
		b.invoices[e.InvoiceID] = inv
		return inv
	case invoice.InvoiceSurchargeAdded:
		b.noteSurcharge(e)
		return add(e.InvoiceID, source{kind: ledger.KindSurcharge, remitID: e.Line.LineID, amount: e.Line.Amounts.Gross})
	case invoice.InvoicePaymentSucceeded:
		return add(e.InvoiceID, source{kind: ledger.KindPayment, remitID: e.AttemptID, amount: b.paymentShare(e)})
	case invoice.InvoicePaymentRecorded:
		return add(e.InvoiceID, source{kind: ledger.KindPayment, remitID: e.PaymentID, amount: e.Amount})
	case invoice.InvoicePaymentRefunded:
		b.noteRefund(ev, e)
		return nil
	case invoice.InvoiceCreditNoteIssued:
		refund, isRefund := b.refundOf(e)
		inv := add(e.InvoiceID, source{kind: ledger.KindCreditNote, remitID: e.CreditNoteID, amount: e.Amount, refund: isRefund})
		if inv != nil && isRefund {
			inv.sources = append(inv.sources, refund)
		}
		return inv
	case invoice.InvoicePaymentDisputed:
		return add(e.InvoiceID, source{kind: ledger.KindDispute, remitID: e.DisputeID, amount: e.Amount})
	case invoice.InvoiceDisputeClosed:
		switch {
		case e.Outcome == invoice.DisputeWon:
			return add(e.InvoiceID, source{kind: ledger.KindDisputeWon, remitID: ev.ID, amount: e.Amount})
		case e.Outcome == invoice.DisputeLost && e.Fee.Amount.IsPositive():
			return add(e.InvoiceID, source{kind: ledger.KindDisputeFee, remitID: ev.ID, amount: e.Fee})
		}
		return nil
	case invoice.InvoiceWrittenOff:
		return add(e.InvoiceID, source{kind: ledger.KindCreditNote, remitID: ev.ID, amount: e.Amount})
	case invoice.InvoiceVoided:
		inv := b.invoices[e.InvoiceID]
		if inv == nil {
			return nil
		}
		return add(e.InvoiceID, source{kind: ledger.KindVoid, remitID: e.InvoiceID, amount: domain.Zero(inv.sources[0].amount.Currency)})
	case payout.PayoutRecorded, payout.PayoutFailed:
		b.observePayout(ev)
	case ledger.LedgerConnected:
		b.conn(e.Provider, e)
	case ledger.LedgerMappingChanged:
		b.conn(e.Provider, e)
	case ledger.LedgerContactMapped:
		b.conn(e.Provider, e)
	case ledger.LedgerDisconnected:
		b.conn(e.Provider, e)
	case ledger.LedgerPushSucceeded:
		b.push(e.PushID, ev.Revision, e)
		return b.invoices[e.InvoiceID]
	case ledger.LedgerPushFailed:
		b.push(e.PushID, ev.Revision, e)
		return b.invoices[e.InvoiceID]
	case ledger.LedgerRecreateRequested:
		k := genKey{e.Provider, e.InvoiceID}
		b.gens[k] = max(b.gens[k], e.Generation)
		return b.invoices[e.InvoiceID]
	}
	return nil
}

func (b *book) conn(provider string, e domain.Event) {
	s := b.conns[provider]
	if s == nil {
		s = &ledger.State{}
		b.conns[provider] = s
	}
	*s = ledger.Evolve(*s, e)
}

func (b *book) push(id uuid.UUID, rev uint64, e domain.Event) {
	p := b.pushes[id]
	if p == nil {
		p = &pushRec{}
		b.pushes[id] = p
	} else if rev <= p.revision {
		return // seen already (the process read its own append back)
	}
	st := ledger.Evolve(ledger.State{Push: p.Push}, e)
	p.Push, p.revision = st.Push, rev
	if ok, is := e.(ledger.LedgerPushSucceeded); is {
		p.appliedTo = ok.InvoiceLedgerID
	}
	if p.Status == ledger.PushSucceeded && p.ContactID != "" {
		if inv := b.invoices[p.InvoiceID]; inv != nil {
			b.contacts[genKey{p.Provider, inv.clientID}] = p.ContactID
		}
	}
}

// pushedIn reports whether a connection takes a source: disputes only when
// its mapping names a disputes account.
func pushedIn(c ledger.Connection, src source) bool {
	switch src.kind {
	case ledger.KindDispute, ledger.KindDisputeWon, ledger.KindDisputeFee:
		return c.Mapping.PushesDisputes()
	}
	return true
}

// inScope reports whether an invoice is pushed to a connection.
func inScope(c ledger.Connection, inv *invoiceRec) bool {
	return c.Ever && inv.issuedPos > c.FromPosition
}
