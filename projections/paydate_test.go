package projections

import (
	"context"
	"slices"
	"testing"
	"time"

	"remit/domain/firm"
	"remit/domain/invoice"
)

// TestInvoicesGatewayPaymentDate: a gateway payment is dated by its event's
// date (the collection run's as-of date); one recorded before events carried
// a date is dated on the firm's calendar (01:37 in Sydney is the next day in
// Sydney, not the UTC day), also by a writer started after a restart, which
// reads the firm's time zone from the tables.
func TestInvoicesGatewayPaymentDate(t *testing.T) {
	for _, b := range invoicesBackends {
		t.Run(b.name, func(t *testing.T) {
			db, reopen := b.open(t)
			l := invoicesApplier(t, db)
			ctx := context.Background()
			one, two := invoicesID("paydate/1"), invoicesID("paydate/2")
			l.invoicesApply(firm.StreamName(), firm.FirmSetUp{Name: "Ledger & Co", TimeZone: "Australia/Sydney"})
			l.invoicesApply(invoice.StreamName(one), invoicesIssued(t, one, invoicesAcme, "INV-000001", invoicesDate(2025, 3, 1), invoicesDate(2025, 3, 15), invoicesLine(t, "Advice", "100")))
			l.invoicesApply(invoice.StreamName(two), invoicesIssued(t, two, invoicesAcme, "INV-000002", invoicesDate(2025, 3, 1), invoicesDate(2025, 3, 15), invoicesLine(t, "Advice", "100")))
			sydney137 := time.Date(2025, 3, 10, 14, 37, 0, 0, time.UTC) // 01:37 on 11 March in Sydney
			// Recorded before events carried a date: no Date.
			l.invoicesApply(invoice.StreamName(one),
				invoice.InvoicePaymentSucceeded{InvoiceID: one, AttemptID: invoicesID("paydate/attempt/1"), GatewayReference: "ch_1", Amount: invoicesAUD("20"), At: sydney137})
			l.invoicesApply(invoice.StreamName(two),
				invoice.InvoicePaymentSucceeded{InvoiceID: two, AttemptID: invoicesID("paydate/attempt/2"), GatewayReference: "ch_2", Amount: invoicesAUD("50"), Date: invoicesDate(2027, 2, 5), At: sydney137})

			// A writer of a restarted process applies more.
			db2 := reopen()
			l2 := &invoicesLog{t: t, db: db2, w: newInvoices(db2, 1), pos: l.pos, revs: l.revs}
			l2.invoicesApply(invoice.StreamName(one),
				invoice.InvoicePaymentSucceeded{InvoiceID: one, AttemptID: invoicesID("paydate/attempt/3"), GatewayReference: "ch_3", Amount: invoicesAUD("20"), At: sydney137.Add(time.Hour)})
			// Once the firm moves to UTC, an undated payment is dated in UTC.
			l2.invoicesApply(firm.StreamName(), firm.FirmRegionalSettingsChanged{TimeZone: "UTC"})
			l2.invoicesApply(invoice.StreamName(one),
				invoice.InvoicePaymentSucceeded{InvoiceID: one, AttemptID: invoicesID("paydate/attempt/4"), GatewayReference: "ch_4", Amount: invoicesAUD("20"), At: sydney137})

			p := newInvoices(db, 0)
			for _, tc := range []struct {
				inv  [16]byte
				want []string // the payments' dates
			}{{one, []string{"2025-03-11", "2025-03-11", "2025-03-10"}}, {two, []string{"2027-02-05"}}} {
				d, err := p.detail(ctx, tc.inv, invoicesToday)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, pay := range d.Payments {
					got = append(got, pay.Date.String())
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("invoice %s payments dated %v, want %v", d.Number, got, tc.want)
				}
			}
		})
	}
}

// TestInvoicesZoneRolledBack: a change of time zone in a batch that rolls
// back is forgotten by the writer (Discard), so the next batch dates an
// undated payment in the zone the tables hold.
func TestInvoicesZoneRolledBack(t *testing.T) {
	db, _ := invoicesBackends[0].open(t)
	l := invoicesApplier(t, db)
	ctx := context.Background()
	one := invoicesID("zone/1")
	l.invoicesApply(firm.StreamName(), firm.FirmSetUp{Name: "Ledger & Co", TimeZone: "Australia/Sydney"})
	l.invoicesApply(invoice.StreamName(one), invoicesIssued(t, one, invoicesAcme, "INV-000001", invoicesDate(2025, 3, 1), invoicesDate(2025, 3, 15), invoicesLine(t, "Advice", "100")))
	sydney137 := time.Date(2025, 3, 10, 14, 37, 0, 0, time.UTC) // 01:37 on 11 March in Sydney

	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l.w.Apply(tx, Event{Position: 100, Stream: firm.StreamName(), Data: firm.FirmRegionalSettingsChanged{TimeZone: "UTC"}})
	l.w.Apply(tx, Event{Position: 101, Stream: invoice.StreamName(one),
		Data: invoice.InvoicePaymentSucceeded{InvoiceID: one, AttemptID: invoicesID("zone/attempt/0"), Amount: invoicesAUD("20"), At: sydney137}})
	l.w.Flush(tx)
	tx.Rollback()
	l.w.Discard()

	l.invoicesApply(invoice.StreamName(one),
		invoice.InvoicePaymentSucceeded{InvoiceID: one, AttemptID: invoicesID("zone/attempt/1"), Amount: invoicesAUD("20"), At: sydney137})
	d, err := newInvoices(db, 0).detail(ctx, one, invoicesToday)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Payments) != 1 || d.Payments[0].Date.String() != "2025-03-11" {
		t.Errorf("payments %+v, want one dated 2025-03-11 (Sydney)", d.Payments)
	}
}
