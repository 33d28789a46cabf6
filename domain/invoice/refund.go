package invoice

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// Refunds and disputes of collected gateway payments.
//
// A refund gives back part or all of what one gateway charge collected. It
// is recorded once the gateway has made it, as two events appended together:
// InvoicePaymentRefunded (the money went out: Paid falls by the amount, so
// the balance grows by it) then InvoiceCreditNoteIssued for the same amount
// (the credit note that settles what the refund reopened). The invoice's
// balance and totals therefore agree before and after: total = payments −
// refunds + credits + write-offs + outstanding, with the refund's credit note
// among the credits, pushed to the ledger and posted to the journal like any
// other credit note.
//
// A dispute (a chargeback) is the client's bank taking back what a charge
// collected: InvoicePaymentDisputed lowers Paid by the disputed amount, so
// the invoice is awaiting payment again (partly paid when other money
// stays). InvoiceDisputeClosed records the outcome: won, the money comes back
// (Paid is restored); lost, it stays reversed and the gateway's dispute fee
// is recorded, and the invoice stays awaiting payment for staff to collect
// again, credit or write off.
//
// Invariants (decide):
//   - a refund names a charge this invoice collected (InvoicePaymentSucceeded's
//     gateway reference) and refunds at most what that charge collected minus
//     its earlier refunds and its lost disputes;
//   - a charge under an open dispute cannot be refunded (the gateways refuse it);
//   - a dispute disputes at most what the charge collected minus its refunds;
//   - a refund, dispute or dispute outcome recorded twice (same id) appends
//     nothing; a dispute closed twice with different outcomes is a conflict.

// DisputeOutcome is how a dispute ended.
type DisputeOutcome string

// Dispute outcomes.
const (
	DisputeWon  DisputeOutcome = "won"  // the money came back: the payment is restored
	DisputeLost DisputeOutcome = "lost" // the money stays with the client's bank: the payment is reversed
)

// InvoicePaymentRefunded records that the gateway refunded part or all of one
// collected charge. CreditNoteID names the InvoiceCreditNoteIssued appended
// with it for the same amount.
type InvoicePaymentRefunded struct {
	InvoiceID uuid.UUID `json:"invoice_id"`
	RefundID  uuid.UUID `json:"refund_id"`
	// GatewayReference is the charge refunded (InvoicePaymentSucceeded's).
	GatewayReference string `json:"gateway_reference"`
	// GatewayRefundReference is the gateway's id of the refund (re_…).
	GatewayRefundReference string       `json:"gateway_refund_reference"`
	Amount                 domain.Money `json:"amount"`
	Reason                 string       `json:"reason"`
	CreditNoteID           uuid.UUID    `json:"credit_note_id"`
	Date                   domain.Date  `json:"date"`
	At                     time.Time    `json:"at"`
}

// InvoicePaymentDisputed records that the client's bank disputed a collected
// charge and took the amount back while the dispute runs.
type InvoicePaymentDisputed struct {
	InvoiceID uuid.UUID `json:"invoice_id"`
	DisputeID uuid.UUID `json:"dispute_id"`
	// GatewayReference is the charge disputed (InvoicePaymentSucceeded's).
	GatewayReference string `json:"gateway_reference"`
	// GatewayDisputeReference is the gateway's id of the dispute (dp_…).
	GatewayDisputeReference string       `json:"gateway_dispute_reference"`
	Amount                  domain.Money `json:"amount"`
	// Reason is the gateway's reason code, e.g. "fraudulent", "product_not_received".
	Reason string      `json:"reason"`
	Date   domain.Date `json:"date"`
	At     time.Time   `json:"at"`
}

// InvoiceDisputeClosed records a dispute's outcome: won (the disputed amount
// is back) or lost (it stays reversed, and Fee is what the gateway charged
// for the dispute).
type InvoiceDisputeClosed struct {
	InvoiceID               uuid.UUID      `json:"invoice_id"`
	DisputeID               uuid.UUID      `json:"dispute_id"`
	GatewayReference        string         `json:"gateway_reference"`
	GatewayDisputeReference string         `json:"gateway_dispute_reference"`
	Outcome                 DisputeOutcome `json:"outcome"`
	Amount                  domain.Money   `json:"amount"` // the disputed amount, restored (won) or lost
	Fee                     domain.Money   `json:"fee"`    // the dispute fee (lost); zero when won
	Date                    domain.Date    `json:"date"`
	At                      time.Time      `json:"at"`
}

