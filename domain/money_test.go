package domain_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"remit/domain"
)

// MustDecimal parses a decimal literal or fails the test.
func MustDecimal(tb testing.TB, s string) decimal.Decimal {
	tb.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		tb.Fatalf("decimal %q: %v", s, err)
	}
	return d
}

func TestParseCurrency(t *testing.T) {
	tests := []struct {
		in    string
		code  string
		minor int32
	}{
		{"AUD", "AUD", 2}, {"usd", "USD", 2}, {" eur ", "EUR", 2},
		{"JPY", "JPY", 0}, {"KWD", "KWD", 3}, {"BHD", "BHD", 3},
	}
	for _, tt := range tests {
		c, err := domain.ParseCurrency(tt.in)
		if err != nil || c.Code != tt.code || c.MinorUnits != tt.minor {
			t.Errorf("ParseCurrency(%q) = %+v, %v; want %s with %d minor units", tt.in, c, err, tt.code, tt.minor)
		}
	}
	for _, bad := range []string{"", "AU", "XXX", "dollars"} {
		_, err := domain.ParseCurrency(bad)
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("ParseCurrency(%q) error %v, want code invalid", bad, err)
		}
	}
}

func TestCurrencyRound(t *testing.T) {
	tests := []struct {
		currency string
		in       string
		want     string
	}{
		{"AUD", "1.005", "1.01"}, // half away from zero, not to even
		{"AUD", "1.015", "1.02"},
		{"AUD", "1.025", "1.03"},
		{"AUD", "-1.005", "-1.01"},
		{"AUD", "1.0049999", "1"},
		{"AUD", "-1.0049999", "-1"},
		{"AUD", "2.675", "2.68"},
		{"AUD", "0.125", "0.13"},
		{"JPY", "0.5", "1"},
		{"JPY", "-0.5", "-1"},
		{"JPY", "1.5", "2"},
		{"JPY", "2.5", "3"},
		{"JPY", "1234.49", "1234"},
		{"KWD", "1.0005", "1.001"},
		{"KWD", "-1.0005", "-1.001"},
		{"KWD", "1.00049", "1"},
		{"KWD", "0.1235", "0.124"},
	}
	for _, tt := range tests {
		got := domain.MustCurrency(tt.currency).Round(MustDecimal(t, tt.in))
		if !got.Equal(MustDecimal(t, tt.want)) {
			t.Errorf("%s Round(%s) = %s, want %s", tt.currency, tt.in, got, tt.want)
		}
	}
}

func TestMoneyString(t *testing.T) {
	tests := []struct {
		m    domain.Money
		want string
	}{
		{domain.MustMoney("12.5", "AUD"), "AUD 12.50"},
		{domain.MustMoney("0", "USD"), "USD 0.00"},
		{domain.MustMoney("-3.456", "EUR"), "EUR -3.46"},
		{domain.MustMoney("1234.5", "JPY"), "JPY 1235"},
		{domain.MustMoney("1.2", "KWD"), "KWD 1.200"},
		{domain.MustMoney("1.23456", "KWD"), "KWD 1.235"},
		{domain.Zero(domain.MustCurrency("JPY")), "JPY 0"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestMoneyArithmetic(t *testing.T) {
	a, b := domain.MustMoney("10.25", "AUD"), domain.MustMoney("0.75", "AUD")
	sum, err := a.Add(b)
	if err != nil || !sum.Equal(domain.MustMoney("11", "AUD")) {
		t.Errorf("Add = %v, %v", sum, err)
	}
	diff, err := b.Sub(a)
	if err != nil || !diff.Equal(domain.MustMoney("-9.50", "AUD")) || !diff.IsNegative() {
		t.Errorf("Sub = %v, %v", diff, err)
	}
	if c, err := a.Cmp(b); err != nil || c != 1 {
		t.Errorf("Cmp = %d, %v", c, err)
	}
	if !a.Neg().Equal(domain.MustMoney("-10.25", "AUD")) {
		t.Errorf("Neg = %v", a.Neg())
	}
	if !domain.Zero(domain.MustCurrency("AUD")).IsZero() || a.IsZero() {
		t.Error("IsZero is wrong")
	}
	if !domain.MustMoney("12.5", "AUD").Equal(domain.Money{Amount: MustDecimal(t, "12.500"), Currency: domain.MustCurrency("AUD")}) {
		t.Error("Equal depends on the scale of the amount")
	}
	if domain.MustMoney("1", "AUD").Equal(domain.MustMoney("1", "NZD")) {
		t.Error("AUD 1 equals NZD 1")
	}
}

func TestMoneyCurrenciesNeverMix(t *testing.T) {
	aud, usd := domain.MustMoney("1", "AUD"), domain.MustMoney("1", "USD")
	_, errAdd := aud.Add(usd)
	_, errSub := aud.Sub(usd)
	_, errCmp := aud.Cmp(usd)
	for name, err := range map[string]error{"Add": errAdd, "Sub": errSub, "Cmp": errCmp} {
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%s across currencies: error %v, want code invalid", name, err)
		}
		if !errors.Is(err, &domain.Error{Code: domain.EINVALID, Field: "currency"}) {
			t.Errorf("%s across currencies: error %v does not name the currency field", name, err)
		}
	}
}

func TestMoneyJSON(t *testing.T) {
	in := domain.MustMoney("1234.567", "KWD")
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out domain.Money
	if err := json.Unmarshal(b, &out); err != nil || !out.Equal(in) {
		t.Fatalf("round trip of %s = %v, %v", b, out, err)
	}
	if err := json.Unmarshal([]byte(`{"amount":"1","currency":"ABC"}`), &out); err == nil {
		t.Error("an unknown currency decoded")
	}
	if err := json.Unmarshal([]byte(`{"amount":"1","currency":7}`), &out); err == nil {
		t.Error("a numeric currency decoded")
	}
}
