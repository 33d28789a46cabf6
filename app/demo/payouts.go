package demo

import (
	"cmp"
	"slices"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/integrations/payments"
	"remit/integrations/payments/sandbox"
	"remit/processes/payouts"
)

// payoutBook holds the demo's collected payments until the sandbox pays
// them out: each day's, per currency, sandbox.PayoutDelayDays later, with
// the sandbox's fees, recorded through the payout sync's Record as the
// daily sync would.
type payoutBook struct {
	settled map[domain.Date][]settledCharge
}

type settledCharge struct {
	currency domain.Currency
	line     payments.PayoutLine
}

// settle notes a payment the sandbox collected on day d and plans its
// payout.
func (l *loader) settle(d domain.Date, reference string, invoiceID uuid.UUID, amount domain.Money, debit bool) {
	if l.payouts.settled == nil {
		l.payouts.settled = map[domain.Date][]settledCharge{}
	}
	token := "pm_card_"
	if debit {
		token = "pm_debit_"
	}
	fee := sandbox.FeeOf(token, amount.Amount, amount.Currency)
	l.settleLine(d, amount.Currency, payments.PayoutLine{
		Kind: payments.LineCharge, Reference: reference, InvoiceID: invoiceID, Gross: amount.Amount, Fee: fee, Net: amount.Amount.Sub(fee),
	})
}

// settleLine notes a balance transaction of day d (a charge, or money the
// gateway took back: a refund, a dispute, its fee) and plans its payout.
func (l *loader) settleLine(d domain.Date, cur domain.Currency, line payments.PayoutLine) {
	if l.payouts.settled == nil {
		l.payouts.settled = map[domain.Date][]settledCharge{}
	}
	if len(l.payouts.settled[d]) == 0 {
		l.plan(d.AddDays(sandbox.PayoutDelayDays), 6*60, "payout", func(day domain.Date) error { return l.payOut(d, day) })
	}
	l.payouts.settled[d] = append(l.payouts.settled[d], settledCharge{currency: cur, line: line})
}

// takeBack notes money the gateway took back on day d (gross, a negative
// amount with no fee) for its payout.
func (l *loader) takeBack(d domain.Date, kind payments.PayoutLineKind, reference string, invoiceID uuid.UUID, gross domain.Money) {
	l.settleLine(d, gross.Currency, payments.PayoutLine{Kind: kind, Reference: reference, InvoiceID: invoiceID, Gross: gross.Amount, Fee: decimal.Zero, Net: gross.Amount})
}

// payOut records the payouts of what settled on day d, on arrival day.
func (l *loader) payOut(d, arrival domain.Date) error {
	byCur := map[string][]settledCharge{}
	for _, s := range l.payouts.settled[d] {
		byCur[s.currency.Code] = append(byCur[s.currency.Code], s)
	}
	delete(l.payouts.settled, d)
	codes := make([]string, 0, len(byCur))
	for c := range byCur {
		codes = append(codes, c)
	}
	slices.SortFunc(codes, cmp.Compare)
	env := billing.Env{Store: l.store, Catalog: l.cat}
	for _, code := range codes {
		ss := byCur[code]
		p := payments.Payout{Reference: sandbox.DayPayoutReference(d, code), Currency: ss[0].currency, ArrivalDate: arrival, Status: "paid"}
		total := decimal.Zero
		for _, s := range ss {
			p.Lines = append(p.Lines, s.line)
			total = total.Add(s.line.Net)
		}
		p.Amount = domain.NewMoney(total, p.Currency)
		if _, _, err := payouts.Record(l.ctx, env, sandbox.Name, p, l.clk.Now()); err != nil {
			return err
		}
	}
	return nil
}
