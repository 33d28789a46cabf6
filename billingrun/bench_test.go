package billingrun_test

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"remit/billing"
	"remit/billingrun"
	"remit/domain"
	"remit/domain/client"
	"remit/integrations/payments/sandbox"
)

var (
	benchItems   = flag.Int("billingrun.items", 10000, "due items in BenchmarkRun (the issue's target: 100000 in under 20 s)")
	benchWorkers = flag.Int("billingrun.workers", 32, "workers in BenchmarkRun")
)

// BenchmarkRun measures a whole billing run over -billingrun.items due
// items on the embedded store: clients with two monthly services from 1
// March each (1 and 2 March, so one invoice per item), billed as of 2 April
// (4 items per client). Set-up (through billing, many at once) is not timed.
func BenchmarkRun(b *testing.B) {
	asOf := domain.MustDate(2025, 4, 2)
	for b.Loop() {
		b.StopTimer()
		f := newFixture(b, asOf)
		f.MustSetUpFirm(true, 0)
		f.names = nil
		clients := *benchItems / 4
		start := time.Now()
		setUpClients(f, clients, *benchWorkers)
		b.Logf("set-up of %d clients, %d services: %s", clients, 2*clients, time.Since(start).Round(time.Millisecond))
		b.StartTimer()
		t0 := time.Now()
		rep, err := billingrun.Run(context.Background(), f.store, f.svc, asOf, billingrun.Options{Workers: *benchWorkers})
		el := time.Since(t0)
		b.StopTimer()
		if err != nil || len(rep.Errors) > 0 || rep.Items != 4*clients {
			b.Fatalf("run: %v %v, %+v", err, rep.Errors, rep)
		}
		b.ReportMetric(float64(rep.Issued)/el.Seconds(), "invoices/s")
		b.ReportMetric(float64(rep.Items)/el.Seconds(), "items/s")
		b.ReportMetric(el.Seconds(), "s/run")
		b.Logf("%d items, %d invoices issued, %d collections scheduled in %s", rep.Items, rep.Issued, rep.CollectionsScheduled, el.Round(time.Millisecond))
		b.StartTimer()
	}
}

func setUpClients(f *fixture, n, workers int) {
	ctx := context.Background()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Go(func() {
			for c := int(next.Add(1) - 1); c < n; c = int(next.Add(1) - 1) {
				id := f.ok(f.svc.CreateClient(ctx, billing.ClientRequest{Name: fmt.Sprintf("Client %d", c), Kind: client.KindBusiness,
					Contacts: []client.Contact{{Name: "Accounts", Email: "accounts@client.test"}}}, staff())).ID
				f.ok(f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: id, Method: client.PaymentMethodDetails{
					Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: sandbox.TokenCardSucceeds, Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2030,
				}}, staff()))
				for s := range 2 {
					f.MustService(id, fmt.Sprintf("Service %d", s), every(domain.FrequencyMonths, domain.MustDate(2025, 3, 1+s)), true)
				}
			}
		})
	}
	wg.Wait()
}
