package ledgersync

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/integrations/accounting"
)

// # Surcharges
//
// A card surcharge is added to an invoice with the payment that carried it
// (InvoiceSurchargeAdded, then InvoicePaymentSucceeded), after the invoice
// was issued and, usually, pushed. Xero and QuickBooks do not let a sent
// invoice grow, and refuse a payment larger than what it owes, so the
// surcharge is pushed as its own small invoice, numbered after the invoice
// it belongs to ("INV-000042-S1" for its first surcharge), with the
// surcharge line (revenue and tax by the mapping, as any line), and paid at
// once by the surcharge's share of the payment, to the clearing account.
// The payment pushed against the invoice itself is the rest (the payment
// less the surcharge), so the invoice is paid exactly and the clearing
// account receives the whole payment, as in Remit's journal. Both
// documents have ids derived from the surcharge line's, so a retried push
// creates nothing twice (the ledger de-duplicates by them).

// pushSurcharge pushes a surcharge's own invoice and its payment, and
// answers the invoice's acknowledgement.
func (s *Sync) pushSurcharge(ctx context.Context, l accounting.Ledger, c ledger.Connection, f facts, inv *invoiceRec, src source, docID uuid.UUID) (accounting.Ack, error) {
	e, ok := f.event.(invoice.InvoiceSurchargeAdded)
	if !ok {
		return accounting.Ack{}, fmt.Errorf("surcharge push of invoice %s: the source is a %T", inv.number, f.event)
	}
	n := 0
	for _, other := range inv.sources {
		if other.kind == ledger.KindSurcharge {
			n++
		}
		if other.eventID == src.eventID {
			break
		}
	}
	iss := f.issued
	iss.Number = fmt.Sprintf("%s-S%d", iss.Number, n)
	iss.Lines = []invoice.Line{e.Line}
	iss.Totals = invoice.Totals{Net: e.Line.Amounts.Net, Tax: e.Line.Amounts.Tax, Gross: e.Line.Amounts.Gross}
	if !e.Date.IsZero() {
		iss.IssueDate, iss.DueDate = e.Date, e.Date
	}
	doc, err := invoiceDoc(c, facts{issued: iss, event: f.event, client: f.client, loc: f.loc}, docID, s.lastContact(c.Provider, inv.clientID))
	if err != nil {
		return accounting.Ack{}, err
	}
	ack, err := l.PushInvoice(ctx, doc)
	if err != nil {
		return ack, err
	}
	p := accounting.Payment{ID: uuid.NewSHA1(ledger.Namespace, []byte("surcharge-payment/"+docID.String())), InvoiceID: docID, InvoiceLedgerID: ack.LedgerID,
		InvoiceNumber: iss.Number, Amount: src.amount, AccountCode: c.Mapping.ClearingAccount, Date: iss.IssueDate, Reference: "surcharge"}
	if _, err := l.PushPayment(ctx, p); err != nil {
		return accounting.Ack{}, err
	}
	return ack, nil
}
