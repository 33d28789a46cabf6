package projections

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/invoice"
)

// RefundView is a refund of a collected gateway payment.
type RefundView struct {
	ID                     uuid.UUID
	GatewayReference       string // the charge refunded
	GatewayRefundReference string
	Amount                 domain.Money
	Reason                 string
	CreditNoteID           uuid.UUID // the credit note issued with it
	Date                   domain.Date
	At                     time.Time
}

// DisputeView is a dispute of a collected gateway payment.
type DisputeView struct {
	ID                      uuid.UUID
	GatewayReference        string // the charge disputed
	GatewayDisputeReference string
	Amount                  domain.Money
	Reason                  string
	Outcome                 invoice.DisputeOutcome // empty while open
	Fee                     domain.Money           // lost: the dispute fee
	Opened                  domain.Date
	Closed                  domain.Date
}

// Open reports whether the dispute has no outcome yet.
func (d DisputeView) Open() bool { return d.Outcome == "" }

// applyRefund keeps the invoice record's refunds, disputes and outstanding
// amount (a refund and a dispute take money back out: the outstanding amount
// grows by it, until the refund's credit note or a won dispute settles it).
func applyRefund(r *invoiceRecord, before invoice.State, e any, cur domain.Currency) {
	switch ev := e.(type) {
	case invoice.InvoicePaymentRefunded:
		if before.Refunds[ev.RefundID] {
			return
		}
		r.Refunds = append(r.Refunds, RefundView{ID: ev.RefundID, GatewayReference: ev.GatewayReference, GatewayRefundReference: ev.GatewayRefundReference,
			Amount: money(ev.Amount.Amount, cur), Reason: ev.Reason, CreditNoteID: ev.CreditNoteID, Date: ev.Date, At: ev.At})
		r.Outstanding = r.Outstanding.Add(ev.Amount.Amount)
	case invoice.InvoicePaymentDisputed:
		if _, seen := before.Disputes[ev.DisputeID]; seen {
			return
		}
		r.Disputes = append(r.Disputes, DisputeView{ID: ev.DisputeID, GatewayReference: ev.GatewayReference, GatewayDisputeReference: ev.GatewayDisputeReference,
			Amount: money(ev.Amount.Amount, cur), Reason: ev.Reason, Fee: money(decimal.Zero, cur), Opened: ev.Date})
		r.Outstanding = r.Outstanding.Add(ev.Amount.Amount)
	case invoice.InvoiceDisputeClosed:
		if d, ok := before.Disputes[ev.DisputeID]; !ok || d.Outcome != "" {
			return
		}
		for i := range r.Disputes {
			if r.Disputes[i].ID == ev.DisputeID {
				r.Disputes[i].Outcome, r.Disputes[i].Fee, r.Disputes[i].Closed = ev.Outcome, money(ev.Fee.Amount, cur), ev.Date
			}
		}
		if ev.Outcome == invoice.DisputeWon {
			r.Outstanding = r.Outstanding.Sub(ev.Amount.Amount)
		}
	}
}

// moneyOut is what refunds and unsettled disputes took back of the payments
// listed: payments − moneyOut is what the invoice records paid.
func (r invoiceRecord) moneyOut() decimal.Decimal {
	t := decimal.Zero
	for _, f := range r.Refunds {
		t = t.Add(f.Amount.Amount)
	}
	for _, d := range r.Disputes {
		if d.Outcome != invoice.DisputeWon {
			t = t.Add(d.Amount.Amount)
		}
	}
	return t
}
