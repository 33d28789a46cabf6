package ledgersync

import (
	"context"

	"github.com/google/uuid"

	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/integrations/accounting"
)

// callDispute pushes a dispute's move when the mapping names a disputes
// account: its withdrawal out of the clearing account into the disputes
// account (InvoicePaymentDisputed), a won dispute's amount back
// (InvoiceDisputeClosed won), or a lost dispute's fee spent from the
// clearing account to the fees account (InvoiceDisputeClosed lost).
func (s *Sync) callDispute(ctx context.Context, l accounting.Ledger, c ledger.Connection, inv *invoiceRec, src source, f facts,
	docID uuid.UUID) (accounting.Ack, error) {
	clearing := c.Mapping.ClearingAccount
	m := accounting.DisputeMove{ID: docID, ClearingAccount: clearing, DisputesAccount: c.Mapping.DisputesAccount,
		Contact: contact(c, f, s.lastContact(c.Provider, inv.clientID)), Amount: src.amount}
	switch e := f.event.(type) {
	case invoice.InvoicePaymentDisputed:
		m.Date, m.Reference = e.Date, e.GatewayDisputeReference
		m.Description = "Dispute " + e.GatewayDisputeReference + " of payment " + e.GatewayReference + ", invoice " + inv.number
	case invoice.InvoiceDisputeClosed:
		m.Date, m.Reference = e.Date, e.GatewayDisputeReference
		if src.kind == ledger.KindDisputeFee {
			pl, ok := l.(accounting.PayoutLedger)
			if !ok {
				return accounting.Ack{}, mappingError("the %s adapter does not take fees", c.Provider)
			}
			payee := gatewayName("")
			return pl.PushExpense(ctx, accounting.Expense{ID: docID, FromAccount: clearing, ExpenseAccount: c.Mapping.FeesAccountFor(c.Provider), Payee: payee,
				Description: "Dispute fee, " + e.GatewayDisputeReference + ", invoice " + inv.number, Amount: src.amount, Date: e.Date, Reference: e.GatewayDisputeReference})
		}
		m.Back = true
		m.Description = "Dispute " + e.GatewayDisputeReference + " won, payment " + e.GatewayReference + ", invoice " + inv.number
	default:
		return accounting.Ack{}, mappingError("dispute push of %s: its event is not a dispute's", inv.number)
	}
	dl, ok := l.(accounting.DisputeLedger)
	if !ok {
		return accounting.Ack{}, mappingError("the %s adapter does not take disputes: clear the disputes account from the mapping and enter them by hand", c.Provider)
	}
	return dl.PushDisputeMove(ctx, m)
}
