package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/invoice"
	"remit/eventstore"
)

// Refunds and disputes of collected gateway payments (see
// domain/invoice/refund.go). A refund is two steps around the gateway's
// call, which processes/refunds makes: PlanRefund checks it and fixes its
// ids, charge and amount; RecordRefund records what the gateway answered,
// with the refund's credit note. Disputes are recorded from the gateway's
// reports: RecordDispute, then CloseDispute.

// RefundRequest asks to refund a collected gateway payment of an invoice.
type RefundRequest struct {
	InvoiceID uuid.UUID `json:"invoice_id"`
	// RefundID is optional: derived from the command id when empty, so a
	// request retried with the same command id (Idempotency-Key) names the
	// same refund, and the gateway refunds once.
	RefundID uuid.UUID `json:"refund_id,omitzero"`
	// ChargeReference names the charge to refund; empty: the last collected
	// charge with something left to refund.
	ChargeReference string `json:"charge_reference,omitempty"`
	// Amount is optional: nil refunds all that is left of the charge.
	Amount *decimal.Decimal `json:"amount,omitempty"`
	Reason string           `json:"reason"`
}

// RefundPlan is a checked refund, ready for the gateway.
type RefundPlan struct {
	InvoiceID       uuid.UUID
	Number          string
	RefundID        uuid.UUID
	CreditNoteID    uuid.UUID
	ChargeReference string
	Amount          domain.Money
	Reason          string
	Date            domain.Date
	// Recorded is true when the refund is already recorded: nothing is
	// left to do.
	Recorded bool
}

// RefundCreditNoteID is the id of the credit note a refund issues.
func RefundCreditNoteID(refundID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(EventNamespace, []byte("refund-credit-note/"+refundID.String()))
}

// PlanRefund checks a refund against the invoice as it stands, as the
// refund's own command would be checked, and fills in what the request left
// out. Nothing is appended.
func (s *Service) PlanRefund(ctx context.Context, r RefundRequest, meta Meta) (RefundPlan, error) {
	meta = s.begin(meta)
	// The command handler would refuse it only after the gateway refunded
	// (and the reason travels to the gateway): check it first.
	if err := domain.CheckText(r); err != nil {
		return RefundPlan{}, err
	}
	st, err := s.invoiceState(ctx, r.InvoiceID)
	if err != nil {
		return RefundPlan{}, err
	}
	f, err := s.firm(ctx)
	if err != nil {
		return RefundPlan{}, err
	}
	id := pick(r.RefundID, meta, "refund")
	p := RefundPlan{InvoiceID: st.ID, Number: st.Number, RefundID: id, CreditNoteID: RefundCreditNoteID(id),
		ChargeReference: strings.TrimSpace(r.ChargeReference), Reason: strings.TrimSpace(r.Reason), Date: s.today(f, s.now())}
	if st.Refunds[id] {
		p.Recorded = true
		return p, nil
	}
	if p.ChargeReference == "" {
		if c, ok := st.RefundableCharge(); ok {
			p.ChargeReference = c.Reference
		} else if len(st.ChargeRefs) > 0 {
			p.ChargeReference = st.ChargeRefs[len(st.ChargeRefs)-1]
		}
	}
	if r.Amount != nil {
		p.Amount = domain.Money{Amount: *r.Amount, Currency: st.Currency}
	} else if c, ok := st.Charges[p.ChargeReference]; ok {
		p.Amount = c.Refundable()
	}
	return p, invoice.CheckRefund(st, p.command("", s.now()))
}

func (p RefundPlan) command(gatewayRef string, now time.Time) invoice.RefundPayment {
	return invoice.RefundPayment{RefundID: p.RefundID, CreditNoteID: p.CreditNoteID, GatewayReference: p.ChargeReference,
		GatewayRefundReference: gatewayRef, Amount: p.Amount, Reason: p.Reason, Date: p.Date, Now: now}
}

// RecordRefund records a planned refund the gateway made (its reference
// gatewayRef), with its credit note; Result.ID is the refund's id.
// Recording it twice appends nothing.
func (s *Service) RecordRefund(ctx context.Context, p RefundPlan, gatewayRef string, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.invoice(ctx, p.command(gatewayRef, s.now()), p.InvoiceID, meta, p.RefundID)
}

