package billingrun_test

import (
	"testing"

	"remit/domain"
	"remit/integrations/payments/sandbox"
)

// TestProRataFirstInvoice: a monthly service on the 1st agreed with a start
// of 15 April 2027 and its first period pro rata is invoiced on 15 April for
// 16/30 of its A$100 (A$53.33 + 10 % tax), the line naming the days it
// covers; the run of 1 May invoices the whole month.
func TestProRataFirstInvoice(t *testing.T) {
	start := domain.MustDate(2027, 4, 15)
	f := newFixture(t, start)
	f.MustSetUpFirm(true, 0)
	acme := f.MustClient("Acme", sandbox.TokenCardSucceeds)
	rule := every(domain.FrequencyMonths, start)
	rule.Interval, rule.AnchorDay, rule.ProRataFirst = 1, 1, true
	f.MustService(acme, "Bookkeeping", rule, true)

	if rep := f.MustRun(start); rep.Issued != 1 {
		t.Fatalf("run of %s: %+v, want one invoice", start, rep)
	}
	invs := f.issuedInvoices(0)
	if len(invs) != 1 || len(invs[0].Lines) != 1 {
		t.Fatalf("issued %+v, want one invoice of one line", invs)
	}
	l := invs[0].Lines[0]
	if invs[0].IssueDate != start || l.Description != "Bookkeeping — 15 – 30 April 2027, pro rata 16/30 days" ||
		!l.UnitPrice.Equal(domain.MustMoney("53.33", "AUD")) || !l.Amounts.Net.Equal(domain.MustMoney("53.33", "AUD")) ||
		!l.Amounts.Gross.Equal(domain.MustMoney("58.66", "AUD")) {
		t.Fatalf("first invoice on %s: line %q %s, amounts %+v; want on %s 'Bookkeeping — 15 – 30 April 2027, pro rata 16/30 days' A$53.33 + tax = A$58.66",
			invs[0].IssueDate, l.Description, l.UnitPrice, l.Amounts, start)
	}

	head := f.head()
	may := domain.MustDate(2027, 5, 1)
	f.clk.setDay(may)
	f.MustRun(may)
	if invs := f.issuedInvoices(head); len(invs) != 1 || invs[0].Lines[0].Description != "Bookkeeping — May 2027" || !invs[0].Lines[0].Amounts.Net.Equal(domain.MustMoney("100", "AUD")) {
		t.Fatalf("1 May: %+v, want May 2027 at A$100", invs)
	}
}
