package projections

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/invoice"
	"remit/projections/rmdb"
)

// BenchmarkInvoicesQueries times the invoice queries of the client page and
// the firm's lists on SQLite, over 50 clients of 1,000 invoices each (60%
// paid, 10% void, the rest unpaid in several ways, due dates spread so some
// are overdue).
func BenchmarkInvoicesQueries(b *testing.B) {
	db, err := rmdb.OpenSQLite(filepath.Join(b.TempDir(), "rm.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	w := newInvoices(db, 1)
	if err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		tx.CreateTables(1, w.Tables())
		tx.ServeViews(1, w.Tables())
		return tx.Err()
	}); err != nil {
		b.Fatal(err)
	}
	const clients, each = 50, 1000
	first := invoicesDate(2023, 1, 1)
	var pos uint64
	for c := range clients {
		cid := invoicesID(fmt.Sprintf("bench/client/%d", c))
		tx, err := db.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		apply := func(inv uuid.UUID, rev uint64, ev domain.Event) {
			pos++
			w.Apply(tx, Event{Position: pos, Stream: invoice.StreamName(inv), Revision: rev, Data: ev})
		}
		for i := range each {
			n := c*each + i
			inv := invoicesID(fmt.Sprintf("bench/invoice/%d", n))
			issue := first.AddDays(n * 900 / (clients * each))
			apply(inv, 0, invoicesIssued(b, inv, cid, fmt.Sprintf("INV-%06d", n), issue, issue.AddDays(14), invoicesLine(b, "Work", "100")))
			switch n % 20 {
			case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11:
				apply(inv, 1, invoice.InvoicePaymentRecorded{InvoiceID: inv, PaymentID: invoicesID(fmt.Sprintf("bench/pay/%d", n)), Method: invoice.PaidByCash, Amount: invoicesAUD("110"), Date: issue})
			case 12, 13:
				apply(inv, 1, invoice.InvoiceVoided{InvoiceID: inv, Reason: "mistake"})
			case 14:
				apply(inv, 1, invoice.InvoicePaymentRejected{InvoiceID: inv, AttemptID: invoicesID(fmt.Sprintf("bench/att/%d", n)), DeclineCode: "do_not_honor"})
			case 15:
				apply(inv, 1, invoice.InvoicePaymentRecorded{InvoiceID: inv, PaymentID: invoicesID(fmt.Sprintf("bench/pay/%d", n)), Method: invoice.PaidByCash, Amount: invoicesAUD("10"), Date: issue})
			}
		}
		w.Flush(tx)
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	p := newInvoices(db, 0)
	today := first.AddDays(880)
	client := invoicesID("bench/client/7")
	for _, tc := range []struct {
		name string
		q    InvoiceQuery
	}{
		{"ClientPage", InvoiceQuery{ClientID: client, Today: today}},
		{"ClientPageDeep", InvoiceQuery{ClientID: client, Today: today, Paging: Paging{Offset: 950}}},
		{"FirmPage", InvoiceQuery{Today: today}},
		{"FirmOverdue", InvoiceQuery{Today: today, Statuses: []invoice.Status{invoice.StatusOverdue}}},
		{"FirmPaid", InvoiceQuery{Today: today, Statuses: []invoice.Status{invoice.StatusPaid}}},
		{"FirmRejected", InvoiceQuery{Today: today, Statuses: []invoice.Status{invoice.StatusPaymentRejected}}},
		{"FirmAwaiting", InvoiceQuery{Today: today, Statuses: []invoice.Status{invoice.StatusAwaitingPayment}}},
		{"FirmUnpaid", InvoiceQuery{Today: today, Statuses: []invoice.Status{invoice.StatusOverdue, invoice.StatusAwaitingPayment,
			invoice.StatusPartlyPaid, invoice.StatusPaymentRejected, invoice.StatusPaymentScheduled}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				items, total, err := p.list(ctx, tc.q)
				if err != nil || len(items) == 0 || total == 0 {
					b.Fatalf("%d items of %d, %v", len(items), total, err)
				}
			}
		})
	}
	// 50 at once, a mix of the client page and the status-filtered firm
	// list; reports the 99th percentile latency.
	b.Run("Concurrent50", func(b *testing.B) {
		var mu sync.Mutex
		var lat []time.Duration
		b.SetParallelism(25) // × GOMAXPROCS 2
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				q := InvoiceQuery{ClientID: invoicesID(fmt.Sprintf("bench/client/%d", n.Add(1)%clients)), Today: today}
				if n.Load()%10 == 0 {
					q = InvoiceQuery{Today: today, Statuses: []invoice.Status{invoice.StatusOverdue}}
				}
				start := time.Now()
				if _, _, err := p.list(ctx, q); err != nil {
					b.Error(err)
				}
				d := time.Since(start)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		})
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	})
	b.Run("OwedBy", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.owedBy(ctx, client, today); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Detail", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.detail(ctx, invoicesID("bench/invoice/7123"), today); err != nil {
				b.Fatal(err)
			}
		}
	})
}
