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
	s := m.Amount.Abs().StringFixed(m.Currency.MinorUnits)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	num := b.String()
	if frac != "" {
		num += "." + frac
	}
	sign := ""
	if m.Amount.IsNegative() {
		sign = "-"
	}
	if sym, ok := symbols[m.Currency.Code]; ok {
		return sign + sym + num
	}
	return sign + m.Currency.Code + " " + num
}

// FormatDate formats a calendar date for people, as the UI, the activity
// and the emails show it: "6 Dec 2026"; "" for the zero date.
func FormatDate(d Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d %s %d", d.Day(), d.Month().String()[:3], d.Year())
}
