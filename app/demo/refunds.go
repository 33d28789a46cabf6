package demo

import (
	"fmt"
	"remit/integrations/payments"
	"strings"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
)

// The demo's refund and dispute: three weeks before Today a partner refunds
// half of a card payment (a client's complaint upheld), and a client's bank
// disputes another card payment, which the firm loses ten days later with
// the gateway's fee. Both are recorded as the gateway would report them
// (deterministic references), with no randomness drawn, so the rest of the
// demo is as it was.

// disputeFee is the demo gateway's fee of a lost dispute.
var disputeFee = decimal.RequireFromString("15.00")

// planRefundAndDispute puts the refund and the dispute on the agenda.
func (l *loader) planRefundAndDispute() {
	on := weekday(l.today.AddDays(-21))
	l.plan(on, 11*60, "refund and dispute", func(d domain.Date) error {
		refunded, err := l.refundHalf(d)
		if err != nil {
			return err
		}
		disputed, cur, err := l.dispute(d, refunded)
		if err != nil || disputed == nil {
			return err
		}
		l.plan(weekday(d.AddDays(10)), 8*60, "dispute lost", func(day domain.Date) error {
			if _, err := l.svc.RecordDispute(l.ctx, *disputed, billing.Meta{Actor: actorGateway}); err != nil {
				return err
			}
			l.takeBack(day, payments.LineDisputeFee, disputed.GatewayDisputeReference, disputed.InvoiceID, domain.NewMoney(disputed.Fee.Neg(), cur))
			return nil
		})
		return nil
	})
}

// paidByCard returns the latest invoices paid in full by one gateway charge
// not yet refunded or disputed, skipping skip.
func (l *loader) paidByCard(skip *invoicePlan) (*invoicePlan, invoice.State, error) {
	for i := len(l.invoices) - 1; i >= 0; i-- {
		inv := l.invoices[i]
		if inv == skip {
			continue
		}
		st, err := l.readInvoice(inv.id)
		if err != nil {
			return nil, st, err
		}
		if st.Status == invoice.StatusPaid && len(st.ChargeRefs) == 1 && strings.HasPrefix(st.ChargeRefs[0], "ch_") && len(st.Refunds) == 0 && len(st.Disputes) == 0 && st.Credited.IsZero() {
			return inv, st, nil
		}
	}
	return nil, invoice.State{}, nil
}

// refundHalf refunds half of a card payment on day d.
func (l *loader) refundHalf(d domain.Date) (*invoicePlan, error) {
	inv, st, err := l.paidByCard(nil)
	if err != nil || inv == nil {
		return nil, err
	}
	half := st.Currency.Round(st.Paid.Amount.Div(decimal.NewFromInt(2)))
	m := billing.Meta{Actor: actorPartner, CommandID: "demo/refund/" + inv.id.String()}
	plan, err := l.svc.PlanRefund(l.ctx, billing.RefundRequest{InvoiceID: inv.id, Amount: &half, Reason: "Half the year-end work was not needed: client complaint upheld"}, m)
	if err != nil {
		return nil, fmt.Errorf("refund %s: %w", inv.number, err)
	}
	ref := "re_demo_" + plan.RefundID.String()[:8]
	if _, err := l.svc.RecordRefund(l.ctx, plan, ref, m); err != nil {
		return nil, fmt.Errorf("refund %s: %w", inv.number, err)
	}
	l.takeBack(d, payments.LineRefund, ref, inv.id, domain.NewMoney(half.Neg(), st.Currency))
	return inv, nil
}

// dispute records a dispute of a card payment and returns its lost outcome,
// to be recorded later.
func (l *loader) dispute(d domain.Date, skip *invoicePlan) (*billing.DisputeReport, domain.Currency, error) {
	inv, st, err := l.paidByCard(skip)
	if err != nil || inv == nil {
		return nil, domain.Currency{}, err
	}
	r := billing.DisputeReport{InvoiceID: inv.id, ChargeReference: st.ChargeRefs[0], GatewayDisputeReference: "dp_demo_" + inv.id.String()[:8],
		Amount: st.Paid.Amount, Reason: "product_not_received"}
	if _, err := l.svc.RecordDispute(l.ctx, r, billing.Meta{Actor: actorGateway}); err != nil {
		return nil, domain.Currency{}, fmt.Errorf("dispute %s: %w", inv.number, err)
	}
	l.takeBack(d, payments.LineDispute, r.GatewayDisputeReference, inv.id, domain.NewMoney(r.Amount.Neg(), st.Currency))
	r.Outcome, r.Fee = invoice.DisputeLost, disputeFee
	return &r, st.Currency, nil
}
