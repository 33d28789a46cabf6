package proposal

import "remit/domain"

// FirstBilling is what a line's service bills first when the line's billing
// rule bills its first period pro rata (domain.BillingRule.ProRataFirst) and
// starts between anchors: its date (the start), the partial period, the
// reduced unit price and the line's amounts at that price. The proposal page
// shows it beside the line before the client signs.
type FirstBilling struct {
	Date      domain.Date
	ProRata   domain.ProRata
	UnitPrice domain.Money
	Amounts   domain.LineAmounts
}

// FirstBillingOf returns the pro-rata first billing of line l of a proposal
// in currency c under tax mode, were it accepted on acceptedOn (today, while
// it is unsigned) with proposalStart its start date (either may be zero),
// as domain.BillingRule.FirstDate resolves them. It is false when the line's
// first billing is a whole period (no ProRataFirst, a start on the anchor
// day, or no start known yet), so callers show the line's usual amounts.
func FirstBillingOf(l Line, c domain.Currency, mode domain.TaxMode, acceptedOn, proposalStart domain.Date) (FirstBilling, bool, error) {
	if !l.BillingRule.ProRataFirst {
		return FirstBilling{}, false, nil
	}
	first, err := l.BillingRule.FirstDate(acceptedOn, proposalStart)
	if err != nil {
		return FirstBilling{}, false, nil // no start to show a first billing from
	}
	part, ok := l.BillingRule.FirstPeriod(first)
	if !ok {
		return FirstBilling{}, false, nil
	}
	price := part.Apply(l.UnitPrice, c)
	a, err := domain.ComputeLine(c, mode, domain.LineInput{Quantity: l.Quantity, UnitPrice: price, Discount: l.Discount, TaxRate: l.TaxRate})
	if err != nil {
		return FirstBilling{}, false, err
	}
	return FirstBilling{Date: first, ProRata: part, UnitPrice: domain.Money{Amount: price, Currency: c}, Amounts: a}, true, nil
}
