package invoice

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// A duplicate payment is money the gateway took for an invoice that had
// nothing left to pay when it came to be recorded: the client paid in two
// browser tabs (by card in one, by bank debit in the other), or paid from a
// pay-now link while a collection of the same balance went through. The
// invoice refuses it as a payment, so the gateway refunds it in full at once
// and InvoiceDuplicatePaymentRefunded records both facts together: the
// invoice's balance and totals do not change (the money came in and went
// straight back out), the journal's clearing account sees it collected and
// refunded, and a payout that settles the charge and its refund matches.

// InvoiceDuplicatePaymentRefunded records a payment the invoice could not
// take (nothing was left to pay) and its full refund by the gateway.
type InvoiceDuplicatePaymentRefunded struct {
	InvoiceID uuid.UUID `json:"invoice_id"`
	// AttemptID is the attempt the payment was made as (its pay-now session's).
	AttemptID uuid.UUID `json:"attempt_id"`
	// GatewayReference is the charge (pi_…, ch_…) and GatewayRefundReference its refund (re_…).
	GatewayReference       string       `json:"gateway_reference"`
	GatewayRefundReference string       `json:"gateway_refund_reference"`
	Amount                 domain.Money `json:"amount"`
	Date                   domain.Date  `json:"date"`
	At                     time.Time    `json:"at"`
}

// EventType returns "InvoiceDuplicatePaymentRefunded".
func (InvoiceDuplicatePaymentRefunded) EventType() string { return "InvoiceDuplicatePaymentRefunded" }

// RecordDuplicateRefund records a payment the invoice refused, refunded in
// full by the gateway.
type RecordDuplicateRefund struct {
	AttemptID              uuid.UUID
	GatewayReference       string
	GatewayRefundReference string
	Amount                 domain.Money
	Date                   domain.Date
	Now                    time.Time
}

func (RecordDuplicateRefund) invoiceCommand() {}

func recordDuplicateRefund(s State, c RecordDuplicateRefund) ([]domain.Event, error) {
	// A void invoice takes it too: it records money the gateway already
	// gave back, not a change anyone makes.
	if !s.Issued() {
		return nil, domain.NotFound("There is no such invoice.")
	}
	var p domain.Problems
	if c.AttemptID == uuid.Nil {
		p.Add("attempt_id", "an attempt id is required")
	}
	if strings.TrimSpace(c.GatewayReference) == "" {
		p.Add("gateway_reference", "name the charge refunded")
	}
	if strings.TrimSpace(c.GatewayRefundReference) == "" {
		p.Add("gateway_refund_reference", "name the gateway's refund")
	}
	if !c.Amount.Amount.IsPositive() || c.Amount.Currency != s.Currency {
		p.Add("amount", "the amount refunded is a positive amount in the invoice's currency (%s)", s.Currency.Code)
	}
	if c.Date.IsZero() {
		p.Add("date", "the refund needs its date")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if s.Duplicates[c.AttemptID] {
		return nil, nil // recorded already (the redirect and the webhook both saw it)
	}
	if _, ok := s.Attempts[c.AttemptID]; ok {
		return nil, domain.Conflict("Attempt %s on invoice %s was recorded as a payment: refund it as one.", c.AttemptID, s.Number)
	}
	return []domain.Event{InvoiceDuplicatePaymentRefunded{
		InvoiceID: s.ID, AttemptID: c.AttemptID, GatewayReference: strings.TrimSpace(c.GatewayReference),
		GatewayRefundReference: strings.TrimSpace(c.GatewayRefundReference), Amount: c.Amount, Date: c.Date, At: c.Now,
	}}, nil
}
