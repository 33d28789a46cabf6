package domain

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// Currency is an ISO 4217 currency: its code and the number of its minor units
// (2 for AUD, 0 for JPY, 3 for KWD).
type Currency struct {
	Code       string
	MinorUnits int32
}

// iso4217 lists the currencies Remit accepts, with their minor units. It is a
// constant table (never written), so it is not mutable package state.
var iso4217 = map[string]int32{
	"AED": 2, "ARS": 2, "AUD": 2, "BGN": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2,
	"CLP": 0, "CNY": 2, "COP": 2, "CZK": 2, "DKK": 2, "EGP": 2, "EUR": 2, "FJD": 2,
	"GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "ISK": 0, "JOD": 3,
	"JPY": 0, "KES": 2, "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2, "NGN": 2, "NOK": 2,
	"NZD": 2, "OMR": 3, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "QAR": 2, "RON": 2,
	"SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TND": 3, "TRY": 2, "TWD": 2, "UAH": 2,
	"USD": 2, "VND": 0, "WST": 2, "XAF": 0, "XOF": 0, "XPF": 0, "ZAR": 2,
}

// ParseCurrency returns the currency with the given ISO 4217 code (case
// insensitive), or an EINVALID error for an unknown code.
func ParseCurrency(code string) (Currency, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	mu, ok := iso4217[c]
	if !ok {
		return Currency{}, Invalid("currency", "%q is not a currency Remit knows (use an ISO 4217 code such as AUD, USD or EUR)", code)
	}
	return Currency{Code: c, MinorUnits: mu}, nil
}

// CurrencyCodes returns the codes of the currencies Remit knows, sorted, for
// a form's list to choose from.
func CurrencyCodes() []string {
	codes := make([]string, 0, len(iso4217))
	for c := range iso4217 {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

// MustCurrency is ParseCurrency for literals; it panics on an unknown code.
func MustCurrency(code string) Currency {
	c, err := ParseCurrency(code)
	if err != nil {
		panic(err)
	}
	return c
}

// IsZero reports whether c is the zero Currency ("no currency").
func (c Currency) IsZero() bool { return c.Code == "" }

// String returns the currency's code, e.g. "AUD".
func (c Currency) String() string { return c.Code }

// MarshalJSON encodes the currency as its code.
func (c Currency) MarshalJSON() ([]byte, error) { return json.Marshal(c.Code) }

// UnmarshalJSON decodes a currency code and checks it against ISO 4217.
func (c *Currency) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a currency must be a string such as \"AUD\"")
	}
	if s == "" {
		*c = Currency{}
		return nil
	}
	v, err := ParseCurrency(s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Round rounds an amount to the currency's minor units, half away from zero.
func (c Currency) Round(d decimal.Decimal) decimal.Decimal {
	return d.Round(c.MinorUnits)
}

// Money is an amount in one currency. Amounts are exact decimals
// (shopspring/decimal), never binary floating point.
type Money struct {
	Amount   decimal.Decimal `json:"amount"`
	Currency Currency        `json:"currency"`
}

// NewMoney returns amount in currency c, rounded to c's minor units.
func NewMoney(amount decimal.Decimal, c Currency) Money {
	return Money{Amount: c.Round(amount), Currency: c}
}

// Zero returns no money in currency c.
func Zero(c Currency) Money { return Money{Amount: decimal.Zero, Currency: c} }

// MustMoney parses a literal like "12.50" in the given currency; for tests and
// demo data.
func MustMoney(amount, currency string) Money {
	return NewMoney(decimal.RequireFromString(amount), MustCurrency(currency))
}

func (m Money) sameCurrency(o Money) error {
	if m.Currency != o.Currency {
		return Invalid("currency", "cannot combine %s with %s: currencies never mix", m.Currency, o.Currency)
	}
	return nil
}

// Add returns m+o, or an error when the currencies differ.
func (m Money) Add(o Money) (Money, error) {
	if err := m.sameCurrency(o); err != nil {
		return Money{}, err
	}
	return Money{Amount: m.Amount.Add(o.Amount), Currency: m.Currency}, nil
}

// Sub returns m-o, or an error when the currencies differ.
func (m Money) Sub(o Money) (Money, error) {
	if err := m.sameCurrency(o); err != nil {
		return Money{}, err
	}
	return Money{Amount: m.Amount.Sub(o.Amount), Currency: m.Currency}, nil
}

// Cmp compares m and o (-1, 0, +1), or errors when the currencies differ.
func (m Money) Cmp(o Money) (int, error) {
	if err := m.sameCurrency(o); err != nil {
		return 0, err
	}
	return m.Amount.Cmp(o.Amount), nil
}

// Equal reports whether m and o are the same amount in the same currency,
// however the amounts are scaled ("12.5" equals "12.50"); use it rather than ==
// or reflect.DeepEqual, which compare decimals' internal representation.
func (m Money) Equal(o Money) bool {
	return m.Currency == o.Currency && m.Amount.Equal(o.Amount)
}

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount.IsZero() }

// IsNegative reports whether the amount is below zero.
func (m Money) IsNegative() bool { return m.Amount.IsNegative() }

// Neg returns -m.
func (m Money) Neg() Money { return Money{Amount: m.Amount.Neg(), Currency: m.Currency} }

// String formats m as "AUD 12.50", with exactly the currency's minor units.
func (m Money) String() string {
	return m.Currency.Code + " " + m.Amount.StringFixed(m.Currency.MinorUnits)
}
