package billingrun_test

import (
	"context"
	"testing"

	"remit/domain"
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
