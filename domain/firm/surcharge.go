package firm

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// # Surcharges
//
// A firm may pass the gateway's fee on to the client as a surcharge: a
// percentage of the amount charged, per kind of method (Surcharges). Cards
// only, say: a bank debit is never surcharged unless the firm sets a bank
// debit percentage too. The surcharge is added to the invoice as its own line
// ("Card surcharge (1.50%)") when, and only when, the charge it belongs to
// succeeds (see the invoice package), taxed at the rate Surcharges names
// or, when it names none, at the firm's default tax rate at the time of the
// charge (no default: no tax).
//
// A percentage is 0 to MaxSurchargePercent with at most 2 decimals. The cap
// is what card schemes and regulators allow in the firm's likely markets:
// Australia (RBA: no more than the firm's cost of acceptance, commonly 1 to
// 2 % for cards), the UK and the EU (consumer card surcharges banned since
// 2018 under PSD2 / the Consumer Rights (Payment Surcharges) Regulations:
// a UK or EU firm surcharging consumers must leave it at 0), the US (card
// network rules cap credit card surcharges at 3 %, some states ban them).
// 5 % is a ceiling that refuses typing mistakes (15 for 1.5); the firm is
// responsible for the rules of its market.

// MaxSurchargePercent is the highest surcharge percentage a firm may set.
var MaxSurchargePercent = decimal.NewFromInt(5)

// Surcharges is what a firm adds to a charge, by kind of method.
type Surcharges struct {
	// Card is the percentage added to a card charge (0: none).
	Card decimal.Decimal `json:"card"`
	// BankDebit is the percentage added to a bank debit (0, the default:
	// none).
	BankDebit decimal.Decimal `json:"bank_debit"`
	// TaxRateID is the tax rate the surcharge line is taxed at; uuid.Nil:
	// the firm's default tax rate when the surcharge is added.
	TaxRateID uuid.UUID `json:"tax_rate_id,omitzero"`
}

// Any reports whether some kind of method is surcharged.
func (s Surcharges) Any() bool { return s.Card.IsPositive() || s.BankDebit.IsPositive() }

// FirmSurchargesChanged records the firm's new surcharges.
type FirmSurchargesChanged struct {
	Surcharges Surcharges `json:"surcharges"`
	At         time.Time  `json:"at"`
}

// EventType returns "FirmSurchargesChanged".
func (FirmSurchargesChanged) EventType() string { return "FirmSurchargesChanged" }

// ChangeSurcharges sets the firm's surcharges (all three at once).
type ChangeSurcharges struct {
	Surcharges Surcharges
	Now        time.Time
}

func (ChangeSurcharges) isFirmCommand() {}

func changeSurcharges(s State, c ChangeSurcharges) ([]domain.Event, error) {
	var p domain.Problems
	checkSurchargePercent(&p, "surcharges.card", c.Surcharges.Card)
	checkSurchargePercent(&p, "surcharges.bank_debit", c.Surcharges.BankDebit)
	if id := c.Surcharges.TaxRateID; id != uuid.Nil {
		if _, ok := s.TaxRate(id); !ok {
			p.Add("surcharges.tax_rate_id", "choose one of the firm's tax rates, or the default")
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	next := Surcharges{Card: c.Surcharges.Card.Round(2), BankDebit: c.Surcharges.BankDebit.Round(2), TaxRateID: c.Surcharges.TaxRateID}
	if next.Card.Equal(s.Surcharges.Card) && next.BankDebit.Equal(s.Surcharges.BankDebit) && next.TaxRateID == s.Surcharges.TaxRateID {
		return nil, nil
	}
	return []domain.Event{FirmSurchargesChanged{Surcharges: next, At: c.Now}}, nil
}

func checkSurchargePercent(p *domain.Problems, field string, d decimal.Decimal) {
	switch {
	case d.IsNegative():
		p.Add(field, "a surcharge cannot be negative")
	case d.GreaterThan(MaxSurchargePercent):
		p.Add(field, "a surcharge is at most %s%% (card schemes and regulators cap it; many markets ban it)", MaxSurchargePercent)
	case !d.Equal(d.Round(2)):
		p.Add(field, "a surcharge has at most 2 decimals, like 1.75")
	}
}

// SurchargeTerms are what a charge of one kind of method adds: the
// percentage and the tax rate (percent) of the surcharge line.
type SurchargeTerms struct {
	Percent decimal.Decimal
	TaxRate decimal.Decimal
}

// Surcharge returns the terms of the surcharge on a charge from a card
// (card) or a bank debit (!card), and false when that kind is not
// surcharged.
func (s State) Surcharge(card bool) (SurchargeTerms, bool) {
	pct := s.Surcharges.BankDebit
	if card {
		pct = s.Surcharges.Card
	}
	if !pct.IsPositive() {
		return SurchargeTerms{}, false
	}
	t := SurchargeTerms{Percent: pct, TaxRate: decimal.Zero}
	if r, ok := s.TaxRate(s.Surcharges.TaxRateID); ok && s.Surcharges.TaxRateID != uuid.Nil {
		t.TaxRate = r.Rate
	} else if r, ok := s.DefaultTaxRate(); ok {
		t.TaxRate = r.Rate
	}
	return t, true
}
