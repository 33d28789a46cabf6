package invoice

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// # Surcharges
//
// A firm may pass the card fee on (remit/domain/firm: Surcharges). The
// surcharge is added with the successful payment it belongs to, never
// before: RecordCollectionAttempt with a Surcharge records
// InvoiceSurchargeAdded (the surcharge line, its tax, the new totals) and
// InvoicePaymentSucceeded in one append, and the amount charged is the
// balance plus the surcharge line's gross amount. A rejected attempt adds
// nothing, so there is nothing to take back, and an attempt recorded twice
// (a crash between the charge and its record, the webhook and the return
// redirect both arriving) is recorded once, like any attempt.
//
// The surcharge line is one unit priced at Percent × the balance being
// charged, rounded half away from zero to minor units, taxed at TaxRate in
// the invoice's tax mode (exclusive: the tax is added on top; inclusive:
// it is within the price), exactly as domain.ComputeLine computes any
// line. Its id is derived from the attempt's, so it is the same line
// however often it is computed.

// SurchargeKind is the kind of method a surcharge applies to.
type SurchargeKind string

// Surcharge kinds.
const (
	SurchargeCard      SurchargeKind = "card"
	SurchargeBankDebit SurchargeKind = "bank_debit"
)

// Surcharge is the surcharge a collection attempt adds.
type Surcharge struct {
	Kind    SurchargeKind
	Percent decimal.Decimal // 1.5 for 1.5 %
	TaxRate decimal.Decimal // percent
}

// InvoiceSurchargeAdded records a surcharge line added to the invoice with
// the payment of attempt AttemptID, which always follows it in the same
// append. Totals are the invoice's totals with the line.
type InvoiceSurchargeAdded struct {
	InvoiceID uuid.UUID       `json:"invoice_id"`
	AttemptID uuid.UUID       `json:"attempt_id"`
	Kind      SurchargeKind   `json:"kind"`
	Percent   decimal.Decimal `json:"percent"`
	Base      domain.Money    `json:"base"` // the balance the percentage was taken of
	Line      Line            `json:"line"`
	Totals    Totals          `json:"totals"`
	Date      domain.Date     `json:"date,omitzero"` // the firm's date of the payment
	At        time.Time       `json:"at"`
}

// EventType returns "InvoiceSurchargeAdded".
func (InvoiceSurchargeAdded) EventType() string { return "InvoiceSurchargeAdded" }

// surchargeNamespace names surcharge lines.
var surchargeNamespace = uuid.MustParse("6f1d2c4b-8a35-5e27-9c40-1b7e3a9d5f62")

// SurchargeLineID is the id of the surcharge line of an attempt.
func SurchargeLineID(attemptID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(surchargeNamespace, attemptID[:])
}

// SurchargeDescription is the surcharge line's description:
// "Card surcharge (1.50%)", "Bank debit surcharge (0.50%)".
func SurchargeDescription(kind SurchargeKind, percent decimal.Decimal) string {
	what := "Card"
	if kind == SurchargeBankDebit {
		what = "Bank debit"
	}
	return what + " surcharge (" + percent.StringFixed(2) + "%)"
}

// SurchargeOn is the surcharge line's amounts on a charge of base in an
// invoice of tax mode mode, and its unit price (percent × base, rounded
// half away from zero to minor units); false when there is none (a zero
// percentage or base, or a surcharge that rounds to nothing). Pages quoting
// a surcharge before the client chooses use it, as SurchargeLine does.
func SurchargeOn(base domain.Money, mode domain.TaxMode, sur Surcharge) (domain.Money, domain.LineAmounts, bool) {
	if !sur.Percent.IsPositive() || !base.Amount.IsPositive() || base.Currency.IsZero() {
		return domain.Money{}, domain.LineAmounts{}, false
	}
	price := base.Currency.Round(base.Amount.Mul(sur.Percent).Div(decimal.NewFromInt(100)))
	if !price.IsPositive() {
		return domain.Money{}, domain.LineAmounts{}, false
	}
	if !validTaxMode(mode) {
		mode = domain.TaxExclusive
	}
	amounts, err := domain.ComputeLine(base.Currency, mode, domain.LineInput{Quantity: decimal.NewFromInt(1), UnitPrice: price, TaxRate: sur.TaxRate})
	if err != nil {
		return domain.Money{}, domain.LineAmounts{}, false
	}
	return domain.Money{Amount: price, Currency: base.Currency}, amounts, true
}

// SurchargeLine is the line surcharge sur adds to a charge of the whole
// balance by attempt attemptID, and whether there is one (SurchargeOn).
func (s State) SurchargeLine(attemptID uuid.UUID, sur Surcharge) (Line, bool) {
	price, amounts, ok := SurchargeOn(s.Balance(), s.TaxMode, sur)
	if !ok {
		return Line{}, false
	}
	return Line{
		LineID:      SurchargeLineID(attemptID),
		Description: SurchargeDescription(sur.Kind, sur.Percent),
		Quantity:    decimal.NewFromInt(1),
		UnitPrice:   price,
		TaxRate:     sur.TaxRate,
		Amounts:     amounts,
	}, true
}

// SurchargedAmount is what a charge of the whole balance by attempt
// attemptID takes with surcharge sur: the balance plus the surcharge line's
// gross amount (the balance alone when there is no surcharge).
func (s State) SurchargedAmount(attemptID uuid.UUID, sur Surcharge) domain.Money {
	l, ok := s.SurchargeLine(attemptID, sur)
	if !ok {
		return s.Balance()
	}
	return domain.Money{Amount: s.Balance().Amount.Add(l.Amounts.Gross.Amount), Currency: s.Currency}
}

// surchargeEvent is the InvoiceSurchargeAdded a successful attempt of
// amount records with its surcharge: none when c has no surcharge, or when
// the gateway took no more than the balance (the charge was made without
// one); an error when it took something else than balance + surcharge.
func surchargeEvent(s State, c RecordCollectionAttempt) (*InvoiceSurchargeAdded, error) {
	if c.Surcharge == nil || !c.Amount.Amount.GreaterThan(s.Balance().Amount) {
		return nil, nil
	}
	l, ok := s.SurchargeLine(c.AttemptID, *c.Surcharge)
	want := s.SurchargedAmount(c.AttemptID, *c.Surcharge)
	if !ok || !c.Amount.Amount.Equal(want.Amount) {
		return nil, domain.Invalid("amount", "a payment of %s is neither the %s outstanding on invoice %s nor that with its %s surcharge (%s)",
			c.Amount, s.Balance(), s.Number, c.Surcharge.Percent.StringFixed(2)+"%", want)
	}
	totals := sumLines(s.Currency, append(append([]Line(nil), s.Lines...), l))
	return &InvoiceSurchargeAdded{
		InvoiceID: s.ID, AttemptID: c.AttemptID, Kind: c.Surcharge.Kind, Percent: c.Surcharge.Percent,
		Base: s.Balance(), Line: l, Totals: totals, Date: c.Date, At: c.Now,
	}, nil
}

// Surcharges returns the invoice's surcharge lines.
func (s State) Surcharges() []Line {
	var out []Line
	for _, l := range s.Lines {
		if s.SurchargeLines[l.LineID] {
			out = append(out, l)
		}
	}
	return out
}
