package domain

import "github.com/shopspring/decimal"

// TaxMode says whether prices are stated exclusive or inclusive of tax (a firm
// setting).
type TaxMode string

// Tax modes.
const (
	TaxExclusive TaxMode = "exclusive"
	TaxInclusive TaxMode = "inclusive"
)

// DiscountKind says how a discount is stated.
type DiscountKind string

// Discount kinds.
const (
	DiscountNone    DiscountKind = ""
	DiscountPercent DiscountKind = "percent" // Value is a percentage of quantity × unit price
	DiscountAmount  DiscountKind = "amount"  // Value is an amount off the line, in its currency
)

// Discount is a line discount.
type Discount struct {
	Kind  DiscountKind    `json:"kind,omitempty"`
	Value decimal.Decimal `json:"value"`
}

// LineInput is what a line of an invoice is computed from.
type LineInput struct {
	Quantity  decimal.Decimal
	UnitPrice decimal.Decimal
	Discount  Discount
	TaxRate   decimal.Decimal // percent, e.g. 10 for 10 %
}

// LineAmounts are a line's rounded amounts: Net + Tax = Gross exactly.
type LineAmounts struct {
	Net   Money `json:"net"`
	Tax   Money `json:"tax"`
	Gross Money `json:"gross"`
}

var hundred = decimal.NewFromInt(100)

// ComputeLine computes a line's net, tax and gross in currency c under the
// firm's tax mode (an empty mode means exclusive). The line's base (quantity × unit price − discount) is rounded
// to minor units half away from zero first; tax is computed on that rounded
// base per line and rounded the same way; an invoice's totals are the sums of
// its lines' rounded amounts.
func ComputeLine(c Currency, mode TaxMode, in LineInput) (LineAmounts, error) {
	var p Problems
	if c.IsZero() {
		p.Add("currency", "the line needs a currency")
	}
	switch mode {
	case TaxExclusive, TaxInclusive, "":
	default:
		p.Add("tax_mode", "tax mode must be \"exclusive\" or \"inclusive\"")
	}
	if in.Quantity.IsNegative() {
		p.Add("quantity", "quantity cannot be negative")
	}
	if in.TaxRate.IsNegative() || in.TaxRate.GreaterThan(hundred) {
		p.Add("tax_rate", "tax rate must be between 0 and 100 percent")
	}
	gross := in.Quantity.Mul(in.UnitPrice)
	switch in.Discount.Kind {
	case DiscountNone:
	case DiscountPercent:
		if in.Discount.Value.IsNegative() || in.Discount.Value.GreaterThan(hundred) {
			p.Add("discount", "a percentage discount must be between 0 and 100")
		}
		gross = gross.Sub(gross.Mul(in.Discount.Value).Div(hundred))
	case DiscountAmount:
		switch {
		case in.Discount.Value.IsNegative():
			p.Add("discount", "a discount cannot be negative")
		case !gross.IsNegative() && in.Discount.Value.GreaterThan(gross):
			// A discount larger than the line would turn a charge into a credit.
			p.Add("discount", "the discount (%s) is more than the line's amount (%s)", in.Discount.Value, gross)
		}
		gross = gross.Sub(in.Discount.Value)
	default:
		p.Add("discount.kind", "discount kind must be \"percent\" or \"amount\"")
	}
	if err := p.Err(); err != nil {
		return LineAmounts{}, err
	}
	base := c.Round(gross)
	var net, tax decimal.Decimal
	switch mode {
	case TaxInclusive:
		tax = c.Round(base.Mul(in.TaxRate).Div(hundred.Add(in.TaxRate)))
		net = base.Sub(tax)
	default:
		net = base
		tax = c.Round(base.Mul(in.TaxRate).Div(hundred))
	}
	return LineAmounts{
		Net:   Money{Amount: net, Currency: c},
		Tax:   Money{Amount: tax, Currency: c},
		Gross: Money{Amount: net.Add(tax), Currency: c},
	}, nil
}
