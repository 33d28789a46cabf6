package projections

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/projections/rmdb"
)

// TestAgingOf: an invoice is current through its due date and past due
// from the day after; the buckets' edges are 30, 60 and 90 days.
func TestAgingOf(t *testing.T) {
	due := date(2025, 1, 31)
	for _, tt := range []struct {
		today domain.Date
		want  AgingBucket
		days  int
	}{
		{date(2025, 1, 1), AgingCurrent, 0}, {due, AgingCurrent, 0}, {date(2025, 2, 1), Aging1To30, 1},
		{date(2025, 3, 2), Aging1To30, 30}, {date(2025, 3, 3), Aging31To60, 31}, {date(2025, 4, 1), Aging31To60, 60},
		{date(2025, 4, 2), Aging61To90, 61}, {date(2025, 5, 1), Aging61To90, 90}, {date(2025, 5, 2), AgingOver90, 91},
	} {
		if b, days := AgingOf(due, tt.today); b != tt.want || days != tt.days {
			t.Errorf("due %s, on %s: %s %d, want %s %d", due, tt.today, b, days, tt.want, tt.days)
		}
	}
}

// TestCollectionsFollowInvoices: the collections page's sections follow
// the invoices' events. A scheduled collection is upcoming; a declined one
// is a failed payment since the firm's date of the decline (Sydney's, a
// day ahead of UTC in the evening), with its attempts counted and a retry
// date once one is scheduled, and stays failed through a second decline;
// scheduling a fresh collection makes it upcoming again; paying ends it.
// A rebuild of the invoices projection answers the same, and a replay
// agrees with the tables row for row.
func TestCollectionsFollowInvoices(t *testing.T) {
	eachDB(t, collectionsFollowInvoices)
}

