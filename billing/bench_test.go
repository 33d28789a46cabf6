package billing_test

import (
	"context"
	"fmt"
	"testing"

	"remit/billing"
	"remit/domain/client"
	"remit/domain/service"
)

// BenchmarkCommands measures command throughput on the embedded store: each
// iteration creates a client, activates a service and issues the invoice of
// its first item (5 appends: client, service, item billed, number, invoice).
func BenchmarkCommands(b *testing.B) {
	ctx := context.Background()
	f := newFixture(b)
	f.mustSetUpFirm()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		c, err := f.svc.CreateClient(ctx, billing.ClientRequest{Name: fmt.Sprintf("Client %d", i), Kind: client.KindBusiness,
			Contacts: []client.Contact{{Name: "Alice", Email: "alice@client.test"}}}, meta(fmt.Sprintf("c-%d", i)))
		if err != nil {
			b.Fatal(err)
		}
		s, err := f.svc.ActivateService(ctx, billing.ServiceRequest{ClientID: c.ID, Name: "Bookkeeping", UnitPrice: dec("100"),
			Quantity: dec("1"), TaxRate: dec("10"), BillingRule: monthly(monthStart), Automatic: true}, meta(fmt.Sprintf("s-%d", i)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c.ID, ItemKeys: []string{service.ItemKey(s.ID, 1)}}, meta(fmt.Sprintf("i-%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(3*b.N)/b.Elapsed().Seconds(), "commands/s")
}
