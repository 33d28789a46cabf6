package gateways

import (
	"context"
	"fmt"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/integrations/payments"
	"remit/processes/billingrun"
)

// # Pay-now with surcharges
//
// When the firm surcharges a kind of method (firm.Surcharges), the pay-now
// page offers each kind as its own choice with its own amount, before the
// client chooses: "Pay by card: $X (includes a 1.50% card surcharge)",
// "Pay by bank debit: $Y". PayRequest.Kind opens a session restricted to
// that kind's method types, for the balance plus that kind's surcharge
// (invoice.SurchargeOn), with the surcharge's terms in the session's
// metadata; the payment is recorded with them, so the surcharge line is
// added with it (billingrun.RecordSurchargedAttempt). Each kind has its own
// session (its idempotency key ends in the kind): two tabs choosing the
// same kind get the same session and are charged once.

// Pay kinds: what PayRequest.Kind may be ("" offers every method type at
// the balance, as when the firm surcharges nothing).
const (
	PayByCard = "card"
	PayByBank = "bank_debit"
)

// PayChoice is one way to pay an invoice, with what it costs.
type PayChoice struct {
	Kind   string // PayByCard or PayByBank
	Amount domain.Money
	// Surcharge is what Amount includes beyond the balance (zero when
	// none), and Percent its percentage.
	Surcharge domain.Money
	Percent   string // "1.50"
}

// PayChoices are the ways to pay an invoice of balance and tax mode when
// the firm surcharges some kind of method: card, then the bank debit of
// the currency (none when it has none). Nil when the firm surcharges
// nothing: one choice of every method at the balance.
func PayChoices(f firm.State, balance domain.Money, mode domain.TaxMode) []PayChoice {
	if !f.Surcharges.Any() {
		return nil
	}
	choice := func(kind string, card bool) PayChoice {
		c := PayChoice{Kind: kind, Amount: balance, Surcharge: domain.Zero(balance.Currency)}
		if sur := billingrun.SurchargeFor(f, card); sur != nil {
			if _, amounts, ok := invoice.SurchargeOn(balance, mode, *sur); ok {
				c.Surcharge = amounts.Gross
				c.Amount = domain.Money{Amount: balance.Amount.Add(amounts.Gross.Amount), Currency: balance.Currency}
				c.Percent = sur.Percent.StringFixed(2)
			}
		}
		return c
	}
	out := []PayChoice{choice(PayByCard, true)}
	if len(MethodTypesFor(balance.Currency)) > 1 {
		out = append(out, choice(PayByBank, false))
	}
	return out
}

// kindTypes are the method types a pay kind offers.
func kindTypes(kind string, cur domain.Currency) []payments.MethodType {
	all := MethodTypesFor(cur)
	switch kind {
	case PayByCard:
		return all[:1]
	case PayByBank:
		return all[1:]
	}
	return all
}

// foldFirm reads the firm's settings.
func foldFirm(ctx context.Context, store eventstore.Store) (firm.State, error) {
	var f firm.State
	recs, err := store.ReadStream(ctx, firm.StreamName(), 0, eventstore.Forward, 0)
	if err != nil {
		return f, fmt.Errorf("read the firm: %w", err)
	}
	cat := catalog.New()
	for _, rec := range recs {
		e, err := cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return f, fmt.Errorf("firm: %w", err)
		}
		f = firm.Evolve(f, e)
	}
	return f, nil
}

// paySurcharge is the surcharge a pay-now session of kind adds (nil: none).
func (p *PayNow) paySurcharge(ctx context.Context, kind string) (*invoice.Surcharge, error) {
	if kind != PayByCard && kind != PayByBank {
		return nil, nil
	}
	f, err := foldFirm(ctx, p.Store)
	if err != nil {
		return nil, err
	}
	return billingrun.SurchargeFor(f, kind == PayByCard), nil
}
