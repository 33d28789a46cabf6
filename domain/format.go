package domain

import (
	"fmt"
	"strings"
)

// symbols are the currency symbols shown before amounts; a currency missing
// here is shown by its code ("CHF 12.50").
var symbols = map[string]string{
	"AUD": "A$", "NZD": "NZ$", "USD": "US$", "CAD": "CA$", "GBP": "£", "EUR": "€", "JPY": "¥",
	"CNY": "CN¥", "INR": "₹", "HKD": "HK$", "SGD": "S$", "ZAR": "R", "KRW": "₩", "ILS": "₪",
	"PHP": "₱", "VND": "₫", "THB": "฿", "MXN": "MX$", "BRL": "R$", "FJD": "FJ$",
}

// FormatMoney formats an amount for people, as the UI and the emails show
// it: the currency's symbol, thousands separators and exactly the currency's
// minor units ("A$1,234.50", "-¥1,200", "CHF 12.50").
func FormatMoney(m Money) string {
	if m.Currency.IsZero() {
		return m.Amount.String()
	}
	num := FormatAmount(Money{Amount: m.Amount.Abs(), Currency: m.Currency})
	sign := ""
	if m.Amount.IsNegative() {
		sign = "-"
	}
	if sym, ok := symbols[m.Currency.Code]; ok {
		return sign + sym + num
	}
	return sign + m.Currency.Code + " " + num
}

// FormatAmount formats an amount without its currency, as a PDF's columns
// show it: thousands separated, exactly the currency's minor units
// ("1,234.50", "-1,200").
func FormatAmount(m Money) string {
	s := m.Amount.StringFixed(m.Currency.MinorUnits)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if frac != "" {
		return sign + groupThousands(whole) + "." + frac
	}
	return sign + groupThousands(whole)
}

// groupThousands puts a comma between every three digits of a run of
// digits: "1234567" → "1,234,567".
func groupThousands(digits string) string {
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// FormatDate formats a calendar date for people, as the UI, the activity
// and the emails show it: "6 Dec 2026"; "" for the zero date.
func FormatDate(d Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d %s %d", d.Day(), d.Month().String()[:3], d.Year())
}

// Sentence is s ending in a full stop, unless it already ends a sentence
// (a gateway's decline message may or may not).
func Sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}
