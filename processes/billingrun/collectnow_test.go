package billingrun_test

import (
	"context"
	"testing"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/integrations/payments/sandbox"
	"remit/processes/billingrun"
)

// TestAttemptDueNowChargesOnce: an invoice whose collection is due today is
// charged on the spot, and says it was; asked again (a double click, a
// reload, the ten-minute collection) nothing is attempted and the outcome
// is only reported, so the charge is made and counted once.
func TestAttemptDueNowChargesOnce(t *testing.T) {
	day := domain.MustDate(2025, 3, 3)
	f := newFixture(t, day)
	f.MustSetUpFirm(true, 0) // once-off invoices are collected on the day issued
	acme := f.MustClient("Acme", sandbox.TokenCardSucceeds)
	lines := []billing.InstantLine{{Description: "Advice", Quantity: dec("1"), UnitPrice: dec("100"), TaxRate: dec("10")}}
	inv := f.ok(f.svc.IssueInvoice(context.Background(), billing.IssueInvoiceRequest{ClientID: acme, Lines: lines}, staff())).ID

	out, err := billingrun.AttemptDueNow(context.Background(), f.svc, f.gw, inv, "client-link:test")
	if err != nil || !out.Attempted || out.Status != invoice.StatusPaid {
		t.Fatalf("first call: %+v, %v; want attempted and paid", out, err)
	}
	again, err := billingrun.AttemptDueNow(context.Background(), f.svc, f.gw, inv, "client-link:test")
	if err != nil || again.Attempted || again.Status != invoice.StatusPaid {
		t.Fatalf("second call: %+v, %v; want paid, nothing attempted", again, err)
	}
	if rep := f.MustCollect(day); rep.Succeeded != 0 {
		t.Fatalf("the day's collection after it charged %d more", rep.Succeeded)
	}
	if st := f.mustInvoice(inv); len(st.Attempts) != 1 || !st.Paid.Amount.Equal(dec("110")) {
		t.Fatalf("%d attempts, %s paid; want one charge of 110.00", len(st.Attempts), st.Paid.Amount)
	}
}