// DisputeReport is a gateway's report of a dispute on a charge an invoice
// collected.
type DisputeReport struct {
	InvoiceID               uuid.UUID
	ChargeReference         string
	GatewayDisputeReference string
	Amount                  decimal.Decimal
	Reason                  string
	// Outcome is empty while the dispute is open.
	Outcome invoice.DisputeOutcome
	Fee     decimal.Decimal
}

// DisputeID is Remit's id of the gateway's dispute ref: reported twice, or
// by webhook and poll, it is the same dispute.
func DisputeID(ref string) uuid.UUID {
	return uuid.NewSHA1(EventNamespace, []byte("dispute/"+ref))
}

// RecordDispute records a dispute (once) and, when the report carries its
// outcome, its close (once); Result.ID is the dispute's id.
func (s *Service) RecordDispute(ctx context.Context, r DisputeReport, meta Meta) (Result, error) {
	st, err := s.invoiceState(ctx, r.InvoiceID)
	if err != nil {
		return Result{}, err
	}
	f, err := s.firm(ctx)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	today := s.today(f, now)
	id := DisputeID(r.GatewayDisputeReference)
	m := meta
	m.CommandID = "dispute/" + r.GatewayDisputeReference + "/opened"
	res, err := s.invoice(ctx, invoice.RecordDispute{DisputeID: id, GatewayReference: r.ChargeReference, GatewayDisputeReference: r.GatewayDisputeReference,
		Amount: domain.Money{Amount: r.Amount, Currency: st.Currency}, Reason: r.Reason, Date: today, Now: now}, r.InvoiceID, m, id)
	if err != nil || r.Outcome == "" {
		return res, err
	}
	m.CommandID = "dispute/" + r.GatewayDisputeReference + "/" + string(r.Outcome)
	closed, err := s.invoice(ctx, invoice.CloseDispute{DisputeID: id, Outcome: r.Outcome, Fee: domain.Money{Amount: r.Fee, Currency: st.Currency}, Date: today, Now: now}, r.InvoiceID, m, id)
	if err != nil {
		return res, err
	}
	closed.Position = max(closed.Position, res.Position)
	return closed, nil
}

// InvoiceOfCharge finds the invoice whose collection made the gateway
// charge ref (uuid.Nil when none did). It reads every collected payment of
// the log: a gateway's dispute names only its charge, and disputes are rare.
func InvoiceOfCharge(ctx context.Context, store eventstore.Store, ref string) (uuid.UUID, error) {
	recs, err := store.ReadAll(ctx, 0, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"InvoicePaymentSucceeded"}})
	if err != nil {
		return uuid.Nil, fmt.Errorf("find the invoice of charge %s: %w", ref, err)
	}
	for _, rec := range recs {
		var e struct {
			InvoiceID        uuid.UUID `json:"invoice_id"`
			GatewayReference string    `json:"gateway_reference"`
		}
		if json.Unmarshal(rec.Data, &e) == nil && e.GatewayReference == ref {
			return e.InvoiceID, nil
		}
	}
	return uuid.Nil, nil
}

// DuplicateRefund is a payment the invoice refused (nothing was left to
// pay), refunded in full by the gateway.
type DuplicateRefund struct {
	InvoiceID              uuid.UUID
	AttemptID              uuid.UUID
	ChargeReference        string
	GatewayRefundReference string
	Amount                 domain.Money
}

// RecordDuplicateRefund records a refunded duplicate payment on its
// invoice, dated the firm's today; recording it again appends nothing.
func (s *Service) RecordDuplicateRefund(ctx context.Context, r DuplicateRefund, meta Meta) (Result, error) {
	f, err := s.firm(ctx)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	m := meta
	m.CommandID = "duplicate/" + r.AttemptID.String()
	return s.invoice(ctx, invoice.RecordDuplicateRefund{AttemptID: r.AttemptID, GatewayReference: r.ChargeReference,
		GatewayRefundReference: r.GatewayRefundReference, Amount: r.Amount, Date: s.today(f, now), Now: now}, r.InvoiceID, m, r.AttemptID)
}