// EventType returns "InvoicePaymentRefunded".
func (InvoicePaymentRefunded) EventType() string { return "InvoicePaymentRefunded" }

// EventType returns "InvoicePaymentDisputed".
func (InvoicePaymentDisputed) EventType() string { return "InvoicePaymentDisputed" }

// EventType returns "InvoiceDisputeClosed".
func (InvoiceDisputeClosed) EventType() string { return "InvoiceDisputeClosed" }

// Charge is what one gateway charge of the invoice collected and what
// happened to it since.
type Charge struct {
	Reference string
	Amount    domain.Money // collected
	Refunded  domain.Money // refunded so far
	Disputed  domain.Money // under an open dispute
	Lost      domain.Money // reversed by lost disputes
}

// Refundable is what may still be refunded of the charge: collected −
// refunded − lost; nothing while a dispute is open.
func (c Charge) Refundable() domain.Money {
	if c.Disputed.Amount.IsPositive() {
		return domain.Zero(c.Amount.Currency)
	}
	return domain.Money{Amount: c.Amount.Amount.Sub(c.Refunded.Amount).Sub(c.Lost.Amount), Currency: c.Amount.Currency}
}

// Disputable is what a new dispute may take back: collected − refunded −
// disputed − lost.
func (c Charge) Disputable() domain.Money {
	return domain.Money{Amount: c.Amount.Amount.Sub(c.Refunded.Amount).Sub(c.Disputed.Amount).Sub(c.Lost.Amount), Currency: c.Amount.Currency}
}

// Dispute is a dispute recorded on the invoice.
type Dispute struct {
	ID               uuid.UUID
	GatewayReference string
	Reference        string // the gateway's dispute id
	Amount           domain.Money
	Reason           string
	Outcome          DisputeOutcome // empty while open
	Fee              domain.Money
}

// RefundPayment records a refund the gateway made of one collected charge,
// and issues its credit note. The caller asks the gateway first (with an
// idempotency key derived from RefundID) and validates with CheckRefund
// before that, so a refund the invoice would refuse is never made.
type RefundPayment struct {
	RefundID     uuid.UUID
	CreditNoteID uuid.UUID
	// GatewayReference names the charge refunded (problems with it are reported as "charge_reference", the API's name).
	GatewayReference       string
	GatewayRefundReference string
	Amount                 domain.Money
	Reason                 string
	Date                   domain.Date
	Now                    time.Time
}

// RecordDispute records a dispute the gateway reported on a collected
// charge. DisputeID is derived by the caller from the gateway's dispute id.
type RecordDispute struct {
	DisputeID               uuid.UUID
	GatewayReference        string
	GatewayDisputeReference string
	Amount                  domain.Money
	Reason                  string
	Date                    domain.Date
	Now                     time.Time
}

// CloseDispute records a dispute's outcome; Fee is the gateway's dispute fee
// (lost only).
type CloseDispute struct {
	DisputeID uuid.UUID
	Outcome   DisputeOutcome
	Fee       domain.Money
	Date      domain.Date
	Now       time.Time
}

func (RefundPayment) invoiceCommand() {}
func (RecordDispute) invoiceCommand() {}
func (CloseDispute) invoiceCommand()  {}

// CheckRefund reports whether c may be recorded on s, without its gateway
// refund reference (the gateway has not been asked yet): the check made
// before the gateway is asked, the same one decide makes after.
func CheckRefund(s State, c RefundPayment) error {
	if c.GatewayRefundReference == "" {
		c.GatewayRefundReference = "(not yet asked)"
	}
	_, err := refundPayment(s, c)
	return err
}

