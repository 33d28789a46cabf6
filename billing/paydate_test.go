package billing_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/projections"
	"remit/projections/rmdb"
)

// TestGatewayPaymentIsDatedOnTheFirmsCalendar: a card payment recorded at
// 01:37 in Sydney (14:37 the day before in UTC) is dated on the Sydney date,
// on the event and on the invoice's payments; a collection run's as-of date,
// when given, dates it instead.
func TestGatewayPaymentIsDatedOnTheFirmsCalendar(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm() // Australia/Sydney
	c := f.mustCreateClient("Acme")
	f.ok(f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: c, Method: visa()}, meta("card")))
	issue := func(key string) uuid.UUID {
		return f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c,
			Lines: []billing.InstantLine{{Description: "Advice", Quantity: dec("1"), UnitPrice: dec("100"), TaxRate: dec("10")}}}, meta(key))).ID
	}
	inv, later := issue("issue-1"), issue("issue-2")

	f.clk.mu.Lock()
	f.clk.now = time.Date(2025, 3, 10, 14, 37, 0, 0, time.UTC) // 01:37 on 11 March in Sydney (AEDT)
	f.clk.mu.Unlock()
	sydney := domain.MustDate(2025, 3, 11)
	f.ok(f.svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: inv, Outcome: invoice.AttemptSucceeded,
		GatewayReference: "ch_1", Amount: dec("110")}, meta("attempt-1")))
	asOf := domain.MustDate(2025, 4, 1)
	f.ok(f.svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: later, Outcome: invoice.AttemptSucceeded,
		GatewayReference: "ch_2", Amount: dec("110"), Date: asOf}, meta("attempt-2")))

	rm, err := rmdb.OpenSQLite(filepath.Join(t.TempDir(), "rm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	models := projections.NewModels(rm)
	runner, err := projections.NewRunner(ctx, f.store, models, projections.RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Close()
	if err := runner.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id   uuid.UUID
		want domain.Date
	}{{inv, sydney}, {later, asOf}} {
		d, err := models.Invoice(ctx, tc.id, sydney)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Payments) != 1 || d.Payments[0].Date != tc.want {
			t.Errorf("invoice %s: payments %+v, want one dated %s", d.Number, d.Payments, tc.want)
		}
	}
}
