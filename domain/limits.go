package domain

import (
	"fmt"
	"math/big"

	"github.com/shopspring/decimal"
)

// The limits of what one command may carry. They are generous for any real
// firm and keep every event, invoice, PDF and journal small: a quantity of
// "1e100000" would otherwise make an invoice total of 100,004 digits. Each
// is checked in the domain (decide) so that the API, the UI and the CLI all
// refuse the same input with the same message.
const (
	// MaxDecimalLength is the longest decimal string accepted (digits, sign
	// and point), checked when it is parsed, before any arithmetic.
	MaxDecimalLength = 40
	// MaxQuantity is the largest quantity of a line, service or item.
	MaxQuantity = 1_000_000_000
	// MaxQuantityDecimals is the most decimals a quantity may have.
	MaxQuantityDecimals = 6
	// MaxUnitPrice is the largest unit price, in units of its currency
	// (dollars, not cents). A unit price has no more decimals than its
	// currency's minor units (AUD 10.12, never 10.12345).
	MaxUnitPrice = 1_000_000_000_000
	// MaxAmount is the largest amount of a payment, credit note, write-off
	// or amount discount, in units of its currency.
	MaxAmount = 1_000_000_000_000_000
	// MaxPercentDecimals is the most decimals of a tax rate or percentage
	// discount (0 to 100).
	MaxPercentDecimals = 4
	// MaxInvoiceLines is the most lines of one invoice (and of one
	// proposal); a bigger invoice is refused before its number is reserved.
	MaxInvoiceLines = 500
	// MaxDescriptionLength is the most characters of a description (of an
	// invoice line, a service, a schedule item or a proposal line).
	MaxDescriptionLength = 1000
)

// ParseDecimal parses a decimal written plainly: an optional minus sign,
// digits, and at most one decimal point ("12.50", "-3", "0.125"). Exponent
// forms ("1e5"), spaces, and strings longer than MaxDecimalLength are
// refused, so no input can make a number whose arithmetic is expensive.
// The error is an EINVALID one for field.
func ParseDecimal(field, s string) (decimal.Decimal, error) {
	if !IsPlainDecimal(s) {
		if len(s) > MaxDecimalLength {
			return decimal.Zero, Invalid(field, "the number is too long (at most %d characters)", MaxDecimalLength)
		}
		return decimal.Zero, Invalid(field, "write the number plainly, such as 12.50 (no exponent, spaces or other signs)")
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, Invalid(field, "write the number plainly, such as 12.50")
	}
	return d, nil
}

// IsPlainDecimal reports whether s is a decimal written plainly (see
// ParseDecimal).
func IsPlainDecimal(s string) bool {
	if len(s) == 0 || len(s) > MaxDecimalLength {
		return false
	}
	i := 0
	if s[0] == '-' {
		i++
	}
	digits, point := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point:
			point = true
		default:
			return false
		}
	}
	return digits > 0 && s[len(s)-1] != '.'
}

// maxCoefficientBits bounds the coefficient of a decimal checked against a
// limit: anything longer is refused before it is compared, so no check does
// arithmetic on a huge number (2^160 has 49 digits).
const maxCoefficientBits = 160

// scale returns d's number of significant decimals (trailing zeros do not
// count: "1.50" has 1) and whether d is small enough to compare at all.
func scale(d decimal.Decimal) (int32, bool) {
	exp := d.Exponent()
	if d.Coefficient().BitLen() > maxCoefficientBits || exp > MaxDecimalLength || exp < -MaxDecimalLength {
		return 0, false
	}
	if exp >= 0 {
		return 0, true
	}
	c := d.Coefficient()
	ten, r := big.NewInt(10), new(big.Int)
	for exp < 0 && c.Sign() != 0 {
		q := new(big.Int)
		q.QuoRem(c, ten, r)
		if r.Sign() != 0 {
			break
		}
		c, exp = q, exp+1
	}
	if c.Sign() == 0 {
		return 0, true
	}
	return -exp, true
}

// checkBounded records a problem at field when |d| is more than max or d has
// more than decimals significant decimals; what names the value in the
// message ("the quantity"). It never does arithmetic on a huge d.
func checkBounded(p *Problems, field string, d decimal.Decimal, max int64, decimals int32, what, decimalsHint string) bool {
	sc, ok := scale(d)
	if !ok || d.Abs().GreaterThan(decimal.NewFromInt(max)) {
		p.Add(field, "%s can be at most %s", what, groupThousands(fmt.Sprint(max)))
		return false
	}
	if sc > decimals {
		if decimals == 0 {
			p.Add(field, "%s must be a whole number%s", what, decimalsHint)
		} else {
			p.Add(field, "%s can have at most %d decimals%s", what, decimals, decimalsHint)
		}
		return false
	}
	return true
}

// CheckQuantity records a problem at field when q is more than MaxQuantity
// or has more than MaxQuantityDecimals decimals. It reports whether q is
// within the limits (its sign is the caller's rule).
func CheckQuantity(p *Problems, field string, q decimal.Decimal) bool {
	return checkBounded(p, field, q, MaxQuantity, MaxQuantityDecimals, "the quantity", "")
}

// CheckUnitPrice records a problem at field when the unit price amount is
// more than MaxUnitPrice or has more decimals than currency c has minor
// units (it is refused, never rounded). With c unknown (zero) only the size
// is checked.
func CheckUnitPrice(p *Problems, field string, amount decimal.Decimal, c Currency) bool {
	return checkMoney(p, field, amount, c, MaxUnitPrice, "the unit price")
}

// CheckAmount is CheckUnitPrice for amounts (payments, credit notes,
// write-offs, amount discounts), bounded by MaxAmount.
func CheckAmount(p *Problems, field string, amount decimal.Decimal, c Currency) bool {
	return checkMoney(p, field, amount, c, MaxAmount, "the amount")
}

func checkMoney(p *Problems, field string, amount decimal.Decimal, c Currency, max int64, what string) bool {
	decimals, hint := int32(MaxDecimalLength), ""
	if !c.IsZero() {
		decimals = c.MinorUnits
		hint = fmt.Sprintf(" (%s has %d)", c.Code, c.MinorUnits)
		if c.MinorUnits == 0 {
			hint = fmt.Sprintf(" (%s has no minor units)", c.Code)
		}
	}
	return checkBounded(p, field, amount, max, decimals, what, hint)
}

// CheckPercent records a problem at field when a percentage (a tax rate, a
// percentage discount) has more than MaxPercentDecimals decimals or is far
// out of range; the caller checks 0 to 100.
func CheckPercent(p *Problems, field string, d decimal.Decimal) bool {
	return checkBounded(p, field, d, 1_000_000, MaxPercentDecimals, "the percentage", "")
}
