package journal

import (
	"remit/domain/invoice"
	"remit/projections/follow"
)

// Refunds and disputes of gateway payments (see the package doc's table):
// the money goes back out of the clearing account it came into, against the
// client's receivable; a refund's credit note (its own event, appended with
// it) then reverses the revenue and tax and settles the receivable.

// refunded books a refund: Dr receivable / Cr clearing:gateway.
func (b *builder) refunded(r follow.Event, e invoice.InvoicePaymentRefunded) error {
	b.flow(Flow{Kind: FlowRefunded, Date: e.Date, EventID: r.ID, Reference: e.GatewayRefundReference, Amount: e.Amount})
	return b.moneyIn(r, e.InvoiceID, e.Amount.Neg(), AccountGateway, e.Date, "payment refunded ("+e.GatewayRefundReference+")")
}

// disputed books a dispute: the gateway withdrew the amount from clearing.
func (b *builder) disputed(r follow.Event, e invoice.InvoicePaymentDisputed) error {
	b.flow(Flow{Kind: FlowDisputed, Date: e.Date, EventID: r.ID, Reference: e.GatewayDisputeReference, Amount: e.Amount})
	return b.moneyIn(r, e.InvoiceID, e.Amount.Neg(), AccountGateway, e.Date, "payment disputed ("+e.GatewayDisputeReference+")")
}

// disputeClosed books a dispute's outcome: won, the amount back into
// clearing; lost, the dispute fee (if any) out of clearing as an expense.
func (b *builder) disputeClosed(r follow.Event, e invoice.InvoiceDisputeClosed) error {
	if e.Outcome == invoice.DisputeWon {
		b.flow(Flow{Kind: FlowDisputed, Date: e.Date, EventID: r.ID, Reference: e.GatewayDisputeReference, Amount: e.Amount.Neg()})
		return b.moneyIn(r, e.InvoiceID, e.Amount, AccountGateway, e.Date, "dispute won ("+e.GatewayDisputeReference+")")
	}
	if e.Fee.IsZero() {
		return nil
	}
	inv, err := b.invoice(e.InvoiceID)
	if err != nil {
		return err
	}
	b.flow(Flow{Kind: FlowDisputed, Date: e.Date, EventID: r.ID, Reference: e.GatewayDisputeReference, Amount: e.Fee})
	b.add(r, e.InvoiceID, inv, e.Date, "dispute lost: fee ("+e.GatewayDisputeReference+")",
		Posting{Account: AccountPaymentFees, Amount: e.Fee.Amount, Currency: inv.currency},
		Posting{Account: AccountGateway, Amount: e.Fee.Amount.Neg(), Currency: inv.currency},
	)
	return nil
}

// duplicateRefunded notes a payment the invoice refused and the gateway
// refunded at once: no transaction (the money came into the clearing
// account and went straight back out), but both movements are the clearing
// account's, so a payout settling the charge and its refund matches.
func (b *builder) duplicateRefunded(r follow.Event, e invoice.InvoiceDuplicatePaymentRefunded) {
	b.flow(Flow{Kind: FlowCollected, Date: e.Date, EventID: r.ID, Reference: e.GatewayReference, Amount: e.Amount})
	b.flow(Flow{Kind: FlowRefunded, Date: e.Date, EventID: r.ID, Reference: e.GatewayRefundReference, Amount: e.Amount})
}

// refundEventTypes are the refund and dispute events Build reads.
var refundEventTypes = []string{"InvoicePaymentRefunded", "InvoicePaymentDisputed", "InvoiceDisputeClosed", "InvoiceDuplicatePaymentRefunded"}
