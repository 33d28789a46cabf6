package ui

import (
	"remit/domain"
	"remit/domain/proposal"
)

// firstBillingNote says what a proposal line whose billing rule bills its
// first period pro rata bills first, were the proposal accepted today (or
// on the day it was): "First billing 15 Apr 2027: A$160.00 × 1 for 15 – 30
// April 2027, pro rata 16/30 days". It names the unit price, like the
// page's price column, so it reads the same under either tax mode. It is ""
// for a line whose first billing is a whole period.
func firstBillingNote(l proposal.Line, p proposal.State, today domain.Date) string {
	accepted := p.AcceptedOn
	if accepted.IsZero() {
		accepted = today
	}
	fb, ok, err := proposal.FirstBillingOf(l, p.Currency, domain.TaxExclusive, accepted, p.StartDate)
	if err != nil || !ok {
		return ""
	}
	return "First billing " + fmtDate(fb.Date) + ": " + fmtMoney(fb.UnitPrice) + " × " + fmtDec(l.Quantity) + " for " + fb.ProRata.String()
}
