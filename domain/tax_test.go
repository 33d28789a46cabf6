package domain_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"remit/domain"
)

func TestComputeLine(t *testing.T) {
	aud, jpy, kwd := domain.MustCurrency("AUD"), domain.MustCurrency("JPY"), domain.MustCurrency("KWD")
	d := func(s string) decimal.Decimal { return MustDecimal(t, s) }
	tests := []struct {
		name            string
		currency        domain.Currency
		mode            domain.TaxMode
		in              domain.LineInput
		net, tax, gross string
	}{
		{
			name: "Exclusive", currency: aud, mode: domain.TaxExclusive,
			in:  domain.LineInput{Quantity: d("3"), UnitPrice: d("33.33"), TaxRate: d("10")},
			net: "99.99", tax: "10", gross: "109.99",
		},
		{
			name: "EmptyModeIsExclusive", currency: aud,
			in:  domain.LineInput{Quantity: d("1"), UnitPrice: d("100"), TaxRate: d("10")},
			net: "100", tax: "10", gross: "110",
		},
		{
			name: "Inclusive", currency: aud, mode: domain.TaxInclusive,
			in:  domain.LineInput{Quantity: d("1"), UnitPrice: d("110"), TaxRate: d("10")},
			net: "100", tax: "10", gross: "110",
		},
		{
			name: "InclusiveRoundsTax", currency: aud, mode: domain.TaxInclusive,
			in:  domain.LineInput{Quantity: d("1"), UnitPrice: d("99.99"), TaxRate: d("15")},
			net: "86.95", tax: "13.04", gross: "99.99", // 99.99 × 15/115 = 13.0422…
		},
		{
			name: "BaseRoundedBeforeTax", currency: aud, mode: domain.TaxExclusive,
			in:  domain.LineInput{Quantity: d("0.333"), UnitPrice: d("10"), TaxRate: d("10")},
			net: "3.33", tax: "0.33", gross: "3.66",
		},
		{
			name: "PercentDiscount", currency: aud, mode: domain.TaxExclusive,
			in:  domain.LineInput{Quantity: d("2"), UnitPrice: d("100"), Discount: domain.Discount{Kind: domain.DiscountPercent, Value: d("12.5")}, TaxRate: d("10")},
			net: "175", tax: "17.5", gross: "192.5",
		},
		{
			name: "AmountDiscount", currency: aud, mode: domain.TaxInclusive,
			in:  domain.LineInput{Quantity: d("1"), UnitPrice: d("120"), Discount: domain.Discount{Kind: domain.DiscountAmount, Value: d("10")}, TaxRate: d("10")},
			net: "100", tax: "10", gross: "110",
		},
		{
			name: "FullDiscount", currency: aud, mode: domain.TaxExclusive,
			in:  domain.LineInput{Quantity: d("1"), UnitPrice: d("50"), Discount: domain.Discount{Kind: domain.DiscountPercent, Value: d("100")}, TaxRate: d("10")},
			net: "0", tax: "0", gross: "0",
		},
		{
			name: "NoTax", currency: aud, mode: domain.TaxExclusive,
			in:  domain.LineInput{Quantity: d("1"), UnitPrice: d("19.999")},
			net: "20", tax: "0", gross: "20",
		},
		{
			name: "CreditLine", currency: aud, mode: domain.TaxExclusive,
			in:  domain.LineInput{Quantity: d("1"), UnitPrice: d("-10.05"), TaxRate: d("10")},
			net: "-10.05", tax: "-1.01", gross: "-11.06", // -1.005 rounds away from zero
		},
		{
			name: "Yen", currency: jpy, mode: domain.TaxExclusive,
			in:  domain.LineInput{Quantity: d("3"), UnitPrice: d("333.5"), TaxRate: d("10")},
			net: "1001", tax: "100", gross: "1101", // 1000.5 → 1001; 100.1 → 100
		},
		{
			name: "YenInclusive", currency: jpy, mode: domain.TaxInclusive,
			in:  domain.LineInput{Quantity: d("1"), UnitPrice: d("1100"), TaxRate: d("8")},
			net: "1019", tax: "81", gross: "1100", // 1100 × 8/108 = 81.48
		},
		{
			name: "Dinar", currency: kwd, mode: domain.TaxExclusive,
			in:  domain.LineInput{Quantity: d("1"), UnitPrice: d("10.0005"), TaxRate: d("5")},
			net: "10.001", tax: "0.5", gross: "10.501", // 0.50005 → 0.500
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ComputeLine(tt.currency, tt.mode, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			want := domain.LineAmounts{
				Net:   domain.Money{Amount: d(tt.net), Currency: tt.currency},
				Tax:   domain.Money{Amount: d(tt.tax), Currency: tt.currency},
				Gross: domain.Money{Amount: d(tt.gross), Currency: tt.currency},
			}
			if !got.Net.Equal(want.Net) || !got.Tax.Equal(want.Tax) || !got.Gross.Equal(want.Gross) {
				t.Fatalf("ComputeLine = net %s tax %s gross %s; want net %s tax %s gross %s",
					got.Net, got.Tax, got.Gross, want.Net, want.Tax, want.Gross)
			}
		})
	}
}

