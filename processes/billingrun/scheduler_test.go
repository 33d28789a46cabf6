package billingrun_test

import (
	"context"
	"testing"
	"time"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/integrations/payments/sandbox"
	"remit/processes/billingrun"
)

// TestSchedulerRunsOnStart: a scheduler started over a store with due items
// bills and collects them at once, for the firm's date, and Close stops it.
func TestSchedulerRunsOnStart(t *testing.T) {
	day := domain.MustDate(2025, 3, 1)
	f := newFixture(t, day)
	f.MustSetUpFirm(true, 0)
	acme := f.MustClient("Acme", sandbox.TokenCardSucceeds)
	f.MustService(acme, "Bookkeeping", every(domain.FrequencyMonths, day), true)

	runs := make(chan billingrun.RunResult, 1)
	s := &billingrun.Scheduler{Store: f.store, Billing: f.svc, Gateway: f.gw, Now: f.clk.Now, OnRun: func(r billingrun.RunResult) { runs <- r }}
	s.Start(context.Background())
	r := <-runs
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if r.Err != nil || r.AsOf != day || r.Billing.Issued != 1 || r.Billing.CollectionsScheduled != 1 || r.Collect.Succeeded != 1 {
		t.Fatalf("first run: %+v, want one invoice issued, scheduled and paid on %s", r, day)
	}
}

// TestSchedulerCollectsTodaysCollectionsBetweenDailyRuns: an invoice whose
// collection is scheduled for today after the day's run (an instant bill
// collected at once) is charged by the next collection tick, the same day,
// not after the next midnight; billing does not run again meanwhile.
func TestSchedulerCollectsTodaysCollectionsBetweenDailyRuns(t *testing.T) {
	day := domain.MustDate(2025, 3, 1)
	f := newFixture(t, day)
	f.MustSetUpFirm(true, 0)
	acme := f.MustClient("Acme", sandbox.TokenCardSucceeds)

	runs := make(chan billingrun.RunResult, 4)
	collections := make(chan billingrun.CollectReport, 100)
	s := &billingrun.Scheduler{Store: f.store, Billing: f.svc, Gateway: f.gw, Now: f.clk.Now, CollectEvery: 20 * time.Millisecond,
		OnRun:     func(r billingrun.RunResult) { runs <- r },
		OnCollect: func(_ domain.Date, rep billingrun.CollectReport, err error) { collections <- rep },
	}
	s.Start(context.Background())
	t.Cleanup(func() { s.Close() })
	if r := <-runs; r.Err != nil || r.Collect.Succeeded != 0 {
		t.Fatalf("the day's run: %+v, want nothing to collect yet", r)
	}

	lines := []billing.InstantLine{{Description: "Year-end advice", Quantity: dec("1"), UnitPrice: dec("300"), TaxRate: dec("10")}}
	inv := f.ok(f.svc.IssueInvoice(context.Background(), billing.IssueInvoiceRequest{ClientID: acme, Lines: lines}, staff())).ID
	deadline := time.After(10 * time.Second)
	for paid := false; !paid; {
		select {
		case rep := <-collections:
			paid = rep.Succeeded == 1
		case <-deadline:
			t.Fatal("the instant bill collected today was not charged between daily runs")
		}
	}
	if st := f.mustInvoice(inv); st.Status != invoice.StatusPaid {
		t.Fatalf("invoice %s, want paid", st.Status)
	}
	select {
	case r := <-runs:
		t.Fatalf("billing ran again the same day: %+v", r)
	default:
	}
}