func collectionsFollowInvoices(t *testing.T, db *rmdb.DB) {
	e := newEnv(t)
	ctx := context.Background()
	m := NewModels(db)
	r, err := NewRunner(ctx, e.store, m, RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	step := func() {
		t.Helper()
		if err := r.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
	}
	e.MustAppend(firm.StreamName(), "user:alice", firm.FirmSetUp{Name: "Ledger & Co", BaseCurrency: aud, TimeZone: "Australia/Sydney"})
	cl := id("client/collections")
	e.MustAppend(client.StreamName(cl), "user:alice", client.ClientCreated{ClientID: cl, Name: "Acme Pty", Kind: client.KindBusiness, Currency: aud},
		client.PaymentMethodAdded{ClientID: cl, PaymentMethodID: visa, Method: client.PaymentMethodDetails{Kind: client.MethodCard, Gateway: "sandbox",
			GatewayToken: "pm_visa", Brand: "visa", Last4: "4242", ExpiryMonth: 8, ExpiryYear: 2030}})
	inv := id("invoice/collections")
	stream := invoice.StreamName(inv)
	e.MustAppend(stream, "system", issued(t, inv, cl, "INV-1", date(2025, 6, 1), date(2025, 6, 15), line(t, "Fee", "100", uuid.Nil, "")),
		invoice.InvoiceCollectionScheduled{InvoiceID: inv, Date: date(2025, 6, 10), PaymentMethodID: visa})
	step()
	today := date(2025, 6, 20)
	look := func(want string) {
		t.Helper()
		c, err := m.Collections(ctx, CollectionsQuery{Today: today})
		if err != nil {
			t.Fatal(err)
		}
		if got := collectionsText(c); got != want {
			t.Errorf("collections:\n got %s\nwant %s", got, want)
		}
	}
	look("upcoming [INV-1 2025-06-10 Visa •••• 4242, expires 08/2030 visa 4242 110.00] failed [] overdue [INV-1 5 1_30 110.00] " +
		"totals [AUD up 110.00/1 failed 0.00/0 overdue 110.00/1 aging 0.00/0 110.00/1 0.00/0 0.00/0 0.00/0]")

	// Declined at 20:00 UTC on the 10th: the 11th in Sydney.
	evening := time.Date(2025, 6, 10, 20, 0, 0, 0, time.UTC)
	e.MustAppend(stream, "system", invoice.InvoicePaymentRejected{InvoiceID: inv, AttemptID: id("attempt/1"), PaymentMethodID: visa,
		DeclineCode: "card_declined", DeclineMessage: "Declined", At: evening})
	step()
	look("upcoming [] failed [INV-1 card_declined 1 none since 2025-06-11] overdue [INV-1 5 1_30 110.00] " +
		"totals [AUD up 0.00/0 failed 110.00/1 overdue 110.00/1 aging 0.00/0 110.00/1 0.00/0 0.00/0 0.00/0]")
	e.MustAppend(stream, "system", invoice.InvoiceRetryScheduled{InvoiceID: inv, Date: date(2025, 6, 14), PaymentMethodID: visa})
	step()
	look("upcoming [] failed [INV-1 card_declined 1 2025-06-14 since 2025-06-11] overdue [INV-1 5 1_30 110.00] " +
		"totals [AUD up 0.00/0 failed 110.00/1 overdue 110.00/1 aging 0.00/0 110.00/1 0.00/0 0.00/0 0.00/0]")
	e.MustAppend(stream, "system", invoice.InvoicePaymentRejected{InvoiceID: inv, AttemptID: id("attempt/2"), PaymentMethodID: visa,
		DeclineCode: "insufficient_funds", DeclineMessage: "No funds", Date: date(2025, 6, 14), At: evening.AddDate(0, 0, 3)})
	step()
	look("upcoming [] failed [INV-1 insufficient_funds 2 none since 2025-06-11] overdue [INV-1 5 1_30 110.00] " +
		"totals [AUD up 0.00/0 failed 110.00/1 overdue 110.00/1 aging 0.00/0 110.00/1 0.00/0 0.00/0 0.00/0]")

	// Rebuilt, the projection answers the same.
	if err := r.Rebuild(ctx, "invoices"); err != nil {
		t.Fatal(err)
	}
	look("upcoming [] failed [INV-1 insufficient_funds 2 none since 2025-06-11] overdue [INV-1 5 1_30 110.00] " +
		"totals [AUD up 0.00/0 failed 110.00/1 overdue 110.00/1 aging 0.00/0 110.00/1 0.00/0 0.00/0 0.00/0]")

	e.MustAppend(stream, "user:alice", invoice.InvoiceCollectionScheduled{InvoiceID: inv, Date: date(2025, 6, 25), PaymentMethodID: visa})
	step()
	look("upcoming [INV-1 2025-06-25 Visa •••• 4242, expires 08/2030 visa 4242 110.00] failed [] overdue [INV-1 5 1_30 110.00] " +
		"totals [AUD up 110.00/1 failed 0.00/0 overdue 110.00/1 aging 0.00/0 110.00/1 0.00/0 0.00/0 0.00/0]")
	e.MustAppend(stream, "user:alice", invoice.InvoicePaymentRecorded{InvoiceID: inv, PaymentID: id("payment/collections"),
		Method: invoice.PaidByBankTransfer, Amount: aus("110"), Date: today})
	step()
	look("upcoming [] failed [] overdue [] totals []")

	rep, err := Reconcile(ctx, e.store, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, mm := range rep.Mismatches {
		if mm.Check != "invoice-number" {
			t.Errorf("reconcile: %+v", mm)
		}
	}
}

// collectionsText renders a collections page on one line.
func collectionsText(c Collections) string {
	s := "upcoming ["
	for i, u := range c.Upcoming.Items {
		s += sep(i) + fmt.Sprintf("%s %s %s %s %s %s", u.Number, u.Date, u.Method, u.Brand, u.Last4, u.Balance.Amount.StringFixed(2))
	}
	s += "] failed ["
	for i, f := range c.Failed.Items {
		next := "none"
		if !f.NextRetry.IsZero() {
			next = f.NextRetry.String()
		}
		s += sep(i) + fmt.Sprintf("%s %s %d %s since %s", f.Number, f.DeclineCode, f.Attempts, next, f.RejectedSince)
	}
	s += "] overdue ["
	for i, o := range c.Overdue.Items {
		s += sep(i) + fmt.Sprintf("%s %d %s %s", o.Number, o.DaysOverdue, o.Bucket, o.Balance.Amount.StringFixed(2))
	}
	s += "] totals ["
	for i, tt := range c.Totals {
		s += sep(i) + fmt.Sprintf("%s up %s failed %s overdue %s aging", tt.Currency.Code, counted(tt.Upcoming), counted(tt.Failed), counted(tt.Overdue))
		for _, a := range tt.Aging {
			s += " " + counted(a.CountedMoney)
		}
	}
	if len(c.Upcoming.Items) != c.Upcoming.Total || len(c.Failed.Items) != c.Failed.Total || len(c.Overdue.Items) != c.Overdue.Total {
		s += fmt.Sprintf("] page totals %d %d %d", c.Upcoming.Total, c.Failed.Total, c.Overdue.Total)
	}
	return s + "]"
}

func sep(i int) string {
	if i == 0 {
		return ""
	}
	return "; "
}

func counted(c CountedMoney) string {
	return fmt.Sprintf("%s/%d", c.Amount.Amount.StringFixed(2), c.Count)
}

func TestDunningStageSaysWhereTheInvoiceStands(t *testing.T) {
	writeOff := domain.MustDate(2025, time.April, 14)
	for _, tc := range []struct {
		name string
		st   invoice.State
		want string
	}{
		{"NoStep", invoice.State{}, ""},
		{"OneReminder", invoice.State{RemindersSent: map[string]bool{"on_due": true}}, "1 reminder sent"},
		{"TwoReminders", invoice.State{RemindersSent: map[string]bool{"before_due:3": true, "on_due": true}}, "2 reminders sent"},
		{"Paused", invoice.State{RemindersPaused: true, RemindersSent: map[string]bool{"on_due": true}}, "Reminders paused"},
		{"Exhausted", invoice.State{DunningExhausted: true}, "Retries ran out"},
		{"ExhaustedWithWriteOff", invoice.State{DunningExhausted: true, WriteOffOn: writeOff}, "Retries ran out; write-off on " + writeOff.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := dunningStage(tc.st); got != tc.want {
				t.Errorf("stage = %q, want %q", got, tc.want)
			}
		})
	}
}