func TestComputeLineRefusals(t *testing.T) {
	aud := domain.MustCurrency("AUD")
	d := func(s string) decimal.Decimal { return MustDecimal(t, s) }
	tests := []struct {
		name     string
		currency domain.Currency
		mode     domain.TaxMode
		in       domain.LineInput
		fields   []string
	}{
		{name: "ErrNegativeQuantity", currency: aud, in: domain.LineInput{Quantity: d("-1"), UnitPrice: d("1")}, fields: []string{"quantity"}},
		{name: "ErrNegativeTaxRate", currency: aud, in: domain.LineInput{Quantity: d("1"), UnitPrice: d("1"), TaxRate: d("-1")}, fields: []string{"tax_rate"}},
		{name: "ErrTaxRateOver100", currency: aud, in: domain.LineInput{Quantity: d("1"), UnitPrice: d("1"), TaxRate: d("100.01")}, fields: []string{"tax_rate"}},
		{name: "ErrPercentOver100", currency: aud, in: domain.LineInput{Quantity: d("1"), UnitPrice: d("1"), Discount: domain.Discount{Kind: domain.DiscountPercent, Value: d("101")}}, fields: []string{"discount"}},
		{name: "ErrNegativePercent", currency: aud, in: domain.LineInput{Quantity: d("1"), UnitPrice: d("1"), Discount: domain.Discount{Kind: domain.DiscountPercent, Value: d("-5")}}, fields: []string{"discount"}},
		{name: "ErrNegativeAmount", currency: aud, in: domain.LineInput{Quantity: d("1"), UnitPrice: d("1"), Discount: domain.Discount{Kind: domain.DiscountAmount, Value: d("-5")}}, fields: []string{"discount"}},
		{name: "ErrDiscountOverLine", currency: aud, in: domain.LineInput{Quantity: d("2"), UnitPrice: d("5"), Discount: domain.Discount{Kind: domain.DiscountAmount, Value: d("10.01")}}, fields: []string{"discount"}},
		{name: "ErrUnknownDiscountKind", currency: aud, in: domain.LineInput{Quantity: d("1"), UnitPrice: d("1"), Discount: domain.Discount{Kind: "bogof"}}, fields: []string{"discount.kind"}},
		{name: "ErrUnknownTaxMode", currency: aud, mode: "sometimes", in: domain.LineInput{Quantity: d("1"), UnitPrice: d("1")}, fields: []string{"tax_mode"}},
		{name: "ErrNoCurrency", in: domain.LineInput{Quantity: d("1"), UnitPrice: d("1")}, fields: []string{"currency"}},
		{
			name: "ErrSeveralAtOnce", currency: aud,
			in:     domain.LineInput{Quantity: d("-1"), UnitPrice: d("1"), TaxRate: d("200"), Discount: domain.Discount{Kind: "x"}},
			fields: []string{"quantity", "tax_rate", "discount.kind"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ComputeLine(tt.currency, tt.mode, tt.in)
			var ve *domain.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("ComputeLine = %+v, %v; want a validation error", got, err)
			}
			if domain.ErrorCode(err) != domain.EINVALID {
				t.Errorf("code %q, want invalid", domain.ErrorCode(err))
			}
			var fields []string
			for _, p := range ve.Problems {
				fields = append(fields, p.Field)
			}
			if !slices.Equal(fields, tt.fields) {
				t.Fatalf("fields %v (%v), want %v", fields, err, tt.fields)
			}
		})
	}
}

var propertyCurrencies = []string{"AUD", "JPY", "KWD", "USD", "EUR"}

var propertyRates = []string{"0", "5", "7.5", "8", "10", "12.5", "15", "20", "21", "25"}

