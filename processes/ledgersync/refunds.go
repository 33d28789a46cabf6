package ledgersync

import (
	"context"

	"github.com/google/uuid"

	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/integrations/accounting"
)

// callRefund pushes a refund (InvoicePaymentRefunded): the refunded amount
// out of the clearing account against the refund's credit note, which the
// invoice's pushes put in the ledger just before (its ledger id and contact
// are in that push's outcome).
func (s *Sync) callRefund(ctx context.Context, l accounting.Ledger, c ledger.Connection, inv *invoiceRec, src source, f facts,
	docID uuid.UUID, gen int) (accounting.Ack, error) {
	rl, ok := l.(accounting.RefundLedger)
	if !ok {
		return accounting.Ack{}, mappingError("the %s adapter does not take refunds: record refund %s against its credit note in the ledger by hand", c.Provider, src.remitID)
	}
	e, ok := f.event.(invoice.InvoicePaymentRefunded)
	if !ok {
		return accounting.Ack{}, mappingError("refund %s: its event is not a refund", src.remitID)
	}
	var cn *pushRec
	for _, x := range inv.sources {
		if x.kind == ledger.KindCreditNote && x.remitID == src.creditNoteID {
			cn = s.b.pushes[ledger.PushID(c.Provider, x.eventID, gen)]
		}
	}
	if cn == nil || cn.Status != ledger.PushSucceeded || cn.LedgerID == "" {
		return accounting.Ack{}, mappingError("refund %s on %s: its credit note is not in the ledger", e.GatewayRefundReference, inv.number)
	}
	contact := cn.ContactID
	if contact == "" {
		contact = s.lastContact(c.Provider, inv.clientID)
	}
	return rl.PushRefund(ctx, accounting.Refund{ID: docID, CreditNoteLedgerID: cn.LedgerID, ContactLedgerID: contact, InvoiceNumber: inv.number,
		FromAccount: c.Mapping.ClearingAccount, ReceivableAccount: c.Mapping.ReceivableAccountFor(c.Provider), Amount: src.amount, Date: e.Date,
		Reference: e.GatewayRefundReference})
}