func refundPayment(s State, c RefundPayment) ([]domain.Event, error) {
	if err := usable(s, "be refunded"); err != nil {
		return nil, err
	}
	if c.RefundID == uuid.Nil {
		return nil, domain.Invalid("refund_id", "a refund id is required")
	}
	if s.Refunds[c.RefundID] {
		return nil, nil // already recorded
	}
	if len(s.ChargeRefs) == 0 {
		return nil, domain.Conflict("Invoice %s has no payment collected through the payment gateway to refund.", s.Number)
	}
	var p domain.Problems
	if c.CreditNoteID == uuid.Nil {
		p.Add("credit_note_id", "a credit note id is required")
	} else if s.CreditNotes[c.CreditNoteID] {
		p.Add("credit_note_id", "this credit note was already issued")
	}
	ch, ok := s.Charges[c.GatewayReference]
	if !ok {
		p.Add("charge_reference", "invoice %s collected no payment %q", s.Number, c.GatewayReference)
	} else if ch.Disputed.Amount.IsPositive() {
		return nil, domain.Conflict("Payment %s on invoice %s is under dispute and cannot be refunded until the dispute closes.", c.GatewayReference, s.Number)
	}
	checkAmount(&p, s, "amount", c.Amount)
	reason := strings.TrimSpace(c.Reason)
	if reason == "" {
		p.Add("reason", "say why the payment is refunded")
	}
	if strings.TrimSpace(c.GatewayRefundReference) == "" {
		p.Add("gateway_refund_reference", "a refund needs the gateway's reference")
	}
	if c.Date.IsZero() {
		p.Add("date", "a refund needs its date")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if left := ch.Refundable(); c.Amount.Amount.GreaterThan(left.Amount) {
		return nil, domain.Invalid("amount", "a refund of %s is more than the %s left to refund of this payment", c.Amount, left)
	}
	return []domain.Event{
		InvoicePaymentRefunded{
			InvoiceID: s.ID, RefundID: c.RefundID, GatewayReference: c.GatewayReference,
			GatewayRefundReference: strings.TrimSpace(c.GatewayRefundReference), Amount: c.Amount, Reason: reason,
			CreditNoteID: c.CreditNoteID, Date: c.Date, At: c.Now,
		},
		InvoiceCreditNoteIssued{InvoiceID: s.ID, CreditNoteID: c.CreditNoteID, Amount: c.Amount, Reason: "Refund: " + reason, At: c.Now},
	}, nil
}

func recordDispute(s State, c RecordDispute) ([]domain.Event, error) {
	if s.Status == StatusNone {
		return nil, domain.NotFound("There is no such invoice.")
	}
	if c.DisputeID == uuid.Nil {
		return nil, domain.Invalid("dispute_id", "a dispute id is required")
	}
	if _, ok := s.Disputes[c.DisputeID]; ok {
		return nil, nil // the gateway told us twice
	}
	var p domain.Problems
	ch, ok := s.Charges[c.GatewayReference]
	if !ok {
		p.Add("gateway_reference", "invoice %s collected no payment %q", s.Number, c.GatewayReference)
	}
	checkAmount(&p, s, "amount", c.Amount)
	if strings.TrimSpace(c.GatewayDisputeReference) == "" {
		p.Add("gateway_dispute_reference", "a dispute needs the gateway's reference")
	}
	if c.Date.IsZero() {
		p.Add("date", "a dispute needs its date")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if left := ch.Disputable(); c.Amount.Amount.GreaterThan(left.Amount) {
		return nil, domain.Invalid("amount", "a dispute of %s is more than the %s this payment still holds", c.Amount, left)
	}
	return []domain.Event{InvoicePaymentDisputed{
		InvoiceID: s.ID, DisputeID: c.DisputeID, GatewayReference: c.GatewayReference,
		GatewayDisputeReference: strings.TrimSpace(c.GatewayDisputeReference), Amount: c.Amount,
		Reason: strings.TrimSpace(c.Reason), Date: c.Date, At: c.Now,
	}}, nil
}

func closeDispute(s State, c CloseDispute) ([]domain.Event, error) {
	if s.Status == StatusNone {
		return nil, domain.NotFound("There is no such invoice.")
	}
	d, ok := s.Disputes[c.DisputeID]
	if !ok {
		return nil, domain.NotFound("Invoice %s has no such dispute.", s.Number)
	}
	if c.Outcome != DisputeWon && c.Outcome != DisputeLost {
		return nil, domain.Invalid("outcome", "a dispute is either won or lost")
	}
	if d.Outcome == c.Outcome {
		return nil, nil // already closed so
	}
	if d.Outcome != "" {
		return nil, domain.Conflict("Dispute %s on invoice %s was already closed as %s.", d.Reference, s.Number, d.Outcome)
	}
	fee := domain.Zero(s.Currency)
	if c.Outcome == DisputeLost && !c.Fee.IsZero() {
		var p domain.Problems
		checkAmount(&p, s, "fee", c.Fee)
		if err := p.Err(); err != nil {
			return nil, err
		}
		fee = c.Fee
	}
	if c.Date.IsZero() {
		return nil, domain.Invalid("date", "a dispute's outcome needs its date")
	}
	return []domain.Event{InvoiceDisputeClosed{
		InvoiceID: s.ID, DisputeID: d.ID, GatewayReference: d.GatewayReference, GatewayDisputeReference: d.Reference,
		Outcome: c.Outcome, Amount: d.Amount, Fee: fee, Date: c.Date, At: c.Now,
	}}, nil
}

// evolveRefunds applies the events of this file and the charge a successful
// collection records; ok is false for other events.
func evolveRefunds(s State, e domain.Event) (State, bool) {
	switch e := e.(type) {
	case InvoicePaymentRefunded:
		s.Refunds = with(s.Refunds, e.RefundID, true)
		s = s.withCharge(e.GatewayReference, func(c *Charge) { c.Refunded = plus(c.Refunded, e.Amount) })
		s.Paid = minus(s.Paid, e.Amount)
		s.Refunded = plus(s.Refunded, e.Amount)
		// The credit note appended with it sets the status.
	case InvoicePaymentDisputed:
		s.Disputes = with(s.Disputes, e.DisputeID, Dispute{ID: e.DisputeID, GatewayReference: e.GatewayReference,
			Reference: e.GatewayDisputeReference, Amount: e.Amount, Reason: e.Reason, Fee: domain.Zero(s.Currency)})
		s = s.withCharge(e.GatewayReference, func(c *Charge) { c.Disputed = plus(c.Disputed, e.Amount) })
		s.Paid = minus(s.Paid, e.Amount)
		s.Status = s.afterMoneyOut()
	case InvoiceDisputeClosed:
		d := s.Disputes[e.DisputeID]
		d.Outcome, d.Fee = e.Outcome, e.Fee
		s.Disputes = with(s.Disputes, e.DisputeID, d)
		s = s.withCharge(e.GatewayReference, func(c *Charge) {
			c.Disputed = minus(c.Disputed, e.Amount)
			if e.Outcome == DisputeLost {
				c.Lost = plus(c.Lost, e.Amount)
			}
		})
		if e.Outcome == DisputeWon {
			s.Paid = plus(s.Paid, e.Amount)
			s.Status = s.afterMoneyIn()
		}
	case InvoiceDuplicatePaymentRefunded:
		s.Duplicates = with(s.Duplicates, e.AttemptID, true) // money in and out: nothing else changes
	default:
		return s, false
	}
	return s, true
}

// recordCharge notes a collected gateway charge.
func (s State) recordCharge(e InvoicePaymentSucceeded) State {
	if e.GatewayReference == "" {
		return s
	}
	if _, ok := s.Charges[e.GatewayReference]; !ok {
		s.ChargeRefs = append(s.ChargeRefs[:len(s.ChargeRefs):len(s.ChargeRefs)], e.GatewayReference)
	}
	return s.withCharge(e.GatewayReference, func(c *Charge) { c.Amount = plus(c.Amount, e.Amount) })
}

// withCharge returns s with the charge ref changed by f (copied on write).
func (s State) withCharge(ref string, f func(*Charge)) State {
	c, ok := s.Charges[ref]
	if !ok {
		z := domain.Zero(s.Currency)
		c = Charge{Reference: ref, Amount: z, Refunded: z, Disputed: z, Lost: z}
	}
	f(&c)
	out := make(map[string]Charge, len(s.Charges)+1)
	for k, v := range s.Charges {
		out[k] = v
	}
	out[ref] = c
	s.Charges = out
	return s
}

// afterMoneyOut is the status once a dispute took money back: awaiting
// payment, or partly paid while other money stays.
func (s State) afterMoneyOut() Status {
	switch {
	case s.Status == StatusWrittenOff:
		return s.Status
	case !s.Balance().Amount.IsPositive():
		return StatusPaid
	case s.AnyPaymentCollected():
		return StatusPartlyPaid
	}
	return StatusAwaitingPayment
}

// OpenDispute returns an open dispute, if any.
func (s State) OpenDispute() (Dispute, bool) {
	for _, d := range s.Disputes {
		if d.Outcome == "" {
			return d, true
		}
	}
	return Dispute{}, false
}

// RefundableCharge is the charge a refund with no charge named refunds: the
// last collected charge with anything left to refund.
func (s State) RefundableCharge() (Charge, bool) {
	for i := len(s.ChargeRefs) - 1; i >= 0; i-- {
		c := s.Charges[s.ChargeRefs[i]]
		if c.Refundable().Amount.IsPositive() {
			return c, true
		}
	}
	return Charge{}, false
}

func plus(a, b domain.Money) domain.Money {
	return domain.Money{Amount: a.Amount.Add(b.Amount), Currency: b.Currency}
}

func minus(a, b domain.Money) domain.Money {
	return domain.Money{Amount: a.Amount.Sub(b.Amount), Currency: b.Currency}
}