// randomLine returns a line with a price of up to 5 decimals (so rounding
// matters), a fractional or whole quantity, and sometimes a discount.
func randomLine(rng *rand.Rand) domain.LineInput {
	in := domain.LineInput{
		Quantity:  decimal.New(rng.Int64N(5000)+1, -int32(rng.IntN(3))),
		UnitPrice: decimal.New(rng.Int64N(100_000_000), -int32(rng.IntN(6))),
		TaxRate:   decimal.RequireFromString(propertyRates[rng.IntN(len(propertyRates))]),
	}
	switch rng.IntN(4) {
	case 0:
		in.Discount = domain.Discount{Kind: domain.DiscountPercent, Value: decimal.New(rng.Int64N(10001), -2)}
	case 1:
		gross := in.Quantity.Mul(in.UnitPrice)
		in.Discount = domain.Discount{Kind: domain.DiscountAmount, Value: gross.Mul(decimal.New(rng.Int64N(101), -2)).Truncate(2)}
	}
	return in
}

// TestInvoiceTotalIsSumOfRoundedLines: every line's amounts are already in
// minor units and Net + Tax = Gross exactly, so totals summed from lines agree
// with each other and need no further rounding.
func TestInvoiceTotalIsSumOfRoundedLines(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		c := domain.MustCurrency(propertyCurrencies[rng.IntN(len(propertyCurrencies))])
		mode := []domain.TaxMode{domain.TaxExclusive, domain.TaxInclusive}[rng.IntN(2)]
		net, tax, gross := domain.Zero(c), domain.Zero(c), domain.Zero(c)
		for range 1 + rng.IntN(12) {
			in := randomLine(rng)
			l, err := domain.ComputeLine(c, mode, in)
			if err != nil {
				t.Fatalf("%s %s %+v: %v", c, mode, in, err)
			}
			for _, m := range []domain.Money{l.Net, l.Tax, l.Gross} {
				if m.Currency != c {
					t.Fatalf("line in %s has an amount in %s", c, m.Currency)
				}
				if !c.Round(m.Amount).Equal(m.Amount) {
					t.Fatalf("%s %+v: amount %s is not rounded to minor units", c, in, m.Amount)
				}
			}
			if sum, _ := l.Net.Add(l.Tax); !sum.Equal(l.Gross) {
				t.Fatalf("%s %+v: net %s + tax %s != gross %s", c, in, l.Net, l.Tax, l.Gross)
			}
			net, _ = net.Add(l.Net)
			tax, _ = tax.Add(l.Tax)
			gross, _ = gross.Add(l.Gross)
		}
		if sum, _ := net.Add(tax); !sum.Equal(gross) {
			t.Fatalf("total net %s + total tax %s != total %s", net, tax, gross)
		}
		if !c.Round(gross.Amount).Equal(gross.Amount) {
			t.Fatalf("total %s needs rounding", gross)
		}
	}
}

// TestInclusiveAndExclusiveTaxAgree: a price stated exclusive of tax and the
// same price stated inclusive (the exclusive line's gross) give the same net
// and tax within one minor unit per line, and so within n minor units over an
// invoice of n lines.
func TestInclusiveAndExclusiveTaxAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	one := decimal.NewFromInt(1)
	for range 2000 {
		c := domain.MustCurrency(propertyCurrencies[rng.IntN(len(propertyCurrencies))])
		unit := decimal.New(1, -c.MinorUnits)
		n := 1 + rng.IntN(12)
		exTax, inTax := decimal.Zero, decimal.Zero
		for range n {
			in := randomLine(rng)
			ex, err := domain.ComputeLine(c, domain.TaxExclusive, in)
			if err != nil {
				t.Fatalf("%s %+v: %v", c, in, err)
			}
			inc, err := domain.ComputeLine(c, domain.TaxInclusive, domain.LineInput{Quantity: one, UnitPrice: ex.Gross.Amount, TaxRate: in.TaxRate})
			if err != nil {
				t.Fatal(err)
			}
			if !inc.Gross.Equal(ex.Gross) {
				t.Fatalf("%s %+v: inclusive gross %s != exclusive gross %s", c, in, inc.Gross, ex.Gross)
			}
			if diff := inc.Tax.Amount.Sub(ex.Tax.Amount).Abs(); diff.GreaterThan(unit) {
				t.Fatalf("%s %+v at %s%%: inclusive tax %s and exclusive tax %s differ by more than one minor unit", c, in, in.TaxRate, inc.Tax, ex.Tax)
			}
			if diff := inc.Net.Amount.Sub(ex.Net.Amount).Abs(); diff.GreaterThan(unit) {
				t.Fatalf("%s %+v: inclusive net %s and exclusive net %s differ by more than one minor unit", c, in, inc.Net, ex.Net)
			}
			exTax = exTax.Add(ex.Tax.Amount)
			inTax = inTax.Add(inc.Tax.Amount)
		}
		if diff := exTax.Sub(inTax).Abs(); diff.GreaterThan(unit.Mul(decimal.NewFromInt(int64(n)))) {
			t.Fatalf("%s: over %d lines tax differs by %s", c, n, diff)
		}
	}
}
