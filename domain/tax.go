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

// CheckLineInput records the problems of a line's terms as entered (fields
// quantity, unit_price, tax_rate, discount) against the limits:
// CheckQuantity, CheckUnitPrice (no more decimals than c has: refused, not
// rounded), CheckPercent and CheckAmount. It reports whether all are within.
// Decide functions call it for terms a person enters; ComputeLine checks
// only the sizes, so terms already in the log always compute.
func CheckLineInput(p *Problems, c Currency, in LineInput) bool {
	return checkLine(p, c, in, true)
}

func checkLine(p *Problems, c Currency, in LineInput, decimals bool) bool {
	unit, anyScale := c, Currency{}
	if !decimals {
		unit = anyScale
	}
	var ok bool
	if decimals {
		ok = CheckQuantity(p, "quantity", in.Quantity)
	} else {
		ok = checkBounded(p, "quantity", in.Quantity, MaxQuantity, MaxDecimalLength, "the quantity", "")
	}
	ok = CheckUnitPrice(p, "unit_price", in.UnitPrice, unit) && ok
	ok = CheckPercent(p, "tax_rate", in.TaxRate) && ok
	switch in.Discount.Kind {
	case DiscountPercent:
		ok = CheckPercent(p, "discount", in.Discount.Value) && ok
	case DiscountAmount:
		ok = CheckAmount(p, "discount", in.Discount.Value, unit) && ok
	}
	return ok
}

// ComputeLine computes a line's net, tax and gross in currency c under the
// firm's tax mode (an empty mode means exclusive). The inputs' sizes are
// first checked against the limits, so no input makes its arithmetic
// expensive. The line's base (quantity × unit price − discount) is rounded
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
	// The limits first, so that no arithmetic below runs on a huge number.
	if !checkLine(&p, c, in, false) {
		return LineAmounts{}, p.Err()
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
