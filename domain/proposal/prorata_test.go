package proposal_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/proposal"
)

// TestFirstBillingOf: a line billed monthly on the 1st, its first period pro
// rata, starting on 15 April 2027 first bills 16/30 of its price on the
// start, tax added; starting on the 1st, or without the option, it has no
// pro-rata first billing.
func TestFirstBillingOf(t *testing.T) {
	aud := domain.MustCurrency("AUD")
	l := proposal.Line{Name: "Bookkeeping", UnitPrice: decimal.RequireFromString("300"), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10),
		BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnProposalStart, AnchorDay: 1, End: domain.EndNever, ProRataFirst: true}}
	fb, ok, err := proposal.FirstBillingOf(l, aud, domain.TaxExclusive, domain.Date{}, domain.MustDate(2027, 4, 15))
	if err != nil || !ok {
		t.Fatalf("FirstBillingOf = %v %v", ok, err)
	}
	if fb.Date != domain.MustDate(2027, 4, 15) || fb.ProRata.Days != 16 || fb.ProRata.Of != 30 ||
		!fb.UnitPrice.Equal(domain.MustMoney("160", "AUD")) || !fb.Amounts.Gross.Equal(domain.MustMoney("176", "AUD")) {
		t.Fatalf("first billing %+v, want 15 Apr 2027, 16/30, A$160 + tax = A$176", fb)
	}
	if _, ok, _ := proposal.FirstBillingOf(l, aud, domain.TaxExclusive, domain.Date{}, domain.MustDate(2027, 5, 1)); ok {
		t.Error("a start on the anchor day has a pro-rata first billing")
	}
	l.BillingRule.ProRataFirst = false
	if _, ok, _ := proposal.FirstBillingOf(l, aud, domain.TaxExclusive, domain.Date{}, domain.MustDate(2027, 4, 15)); ok {
		t.Error("a rule without the option has a pro-rata first billing")
	}
}
