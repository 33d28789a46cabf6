package domain_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/domain"
)

// plainMoney is Money as encoding/json wrote it before Money had its own
// MarshalJSON: the stored events hold that text, and must keep getting it.
type plainMoney struct {
	Amount   decimal.Decimal `json:"amount"`
	Currency string          `json:"currency"`
}

// TestJSONOfMoneyDatesAndCurrenciesIsAsStored checks that amounts, dates and
// currencies encode to the very bytes the events already stored hold (the
// hash chain and every reader depend on them), and that dates read back.
func TestJSONOfMoneyDatesAndCurrenciesIsAsStored(t *testing.T) {
	amounts := []string{"0", "12.5", "12.50", "-3.333", "1000000000000000000000.01", "0.000001", "-0.5", "100", "1e3"}
	for _, code := range []string{"AUD", "JPY", "KWD", ""} {
		for _, a := range amounts {
			m := domain.Money{Amount: MustDecimal(t, a), Currency: domain.Currency{Code: code}}
			got, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(plainMoney{Amount: m.Amount, Currency: code})
			if string(got) != string(want) {
				t.Errorf("Money %s %s: %s, want %s", a, code, got, want)
			}
		}
	}
	r := rand.New(rand.NewPCG(17, 4))
	for range 20000 {
		c := r.Int64N(1 << uint(r.IntN(62)+1))
		if r.IntN(2) == 0 {
			c = -c
		}
		if r.IntN(4) == 0 {
			c = c / 1000 * 1000 // trailing zeros
		}
		a := decimal.New(c, int32(r.IntN(24)-20))
		got, _ := json.Marshal(domain.Money{Amount: a, Currency: domain.MustCurrency("AUD")})
		want, _ := json.Marshal(plainMoney{Amount: a, Currency: "AUD"})
		if string(got) != string(want) {
			t.Fatalf("Money %s: %s, want %s", a, got, want)
		}
	}
	odd := domain.Currency{Code: `A"<b>`} // no such currency is made; still valid JSON
	if got, _ := json.Marshal(odd); string(got) != `"A\"\u003cb\u003e"` {
		t.Errorf("odd currency: %s", got)
	}
	var none *domain.Money
	if got, _ := json.Marshal(struct{ M *domain.Money }{none}); string(got) != `{"M":null}` {
		t.Errorf("nil money: %s", got)
	}
	for d := domain.MustDate(1, 1, 1); d.Before(domain.MustDate(10, 1, 1)); d = d.AddDays(97) {
		checkDate(t, d)
	}
	for d := domain.MustDate(1999, 12, 25); d.Before(domain.MustDate(2030, 1, 1)); d = d.AddDays(1) {
		checkDate(t, d)
	}
	checkDate(t, domain.MustDate(9999, 12, 31))
	if got, _ := json.Marshal(domain.Date{}); string(got) != "null" {
		t.Errorf("zero date: %s", got)
	}
}

// checkDate compares d's text with time's and reads its JSON back.
func checkDate(t *testing.T, d domain.Date) {
	t.Helper()
	want := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	want = fmt.Sprintf("%04d%s", d.Year(), want[len(want)-6:])
	if d.String() != want {
		t.Fatalf("date %s, want %s", d, want)
	}
	b, _ := json.Marshal(d)
	if string(b) != `"`+want+`"` {
		t.Fatalf("date JSON %s, want %q", b, want)
	}
	var back domain.Date
	if err := json.Unmarshal(b, &back); err != nil || back != d {
		t.Fatalf("date %s read back as %s (%v)", b, back, err)
	}
}

// TestBadDatesInJSONAreRefusedAsBefore: the quick path for "YYYY-MM-DD"
// leaves every other text to the decoder, with the same errors.
func TestBadDatesInJSONAreRefusedAsBefore(t *testing.T) {
	for in, want := range map[string]string{
		`"2026-02-30"`: `"2026-02-30" is not a date in the form YYYY-MM-DD`,
		`"0000-01-01"`: "0000-01-01 is not a calendar date",
		`"2026-13-01"`: `"2026-13-01" is not a date in the form YYYY-MM-DD`,
		`"2026-1-011"`: `"2026-1-011" is not a date in the form YYYY-MM-DD`,
		`"2026-0a-01"`: `"2026-0a-01" is not a date in the form YYYY-MM-DD`,
		`20260101`:     "a date must be a string in the form YYYY-MM-DD",
	} {
		var d domain.Date
		err := json.Unmarshal([]byte(in), &d)
		if err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
	var d domain.Date
	if err := json.Unmarshal([]byte(`"2026\u002d03-04"`), &d); err != nil || d != domain.MustDate(2026, 3, 4) {
		t.Errorf("escaped date: %s %v", d, err)
	}
}

// BenchmarkMoneyJSON encodes the amounts of one invoice line and its totals
// (seven amounts) and two dates, as an InvoiceIssued holds them.
func BenchmarkMoneyJSON(b *testing.B) {
	type line struct {
		UnitPrice          domain.Money
		Net, Tax, Gross    domain.Money
		TNet, TTax, TGross domain.Money
		Issue, Due         domain.Date
	}
	aud := domain.MustCurrency("AUD")
	m := domain.NewMoney(decimal.RequireFromString("1234.5"), aud)
	l := line{m, m, m, m, m, m, m, domain.MustDate(2025, 4, 2), domain.MustDate(2025, 4, 16)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(l); err != nil {
			b.Fatal(err)
		}
	}
}
