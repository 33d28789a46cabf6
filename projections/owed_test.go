package projections

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/invoice"
)

// TestInvoicesOwedMatchesList checks what owedBy sums (the Summary's and
// the clients list's outstanding and overdue) against the invoices
// themselves as the list shows them, on every day around the due dates,
// while invoices are paid in part, paid off, written off and voided; and
// that a restarted process reads the same sums from the tables.
func TestInvoicesOwedMatchesList(t *testing.T) {
	for _, b := range invoicesBackends {
		t.Run(b.name, func(t *testing.T) {
			db, reopen := b.open(t)
			l := invoicesApplier(t, db)
			p := newInvoices(db, 0)
			ctx := context.Background()
			aud := domain.MustCurrency("AUD")
			cid := invoicesID("owed/client")
			first := invoicesDate(2025, 3, 1)
			check := func(step string) {
				t.Helper()
				for d := first.AddDays(-3); d.Before(first.AddDays(40)); d = d.AddDays(1) {
					o, err := p.owedBy(ctx, cid, d)
					if err != nil {
						t.Fatal(err)
					}
					all, _, err := p.list(ctx, InvoiceQuery{ClientID: cid, Today: d, Paging: Paging{Limit: MaxLimit}})
					if err != nil {
						t.Fatal(err)
					}
					var outstanding, overdue decimal.Decimal
					var open, late int
					for _, it := range all {
						switch it.Status {
						case invoice.StatusPaid, invoice.StatusVoid, invoice.StatusWrittenOff:
							continue
						case invoice.StatusOverdue:
							late++
							overdue = overdue.Add(it.Balance.Amount)
						}
						open++
						outstanding = outstanding.Add(it.Balance.Amount)
					}
					want := func(x decimal.Decimal) []string {
						if x.IsZero() {
							return nil
						}
						return []string{domain.Money{Amount: x, Currency: aud}.String()}
					}
					got := func(m moneyByCurrency) []string {
						if len(m) == 0 {
							return nil
						}
						return invoicesMoneyStrings(m.sorted())
					}
					if o.open != open || o.late != late ||
						!slices.Equal(got(o.outstanding), want(outstanding)) || !slices.Equal(got(o.overdue), want(overdue)) {
						t.Fatalf("%s, on %s: owedBy says %d open %v, %d overdue %v; invoices say %d open %v, %d overdue %v", step, d,
							o.open, got(o.outstanding), o.late, got(o.overdue), open, want(outstanding), late, want(overdue))
					}
				}
			}
			invs := make([][16]byte, 12)
			for i := range invs {
				invs[i] = invoicesID(fmt.Sprintf("owed/invoice/%d", i))
				// Due dates spread over a month, some sharing a day.
				due := first.AddDays(3 * (i / 2) * (1 + i%2))
				l.invoicesApply(invoice.StreamName(invs[i]),
					invoicesIssued(t, invs[i], cid, fmt.Sprintf("INV-%06d", i+1), first.AddDays(-14), due, invoicesLine(t, "Work", fmt.Sprint(100+10*i))))
			}
			check("all issued")
			l.invoicesApply(invoice.StreamName(invs[0]),
				invoice.InvoicePaymentRecorded{InvoiceID: invs[0], PaymentID: invoicesID("owed/p0"), Method: invoice.PaidByCash, Amount: invoicesAUD("50"), Date: first})
			check("one partly paid")
			l.invoicesApply(invoice.StreamName(invs[5]),
				invoice.InvoicePaymentRecorded{InvoiceID: invs[5], PaymentID: invoicesID("owed/p5"), Method: invoice.PaidByCash, Amount: invoicesAUD("165"), Date: first})
			check("one paid off")
			l.invoicesApply(invoice.StreamName(invs[7]), invoice.InvoiceVoided{InvoiceID: invs[7], Reason: "wrong client"})
			check("one voided")
			l.invoicesApply(invoice.StreamName(invs[11]), invoice.InvoiceWrittenOff{InvoiceID: invs[11], Amount: invoicesAUD("231"), Reason: "gone"})
			check("one written off")

			// A restarted process reads the same sums.
			restarted := newInvoices(reopen(), 0)
			for d := first; d.Before(first.AddDays(40)); d = d.AddDays(7) {
				a, err := p.owedBy(ctx, cid, d)
				if err != nil {
					t.Fatal(err)
				}
				b, err := restarted.owedBy(ctx, cid, d)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(invoicesMoneyStrings(a.overdue.sorted()), invoicesMoneyStrings(b.overdue.sorted())) || a.late != b.late ||
					!slices.Equal(invoicesMoneyStrings(a.outstanding.sorted()), invoicesMoneyStrings(b.outstanding.sorted())) {
					t.Errorf("on %s restarted owes %v/%v, live %v/%v", d, invoicesMoneyStrings(b.outstanding.sorted()), invoicesMoneyStrings(b.overdue.sorted()),
						invoicesMoneyStrings(a.outstanding.sorted()), invoicesMoneyStrings(a.overdue.sorted()))
				}
			}
		})
	}
}

// TestInvoicesOwedPerCurrency: a client owing in two currencies gets one
// sum per currency, each in its own minor units.
func TestInvoicesOwedPerCurrency(t *testing.T) {
	db, _ := invoicesBackends[0].open(t)
	l := invoicesApplier(t, db)
	ctx := context.Background()
	cid := invoicesID("owed/two-currencies")
	day := invoicesDate(2025, 3, 1)
	a, j := invoicesID("owed/aud"), invoicesID("owed/jpy")
	l.invoicesApply(invoice.StreamName(a), invoicesIssued(t, a, cid, "INV-000001", day, day.AddDays(7), invoicesLine(t, "Work", "100")))
	jpy := domain.MustCurrency("JPY")
	yen := domain.Money{Amount: decimal.NewFromInt(5000), Currency: jpy}
	l.invoicesApply(invoice.StreamName(j), invoice.InvoiceIssued{InvoiceID: j, ClientID: cid, Number: "INV-000002", Currency: jpy,
		IssueDate: day, DueDate: day.AddDays(30), Totals: invoice.Totals{Net: yen, Tax: domain.Zero(jpy), Gross: yen}})
	o, err := newInvoices(db, 0).owedBy(ctx, cid, day.AddDays(10))
	if err != nil {
		t.Fatal(err)
	}
	if got := invoicesMoneyStrings(o.outstanding.sorted()); !slices.Equal(got, []string{"AUD 110.00", "JPY 5000"}) {
		t.Errorf("outstanding = %v", got)
	}
	if got := invoicesMoneyStrings(o.overdue.sorted()); !slices.Equal(got, []string{"AUD 110.00"}) || o.open != 2 || o.late != 1 {
		t.Errorf("overdue = %v, %d open, %d late", got, o.open, o.late)
	}
}
