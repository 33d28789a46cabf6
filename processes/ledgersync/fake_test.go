package ledgersync_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"remit/domain"
	"remit/integrations/accounting"
)

// recordingLedger is an in-memory accounting.Ledger (a test double of our own
// port): it keeps every document by Remit's id and answers a repeated push
// with what it created the first time, as the port requires of adapters;
// it fails on demand, temporarily or for good, before or after creating.
type recordingLedger struct {
	mu   sync.Mutex
	name string
	docs map[string]doc // by kind/document id
	n    int
	// calls counts pushes of each kind.
	calls map[string]int
	// fail is returned by the next pushes, one each, before anything is created.
	fail []error
	// failAfterCreate is returned once by the next push after it created the
	// document (a timeout after the ledger committed).
	failAfterCreate error
	// failKindAfterCreate is returned once by the next push of a kind after
	// it created the document.
	failKindAfterCreate map[string]error
}

type doc struct {
	kind            string
	ledgerID        string
	invoiceLedgerID string
	amount          domain.Money
	contact         accounting.Contact
	invoice         accounting.Invoice
	credit          accounting.CreditNote
	payment         accounting.Payment
	transfer        accounting.Transfer
	expense         accounting.Expense
	refund          accounting.Refund
	dispute         accounting.DisputeMove
}

func newLedger(name string) *recordingLedger {
	return &recordingLedger{name: name, docs: map[string]doc{}, calls: map[string]int{}}
}

func (l *recordingLedger) Name() string { return l.name }

func (l *recordingLedger) failNext(errs ...error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail = append(l.fail, errs...)
}

func (l *recordingLedger) push(kind string, id uuid.UUID, d doc) (accounting.Ack, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls[kind]++
	if len(l.fail) > 0 {
		err := l.fail[0]
		l.fail = l.fail[1:]
		return accounting.Ack{}, err
	}
	key := kind + "/" + id.String()
	if have, ok := l.docs[key]; ok {
		return accounting.Ack{LedgerID: have.ledgerID, ContactID: have.contact.LedgerID, Existing: true}, nil
	}
	if d.invoiceLedgerID != "" && !l.hasInvoice(d.invoiceLedgerID) {
		return accounting.Ack{}, &accounting.Error{Status: 400, Message: "no invoice " + d.invoiceLedgerID}
	}
	l.n++
	d.kind, d.ledgerID = kind, fmt.Sprintf("%s-%s-%d", l.name, kind, l.n)
	if kind == "invoice" || kind == "credit_note" {
		if d.contact.LedgerID == "" {
			d.contact.LedgerID = "contact-" + d.contact.Name
		}
	}
	if kind == "void" {
		d.ledgerID = d.invoiceLedgerID
	}
	l.docs[key] = d
	if err := l.failAfterCreate; err != nil {
		l.failAfterCreate = nil
		return accounting.Ack{}, err
	}
	if err := l.failKindAfterCreate[kind]; err != nil {
		delete(l.failKindAfterCreate, kind)
		return accounting.Ack{}, err
	}
	return accounting.Ack{LedgerID: d.ledgerID, ContactID: d.contact.LedgerID}, nil
}

func (l *recordingLedger) hasInvoice(ledgerID string) bool {
	for _, d := range l.docs {
		if d.kind == "invoice" && d.ledgerID == ledgerID {
			return true
		}
	}
	return false
}

func (l *recordingLedger) PushInvoice(_ context.Context, inv accounting.Invoice) (accounting.Ack, error) {
	return l.push("invoice", inv.ID, doc{amount: inv.Total, contact: inv.Contact, invoice: inv})
}

func (l *recordingLedger) PushPayment(_ context.Context, p accounting.Payment) (accounting.Ack, error) {
	return l.push("payment", p.ID, doc{amount: p.Amount, invoiceLedgerID: p.InvoiceLedgerID, payment: p})
}

func (l *recordingLedger) PushCreditNote(_ context.Context, c accounting.CreditNote) (accounting.Ack, error) {
	return l.push("credit_note", c.ID, doc{amount: c.Total, contact: c.Contact, invoiceLedgerID: c.InvoiceLedgerID, credit: c})
}

func (l *recordingLedger) PushVoid(_ context.Context, v accounting.Void) (accounting.Ack, error) {
	return l.push("void", v.InvoiceID, doc{invoiceLedgerID: v.InvoiceLedgerID})
}

// count returns how many documents of a kind the ledger holds.
func (l *recordingLedger) count(kind string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, d := range l.docs {
		if d.kind == kind {
			n++
		}
	}
	return n
}

func (l *recordingLedger) callCount(kind string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[kind]
}

func (l *recordingLedger) get(kind string, id uuid.UUID) (doc, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.docs[kind+"/"+id.String()]
	return d, ok
}
