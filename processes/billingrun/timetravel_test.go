package billingrun_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"remit/billing"
	"remit/domain"
	"remit/domain/service"
	"remit/integrations/payments/sandbox"
)

// TestTimeTravel moves the clock day by day through three months and checks
// that every invoice, collection, payment, rejection and retry happens on its
// date and no other, that re-running any day changes nothing, and that each
// attempt charges the gateway once.
func TestTimeTravel(t *testing.T) {
	first, last := domain.MustDate(2025, 2, 27), domain.MustDate(2025, 5, 31)
	f := newFixture(t, first)
	f.MustSetUpFirm(true, 2) // once-off invoices collected 2 days after issue; recurring on the day
	ctx := context.Background()

	want := map[domain.Date][]string{}
	add := func(d domain.Date, format string, args ...any) {
		want[d] = append(want[d], fmt.Sprintf(format, args...))
	}

	// Acme pays by card: a monthly and a weekly service, both from 1 March,
	// so 1 March is one invoice of two lines.
	acme := f.MustClient("Acme", sandbox.TokenCardSucceeds)
	f.MustService(acme, "Bookkeeping", every(domain.FrequencyMonths, domain.MustDate(2025, 3, 1)), true)
	f.MustService(acme, "Payroll", every(domain.FrequencyWeeks, domain.MustDate(2025, 3, 1)), true)
	for d := domain.MustDate(2025, 3, 1); !d.After(last); d = d.AddDays(7) {
		lines := 1
		if d.Day() == 1 {
			lines = 2
		}
		add(d, "issued Acme %d lines", lines)
		add(d, "collect Acme on %s", d)
		add(d, "paid Acme")
	}
	for _, d := range []domain.Date{domain.MustDate(2025, 4, 1), domain.MustDate(2025, 5, 1)} {
		add(d, "issued Acme 1 lines")
		add(d, "collect Acme on %s", d)
		add(d, "paid Acme")
	}

	// Brick's card is declined: retried 3, 5 and 7 days after the first
	// rejection, then left for staff.
	brick := f.MustClient("Brick", sandbox.TokenCardDeclined)
	f.MustService(brick, "Tax return", every(domain.FrequencyMonths, domain.MustDate(2025, 3, 5)), true)
	for m := 3; m <= 5; m++ {
		d := domain.MustDate(2025, time.Month(m), 5)
		add(d, "issued Brick 1 lines")
		add(d, "collect Brick on %s", d)
		for i, r := range []int{0, 3, 5, 7} {
			add(d.AddDays(r), "rejected Brick card_declined")
			if i < 3 {
				next := []int{3, 5, 7}[i]
				add(d.AddDays(r), "retry Brick on %s", d.AddDays(next))
			}
		}
	}

	// Cobalt pays by bank debit, which settles 3 days after the charge.
	cobalt := f.MustClient("Cobalt", sandbox.TokenDebitSettles)
	f.MustService(cobalt, "Audit", every(domain.FrequencyMonths, domain.MustDate(2025, 3, 10)), true)
	for m := 3; m <= 5; m++ {
		d := domain.MustDate(2025, time.Month(m), 10)
		add(d, "issued Cobalt 1 lines")
		add(d, "collect Cobalt on %s", d)
		add(d.AddDays(3), "paid Cobalt")
	}

	// Dune's debit is returned 3 days after each charge: first rejection on
	// d+3; the retry of d+6 is returned on d+9, too late for the retry of
	// d+8, so the next is d+10, returned on d+13: retries used up.
	dune := f.MustClient("Dune", sandbox.TokenDebitReturned)
	f.MustService(dune, "Advisory", every(domain.FrequencyMonths, domain.MustDate(2025, 3, 15)), true)
	for m := 3; m <= 4; m++ { // May's falls partly after the end
		d := domain.MustDate(2025, time.Month(m), 15)
		add(d, "issued Dune 1 lines")
		add(d, "collect Dune on %s", d)
		add(d.AddDays(3), "rejected Dune debit_returned")
		add(d.AddDays(3), "retry Dune on %s", d.AddDays(6))
		add(d.AddDays(9), "rejected Dune debit_returned")
		add(d.AddDays(9), "retry Dune on %s", d.AddDays(10))
		add(d.AddDays(13), "rejected Dune debit_returned")
	}
	may := domain.MustDate(2025, 5, 15)
	add(may, "issued Dune 1 lines")
	add(may, "collect Dune on %s", may)
	add(may.AddDays(3), "rejected Dune debit_returned")
	add(may.AddDays(3), "retry Dune on %s", may.AddDays(6))
	add(may.AddDays(9), "rejected Dune debit_returned")
	add(may.AddDays(9), "retry Dune on %s", may.AddDays(10))
	add(may.AddDays(13), "rejected Dune debit_returned")

	// Echo's one-time manual item (dated 20 March) is scheduled by staff to
	// be issued on 25 March; once-off invoices are collected 2 days later.
	echo := f.MustClient("Echo", sandbox.TokenCardSucceeds)
	echoSvc := f.MustService(echo, "Setup", domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnDate, StartDate: domain.MustDate(2025, 3, 20), End: domain.EndNever}, false)
	f.ok(f.svc.ScheduleItemIssue(ctx, billing.ItemRequest{ItemKey: service.ItemKey(echoSvc, 1), IssueOn: domain.MustDate(2025, 3, 25)}, staff()))
	add(domain.MustDate(2025, 3, 25), "issued Echo 1 lines")
	add(domain.MustDate(2025, 3, 25), "collect Echo on 2025-03-27")
	add(domain.MustDate(2025, 3, 27), "paid Echo")

	charges := 0
	for d := first; !d.After(last); d = d.AddDays(1) {
		f.clk.setDay(d)
		before := f.head()
		f.MustRun(d)
		f.MustCollect(d)
		got := f.happenings(before)
		exp := slices.Clone(want[d])
		slices.Sort(exp)
		if !slices.Equal(got, exp) {
			t.Errorf("%s:\n got: %s\nwant: %s", d, strings.Join(got, "; "), strings.Join(exp, "; "))
		}
		charges = f.charges()
		if len(got) > 0 && testing.Verbose() {
			t.Logf("%s: %s", d, strings.Join(got, "; "))
		}

		// Re-running the day changes nothing and charges nothing.
		h := f.head()
		f.MustRun(d)
		if rep := f.MustCollect(d); rep.Succeeded+rep.Rejected > 0 {
			t.Errorf("%s re-run: collected again: %+v", d, rep)
		}
		if f.head() != h || f.charges() != charges {
			t.Fatalf("%s re-run appended %d events and made %d charges", d, f.head()-h, f.charges()-charges)
		}
	}

	// One charge per attempt: Acme 14 weekly + 2 monthly, Brick 3×4,
	// Cobalt 3, Dune 3×3, Echo 1.
	if wantCharges := 16 + 12 + 3 + 9 + 1; charges != wantCharges {
		t.Errorf("%d sandbox charges, want %d", charges, wantCharges)
	}
}
