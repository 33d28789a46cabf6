package ui

import (
	"context"
	"fmt"
)

// defaultTaxRate is the rate, in percent, a new line starts with: the
// firm's default tax rate ("Make it the default for new lines" under Tax
// rates), or "" when it has none. Staff can still change it on each line.
func (h *handler) defaultTaxRate(ctx context.Context) string {
	f, _, err := h.firmNow(ctx)
	if err != nil {
		return "" // the form still works; the page itself reports a firm it cannot read
	}
	if r, ok := f.DefaultTaxRate(); ok {
		return r.Rate.String()
	}
	return ""
}

// startTaxRates puts rate into the tax rate input of each row (prefix: the
// row's input prefix, "" for a form of one line) that has none yet. A row
// with only its tax rate filled in still counts as blank: every form skips
// rows without a name (or description) and a price.
func startTaxRates(f *form, rate string, prefixes ...string) {
	if rate == "" {
		return
	}
	for _, p := range prefixes {
		if f.Value(p+"tax_rate") == "" {
			f.set(p+"tax_rate", rate)
		}
	}
}

// linePrefixes are the input prefixes of n rows named name: "lines[0].",
// "lines[1].", …
func linePrefixes(name string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s[%d].", name, i)
	}
	return out
}

// prefixes are the input prefixes of every line row of an offer form with
// these rows: its lines, each package's lines, its add-ons.
func (n offerRows) prefixes() []string {
	out := linePrefixes("lines", n.Core)
	for k := range n.Packages {
		out = append(out, linePrefixes(fmt.Sprintf("packages[%d].lines", k), n.PackageLines)...)
	}
	return append(out, linePrefixes("add_ons", n.AddOns)...)
}
