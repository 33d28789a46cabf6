package projections

import (
	"bytes"
	"context"
	"fmt"
	"github.com/shopspring/decimal"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/invoice"
	"remit/eventstore/postgres/pgtest"
	"remit/projections/rmdb"
)

// invoicesID returns a deterministic uuid for a name used in a test.
func invoicesID(name string) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("remit-test/invoices/"+name))
}

func invoicesDate(y int, m time.Month, d int) domain.Date { return domain.MustDate(y, m, d) }

func invoicesAUD(s string) domain.Money { return domain.MustMoney(s, "AUD") }

// invoicesLine is a one-off line at price plus 10% tax.
func invoicesLine(t testing.TB, desc, price string) invoice.Line {
	t.Helper()
	dec := decidertest.Dec
	aud := domain.MustCurrency("AUD")
	amounts, err := domain.ComputeLine(aud, domain.TaxExclusive, domain.LineInput{Quantity: dec("1"), UnitPrice: dec(price), TaxRate: dec("10")})
	if err != nil {
		t.Fatal(err)
	}
	return invoice.Line{LineID: invoicesID("line/" + desc), Description: desc, Quantity: dec("1"), UnitPrice: invoicesAUD(price),
		TaxRate: dec("10"), Amounts: amounts}
}

// invoicesIssued is an InvoiceIssued in AUD with the lines' totals.
func invoicesIssued(t testing.TB, inv, cl uuid.UUID, number string, issue, due domain.Date, lines ...invoice.Line) invoice.InvoiceIssued {
	t.Helper()
	return issuedBy(inv, cl, invoicesID("pm/visa"), number, issue, due, lines...)
}

// invoicesBackends opens an empty read-model database of each kind (SQLite
// always, PostgreSQL when a server is reachable) and returns a function
// that opens it again, as a restarted process would.
var invoicesBackends = []struct {
	name string
	open func(t *testing.T) (db *rmdb.DB, reopen func() *rmdb.DB)
}{
	{"SQLite", func(t *testing.T) (*rmdb.DB, func() *rmdb.DB) {
		path := filepath.Join(t.TempDir(), "rm.db")
		open := func() *rmdb.DB {
			db, err := rmdb.OpenSQLite(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		return open(), open
	}},
	{"PostgreSQL", func(t *testing.T) (*rmdb.DB, func() *rmdb.DB) {
		url := pgtest.MustDatabase(t)
		open := func() *rmdb.DB {
			db, err := rmdb.OpenPostgres(context.Background(), url, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		return open(), open
	}},
}

// invoicesLog drives an invoices writer (generation 1, served by the
// views) the way the runner does: one transaction per batch.
type invoicesLog struct {
	t    testing.TB
	db   *rmdb.DB
	w    *Invoices
	pos  uint64
	revs map[string]uint64
}

// invoicesApplier creates generation 1's tables and serves them.
func invoicesApplier(t testing.TB, db *rmdb.DB) *invoicesLog {
	t.Helper()
	w := newInvoices(db, 1)
	err := db.WriteTx(context.Background(), func(tx *rmdb.Tx) error {
		tx.CreateTables(1, w.Tables())
		tx.ServeViews(1, w.Tables())
		return tx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return &invoicesLog{t: t, db: db, w: w, revs: map[string]uint64{}}
}

// invoicesApply applies events to stream in one batch.
func (l *invoicesLog) invoicesApply(stream string, events ...domain.Event) {
	l.t.Helper()
	tx, err := l.db.Begin(context.Background())
	if err != nil {
		l.t.Fatal(err)
	}
	for _, ev := range events {
		l.pos++
		rev := l.revs[stream]
		l.revs[stream]++
		l.w.Apply(tx, Event{ID: uuid.New(), Position: l.pos, Stream: stream, Revision: rev, Type: ev.EventType(), Data: ev})
	}
	l.w.Flush(tx)
	if err := tx.Commit(); err != nil {
		l.w.Discard()
		l.t.Fatalf("apply to %s: %v", stream, err)
	}
}

// Fixture ids.
var (
	invoicesAcme, invoicesBeta                            = invoicesID("client/acme"), invoicesID("client/beta")
	invoicesOne, invoicesTwo, invoicesThree, invoicesFour = invoicesID("invoice/1"), invoicesID("invoice/2"), invoicesID("invoice/3"), invoicesID("invoice/4")
	invoicesFive                                          = invoicesID("invoice/5")
	invoicesToday                                         = invoicesDate(2025, 6, 15)
)

// invoicesFixture writes the invoices of the models' fixture: five invoices
// in every state that matters.
func invoicesFixture(t testing.TB, l *invoicesLog) {
	t.Helper()
	visa := invoicesID("pm/visa")
	// May: invoice 1, half paid, overdue by June 15.
	l.invoicesApply(invoice.StreamName(invoicesOne),
		invoicesIssued(t, invoicesOne, invoicesAcme, "INV-000001", invoicesDate(2025, 5, 1), invoicesDate(2025, 5, 15), invoicesLine(t, "Bookkeeping", "100")))
	l.invoicesApply(invoice.StreamName(invoicesOne),
		invoice.InvoiceSent{InvoiceID: invoicesOne, Recipient: "jane@acme.test"},
		invoice.InvoicePaymentSucceeded{InvoiceID: invoicesOne, AttemptID: invoicesID("attempt/1"), PaymentMethodID: visa, GatewayReference: "ch_1", Amount: invoicesAUD("50")},
	)
	// Invoice 3 is a duplicate, voided.
	l.invoicesApply(invoice.StreamName(invoicesThree),
		invoicesIssued(t, invoicesThree, invoicesAcme, "INV-000003", invoicesDate(2025, 5, 2), invoicesDate(2025, 5, 16), invoicesLine(t, "Bookkeeping", "100")))
	l.invoicesApply(invoice.StreamName(invoicesThree), invoice.InvoiceVoided{InvoiceID: invoicesThree, Reason: "duplicate"})
	// Invoice 4 paid by bank transfer.
	l.invoicesApply(invoice.StreamName(invoicesFour),
		invoicesIssued(t, invoicesFour, invoicesAcme, "INV-000004", invoicesDate(2025, 5, 3), invoicesDate(2025, 5, 17), invoicesLine(t, "Setup", "200")),
		invoice.InvoicePaymentRecorded{InvoiceID: invoicesFour, PaymentID: invoicesID("payment/4"), Method: invoice.PaidByBankTransfer, Reference: "EFT 991", Amount: invoicesAUD("220"), Date: invoicesDate(2025, 5, 10)},
	)
	// June: invoice 2 rejected; invoice 5 for Beta.
	l.invoicesApply(invoice.StreamName(invoicesTwo),
		invoicesIssued(t, invoicesTwo, invoicesAcme, "INV-000002", invoicesDate(2025, 6, 1), invoicesDate(2025, 6, 30), invoicesLine(t, "Bookkeeping", "100")))
	l.invoicesApply(invoice.StreamName(invoicesTwo),
		invoice.InvoicePaymentRejected{InvoiceID: invoicesTwo, AttemptID: invoicesID("attempt/2"), PaymentMethodID: visa, DeclineCode: "insufficient_funds", DeclineMessage: "Your card has insufficient funds."})
	l.invoicesApply(invoice.StreamName(invoicesFive),
		invoicesIssued(t, invoicesFive, invoicesBeta, "INV-000005", invoicesDate(2025, 6, 2), invoicesDate(2025, 7, 2), invoicesLine(t, "Cakes audit", "300")))
	l.invoicesApply(invoice.StreamName(invoicesOne), invoice.InvoiceSent{InvoiceID: invoicesOne, Recipient: "jane@acme.test", Resent: true})
}

func invoicesMoneyStrings(ms []domain.Money) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return out
}

// TestInvoicesListAndDetail is the models' TestInvoices on the projection:
// list order and paging, statuses as of a day (overdue derived), one
// client's list, the detail page.
func TestInvoicesListAndDetail(t *testing.T) {
	for _, b := range invoicesBackends {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			invoicesFixture(t, invoicesApplier(t, db))
			p := newInvoices(db, 0)
			ctx := context.Background()
			numbers := func(items []InvoiceListItem) []string {
				var out []string
				for _, it := range items {
					out = append(out, it.Number+":"+string(it.Status))
				}
				return out
			}
			tests := []struct {
				name  string
				q     InvoiceQuery
				want  []string
				total int
			}{
				{"Client", InvoiceQuery{ClientID: invoicesAcme, Today: invoicesToday}, []string{"INV-000002:payment_rejected", "INV-000004:paid", "INV-000003:void", "INV-000001:overdue"}, 4},
				{"FirmWide", InvoiceQuery{Today: invoicesToday, Paging: Paging{Limit: 2}}, []string{"INV-000005:awaiting_payment", "INV-000002:payment_rejected"}, 5},
				{"SecondPage", InvoiceQuery{Today: invoicesToday, Paging: Paging{Limit: 2, Offset: 2}}, []string{"INV-000004:paid", "INV-000003:void"}, 5},
				{"PastTheEnd", InvoiceQuery{Today: invoicesToday, Paging: Paging{Offset: 9}}, nil, 5},
				{"Overdue", InvoiceQuery{Statuses: []invoice.Status{invoice.StatusOverdue}, Today: invoicesToday}, []string{"INV-000001:overdue"}, 1},
				{"NotYetOverdue", InvoiceQuery{Statuses: []invoice.Status{invoice.StatusPartlyPaid}, Today: invoicesDate(2025, 5, 10)}, []string{"INV-000001:partly_paid"}, 1},
				{"PartlyPaidOnceOverdue", InvoiceQuery{Statuses: []invoice.Status{invoice.StatusPartlyPaid}, Today: invoicesToday}, nil, 0},
				{"VoidAndPaid", InvoiceQuery{Statuses: []invoice.Status{invoice.StatusVoid, invoice.StatusPaid}, Today: invoicesToday}, []string{"INV-000004:paid", "INV-000003:void"}, 2},
				{"OtherClient", InvoiceQuery{ClientID: invoicesBeta, Today: invoicesToday}, []string{"INV-000005:awaiting_payment"}, 1},
				{"ClientOverdue", InvoiceQuery{ClientID: invoicesAcme, Statuses: []invoice.Status{invoice.StatusOverdue, invoice.StatusOverdue}, Today: invoicesToday}, []string{"INV-000001:overdue"}, 1},
				{"NoOne", InvoiceQuery{ClientID: invoicesID("client/nobody"), Today: invoicesToday}, nil, 0},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					items, total, err := p.list(ctx, tt.q)
					if err != nil {
						t.Fatal(err)
					}
					if got := numbers(items); !slices.Equal(got, tt.want) || total != tt.total {
						t.Errorf("got %v of %d, want %v of %d", got, total, tt.want, tt.total)
					}
				})
			}

			d, err := p.detail(ctx, invoicesOne, invoicesToday)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != invoice.StatusOverdue || d.StoredStatus != invoice.StatusPartlyPaid || d.Balance.String() != "AUD 60.00" || d.Total.String() != "AUD 110.00" {
				t.Errorf("INV-000001: status %s/%s balance %s total %s", d.Status, d.StoredStatus, d.Balance, d.Total)
			}
			if len(d.Payments) != 1 || !d.Payments[0].Gateway || d.Payments[0].Reference != "ch_1" || len(d.Attempts) != 1 || d.SendCount != 2 {
				t.Errorf("INV-000001: payments %+v attempts %+v sends %d", d.Payments, d.Attempts, d.SendCount)
			}
			if len(d.Lines) != 1 || d.Lines[0].Description != "Bookkeeping" || d.Revision != 3 || d.ClientID != invoicesAcme {
				t.Errorf("INV-000001 lines = %+v, revision %d, client %s", d.Lines, d.Revision, d.ClientID)
			}
			d, _ = p.detail(ctx, invoicesTwo, invoicesToday)
			if d.LastRejection == nil || d.LastRejection.DeclineCode != "insufficient_funds" || d.Attempts[0].Outcome != invoice.AttemptRejected {
				t.Errorf("INV-000002 rejection = %+v, attempts %+v", d.LastRejection, d.Attempts)
			}
			d, _ = p.detail(ctx, invoicesThree, invoicesToday)
			if d.VoidReason != "duplicate" || d.Status != invoice.StatusVoid {
				t.Errorf("INV-000003 = %s %q", d.Status, d.VoidReason)
			}
			d, _ = p.detail(ctx, invoicesFour, invoicesToday)
			if len(d.Payments) != 1 || d.Payments[0].Method != "bank_transfer" || d.Payments[0].Date != invoicesDate(2025, 5, 10) || !d.Balance.IsZero() {
				t.Errorf("INV-000004 payments = %+v balance %s", d.Payments, d.Balance)
			}
			if _, err := p.detail(ctx, invoicesID("invoice/none"), invoicesToday); domain.ErrorCode(err) != domain.ENOTFOUND {
				t.Errorf("unknown invoice: %v", err)
			}

			// The Summary's sums: INV-1 60 (half paid) + INV-2 110 (rejected);
			// INV-3 void and INV-4 paid count nothing.
			o, err := p.owedBy(ctx, invoicesAcme, invoicesToday)
			if err != nil {
				t.Fatal(err)
			}
			if got := invoicesMoneyStrings(o.outstanding.sorted()); !slices.Equal(got, []string{"AUD 170.00"}) {
				t.Errorf("outstanding = %v, want [AUD 170.00]", got)
			}
			if got := invoicesMoneyStrings(o.overdue.sorted()); !slices.Equal(got, []string{"AUD 60.00"}) {
				t.Errorf("overdue = %v, want [AUD 60.00] (INV-000001 was due 2025-05-15)", got)
			}
			if o.open != 2 || o.late != 1 {
				t.Errorf("open, overdue = %d, %d; want 2, 1", o.open, o.late)
			}
			if o, _ = p.owedBy(ctx, invoicesAcme, invoicesDate(2025, 5, 15)); len(o.overdue) != 0 || o.late != 0 {
				t.Errorf("on the due date itself nothing is overdue, got %v", invoicesMoneyStrings(o.overdue.sorted()))
			}
			if o, _ = p.owedBy(ctx, invoicesID("client/nobody"), invoicesToday); o.open != 0 || len(o.outstanding) != 0 {
				t.Errorf("a client without invoices owes %+v", o)
			}
		})
	}
}

// TestInvoicesMoneyIn checks credit notes, write-offs and voids: the
// detail's lists and the outstanding amount each keeps, and that each visits
// every record in key order.
func TestInvoicesMoneyIn(t *testing.T) {
	for _, b := range invoicesBackends {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			l := invoicesApplier(t, db)
			ctx := context.Background()
			a, c, v := invoicesID("money/a"), invoicesID("money/c"), invoicesID("money/v")
			day := invoicesDate(2025, 3, 1)
			l.invoicesApply(invoice.StreamName(a), invoicesIssued(t, a, invoicesAcme, "INV-000010", day, day.AddDays(14), invoicesLine(t, "Audit", "100")))
			l.invoicesApply(invoice.StreamName(c), invoicesIssued(t, c, invoicesAcme, "INV-000011", day, day.AddDays(14), invoicesLine(t, "Audit", "200")))
			l.invoicesApply(invoice.StreamName(v), invoicesIssued(t, v, invoicesAcme, "INV-000012", day, day.AddDays(14), invoicesLine(t, "Audit", "300")))
			cn := invoice.InvoiceCreditNoteIssued{InvoiceID: a, CreditNoteID: invoicesID("cn/1"), Amount: invoicesAUD("10"), Reason: "discount"}
			l.invoicesApply(invoice.StreamName(a), cn)
			l.invoicesApply(invoice.StreamName(a), invoice.InvoiceWrittenOff{InvoiceID: a, Amount: invoicesAUD("100"), Reason: "gone"})
			l.invoicesApply(invoice.StreamName(c),
				invoice.InvoiceCreditNoteIssued{InvoiceID: c, CreditNoteID: invoicesID("cn/2"), Amount: invoicesAUD("220"), Reason: "not delivered"})
			l.invoicesApply(invoice.StreamName(v),
				invoice.InvoicePaymentRecorded{InvoiceID: v, PaymentID: invoicesID("pay/v"), Method: invoice.PaidByCash, Amount: invoicesAUD("30"), Date: day},
				invoice.InvoiceVoided{InvoiceID: v, Reason: "wrong client"})
			// A stream that is not an invoice's is ignored.
			l.invoicesApply("invoice-nonsense", invoice.InvoiceVoided{Reason: "?"})

			p := newInvoices(db, 0)
			d, err := p.detail(ctx, a, day)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != invoice.StatusWrittenOff || len(d.CreditNotes) != 1 || d.CreditNotes[0].Amount.String() != "AUD 10.00" ||
				len(d.WriteOffs) != 1 || d.WriteOffs[0].Reason != "gone" || d.Credited.String() != "AUD 10.00" || d.WrittenOff.String() != "AUD 100.00" {
				t.Errorf("written off: %+v", d)
			}
			d, _ = p.detail(ctx, c, day)
			if d.Status != invoice.StatusPaid || len(d.CreditNotes) != 1 || !d.Balance.IsZero() {
				t.Errorf("credited in full: status %s, credit notes %+v, balance %s", d.Status, d.CreditNotes, d.Balance)
			}
			o, err := p.owedBy(ctx, invoicesAcme, day.AddDays(30))
			if err != nil || o.open != 0 || len(o.outstanding) != 0 {
				t.Errorf("nothing is owed, got %+v, %v", o, err)
			}
			var keys []string
			outstanding := map[uuid.UUID]string{}
			voided := map[uuid.UUID]string{}
			err = p.each(ctx, func(r invoiceRecord) error {
				keys = append(keys, r.State.ID.String())
				outstanding[r.State.ID], voided[r.State.ID] = r.Outstanding.String(), r.Voided.String()
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{a.String(), c.String(), v.String()}
			slices.Sort(want)
			if !slices.Equal(keys, want) {
				t.Errorf("each visited %v, want %v", keys, want)
			}
			if outstanding[a] != "0" || outstanding[c] != "0" || outstanding[v] != "0" || voided[v] != "300" || voided[a] != "0" {
				t.Errorf("outstanding %v, voided %v", outstanding, voided)
			}
		})
	}
}

// invoicesHistory writes n invoices for three clients, each taken through
// a random sequence of payments, rejections, collections, credit notes,
// write-offs and voids; issue dates and numbers collide on purpose so that
// every tie-break of the order is exercised.
func invoicesHistory(t testing.TB, l *invoicesLog, n int, seed uint64) []uuid.UUID {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	clients := []uuid.UUID{invoicesID("hist/a"), invoicesID("hist/b"), invoicesID("hist/c")}
	first := invoicesDate(2025, 1, 1)
	visa := invoicesID("pm/visa")
	for i := range n {
		inv := invoicesID(fmt.Sprintf("hist/invoice/%d", i))
		issue := first.AddDays(rng.IntN(60))
		number := fmt.Sprintf("INV-%06d", rng.IntN(n))
		stream := invoice.StreamName(inv)
		iss := invoicesIssued(t, inv, clients[rng.IntN(len(clients))], number, issue, issue.AddDays(rng.IntN(30)),
			invoicesLine(t, "Work", fmt.Sprint(10*(1+rng.IntN(10)))))
		iss.Recurring = rng.IntN(2) == 0
		l.invoicesApply(stream, iss)
		var evs []domain.Event
		for k := range rng.IntN(4) {
			ref := fmt.Sprintf("hist/%d/%d", i, k)
			switch rng.IntN(9) {
			case 0:
				evs = append(evs, invoice.InvoicePaymentRecorded{InvoiceID: inv, PaymentID: invoicesID(ref), Method: invoice.PaidByCash, Amount: invoicesAUD("11"), Date: issue})
			case 1:
				evs = append(evs, invoice.InvoicePaymentSucceeded{InvoiceID: inv, AttemptID: invoicesID(ref), PaymentMethodID: visa, Amount: invoicesAUD("1000"), Date: issue})
			case 2:
				evs = append(evs, invoice.InvoicePaymentRejected{InvoiceID: inv, AttemptID: invoicesID(ref), PaymentMethodID: visa, DeclineCode: "do_not_honor"})
			case 3:
				evs = append(evs, invoice.InvoiceCollectionScheduled{InvoiceID: inv, Date: issue.AddDays(3), PaymentMethodID: visa})
			case 4:
				evs = append(evs, invoice.InvoiceRetryScheduled{InvoiceID: inv, Date: issue.AddDays(5), PaymentMethodID: visa})
			case 5:
				evs = append(evs, invoice.InvoiceCollectionCancelled{InvoiceID: inv, Retry: rng.IntN(2) == 0})
			case 6:
				evs = append(evs, invoice.InvoiceCreditNoteIssued{InvoiceID: inv, CreditNoteID: invoicesID(ref), Amount: invoicesAUD("5"), Reason: "sorry"})
			case 7:
				evs = append(evs, invoice.InvoiceWrittenOff{InvoiceID: inv, Amount: invoicesAUD("3"), Reason: "small"})
			case 8:
				evs = append(evs, invoice.InvoiceVoided{InvoiceID: inv, Reason: "mistake"})
			}
		}
		if len(evs) > 0 {
			l.invoicesApply(stream, evs...)
		}
	}
	return clients
}

// invoicesRow is what a list row shows, as text.
func invoicesRow(it InvoiceListItem) string {
	return fmt.Sprintf("%s %s %s %s %s %s %s %s %v", it.ID, it.ClientID, it.Number, it.IssueDate, it.DueDate, it.Status, it.Total, it.Balance, it.Recurring)
}

// TestInvoicesListMatchesStatusOn checks list and owedBy against the
// definitions they translate into SQL, computed from every record: the
// status as of a day by invoice.State.StatusOn, the order, the paging and
// the totals; and owed sums over the open records.
func TestInvoicesListMatchesStatusOn(t *testing.T) {
	for _, b := range invoicesBackends {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			l := invoicesApplier(t, db)
			clients := invoicesHistory(t, l, 150, 42)
			p := newInvoices(db, 0)
			ctx := context.Background()
			var all []invoiceRecord
			if err := p.each(ctx, func(r invoiceRecord) error { all = append(all, r); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(all) != 150 {
				t.Fatalf("each visited %d records, want 150", len(all))
			}
			slices.SortFunc(all, func(a, b invoiceRecord) int {
				if c := b.State.IssueDate.Compare(a.State.IssueDate); c != 0 {
					return c
				}
				if c := strings.Compare(b.State.Number, a.State.Number); c != 0 {
					return c
				}
				return bytes.Compare(b.State.ID[:], a.State.ID[:])
			})
			statusSets := [][]invoice.Status{nil,
				{invoice.StatusOverdue}, {invoice.StatusAwaitingPayment}, {invoice.StatusPaymentScheduled},
				{invoice.StatusPartlyPaid}, {invoice.StatusPaymentRejected}, {invoice.StatusPaid}, {invoice.StatusVoid},
				{invoice.StatusWrittenOff}, {invoice.StatusOverdue, invoice.StatusPaid, invoice.StatusPaymentRejected},
				{invoice.StatusAwaitingPayment, invoice.StatusPartlyPaid, invoice.StatusPaymentScheduled}}
			days := []domain.Date{invoicesDate(2024, 12, 1), invoicesDate(2025, 1, 20), invoicesDate(2025, 2, 14), invoicesDate(2025, 6, 1)}
			who := append([]uuid.UUID{uuid.Nil}, clients...)
			for _, day := range days {
				for _, cid := range who {
					for _, sts := range statusSets {
						var want []string
						for _, r := range all {
							if !r.State.Issued() || (cid != uuid.Nil && r.State.ClientID != cid) {
								continue
							}
							if st := r.State.StatusOn(day); len(sts) == 0 || slices.Contains(sts, st) {
								want = append(want, invoicesRow(listItem(&r, day)))
							}
						}
						// Both plans of a status-filtered list: few rows or many.
						for i, pg := range []Paging{{Limit: 7}, {Limit: 7, Offset: 7}, {Limit: 5, Offset: 30}, {Limit: MaxLimit},
							{Limit: 7}, {Limit: 7, Offset: 7}, {Limit: 5, Offset: 30}, {Limit: MaxLimit}} {
							p.fewRows = []int{invoicesFewRows, 3}[i/4]
							items, total, err := p.list(ctx, InvoiceQuery{ClientID: cid, Statuses: sts, Today: day, Paging: pg})
							if err != nil {
								t.Fatal(err)
							}
							var got []string
							for _, it := range items {
								got = append(got, invoicesRow(it))
							}
							wantPage := want[min(pg.Offset, len(want)):min(pg.Offset+pg.Limit, len(want))]
							if total != len(want) || !slices.Equal(got, wantPage) {
								t.Fatalf("on %s, client %s, statuses %v, %+v: got %v of %d, want %v of %d", day, cid, sts, pg, got, total, wantPage, len(want))
							}
						}
					}
				}
				for _, cid := range clients {
					var outstanding, overdue decimal.Decimal
					var open, late int
					for _, r := range all {
						if r.State.ClientID != cid || !r.open() {
							continue
						}
						open++
						outstanding = outstanding.Add(r.Outstanding)
						if r.State.DueDate.Before(day) {
							late++
							overdue = overdue.Add(r.Outstanding)
						}
					}
					o, err := p.owedBy(ctx, cid, day)
					if err != nil {
						t.Fatal(err)
					}
					if o.open != open || o.late != late || !o.outstanding["AUD"].Amount.Equal(outstanding) || !o.overdue["AUD"].Amount.Equal(overdue) {
						t.Errorf("on %s client %s owes %d %v, late %d %v; want %d %s, %d %s", day, cid, o.open, o.outstanding, o.late, o.overdue, open, outstanding, late, overdue)
					}
				}
			}
		})
	}
}

// TestOpenInvoicesPages reads the open invoices of a 150-invoice history
// seven at a time, on each backend: every open invoice once, in issue date,
// number and id order, and no other; an invoice paid between two pages does
// not shift the next.
func TestOpenInvoicesPages(t *testing.T) {
	for _, b := range invoicesBackends {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			l := invoicesApplier(t, db)
			invoicesHistory(t, l, 150, 42)
			p := newInvoices(db, 0)
			ctx := context.Background()
			var want []string
			err := p.each(ctx, func(r invoiceRecord) error {
				if r.open() {
					want = append(want, r.State.IssueDate.String()+" "+r.State.Number+" "+r.State.ID.String())
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(want)
			if len(want) < 20 {
				t.Fatalf("the history has %d open invoices; the test needs more", len(want))
			}
			var got []string
			var after OpenCursor
			for pages := 0; ; pages++ {
				page, next, err := p.openPage(ctx, after, 7)
				if err != nil {
					t.Fatal(err)
				}
				for _, oi := range page {
					got = append(got, oi.State.IssueDate.String()+" "+oi.State.Number+" "+oi.State.ID.String())
				}
				if len(page) < 7 || pages > len(want) {
					break
				}
				after = next
			}
			if !slices.Equal(got, want) {
				t.Errorf("pages of 7 gave\n%v\nwant\n%v", got, want)
			}
		})
	}
}

// TestInvoicesQueryPlans checks on SQLite that the client page, the firm's
// lists (status-filtered or not), their counts and owedBy search indexes
// rather than scan the table.
func TestInvoicesQueryPlans(t *testing.T) {
	db, _ := invoicesBackends[0].open(t)
	l := invoicesApplier(t, db)
	invoicesHistory(t, l, 50, 1)
	ctx := context.Background()
	day := invoicesDate(2025, 2, 1)
	client := invoicesID("hist/a")
	plan := func(q string, args ...any) string {
		t.Helper()
		rows, err := db.Query(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, detail)
		}
		return strings.Join(lines, "\n")
	}
	check := func(name, q string, args ...any) {
		t.Helper()
		pl := plan(q, args...)
		t.Logf("%s:\n%s", name, pl)
		for _, line := range strings.Split(pl, "\n") {
			if strings.HasPrefix(line, "SCAN") && !strings.Contains(line, "INDEX") {
				t.Errorf("%s scans the table:\n%s", name, pl)
			}
		}
	}
	check("firm overdue count", invoicesOverdueCount("rm_invoices"), day.String())
	open := `SELECT doc FROM rm_invoices ` + openInvoicesPage
	check("open invoices page", open, "2025-01-20", "A-7", client.String(), 50)
	if pl := plan(open, "2025-01-20", "A-7", client.String(), 50); strings.Contains(pl, "TEMP B-TREE") || !strings.Contains(pl, "(open=? AND (issue_date,number,key)>(?,?,?))") {
		t.Errorf("a page of open invoices does not start at its cursor in the index, or sorts them all:\n%s", pl)
	}
	for name, q := range map[string]string{"rejected invoices page": rejectedInvoicesPage, "run invoices to collect page": runInvoicesToCollectPage} {
		q = `SELECT doc FROM rm_invoices ` + q
		check(name, q, client.String(), 50)
		if pl := plan(q, client.String(), 50); strings.Contains(pl, "TEMP B-TREE") || !strings.Contains(pl, "key>?") {
			t.Errorf("a %s does not start at its cursor in the index, or sorts them all:\n%s", name, pl)
		}
	}
	check("owedBy", `SELECT currency, due_date, outstanding FROM rm_invoices WHERE client_id = ? AND open = 1`, client.String())
	for _, tc := range []struct {
		name string
		q    InvoiceQuery
	}{
		{"client page", InvoiceQuery{ClientID: client, Today: day}},
		{"client overdue", InvoiceQuery{ClientID: client, Today: day, Statuses: []invoice.Status{invoice.StatusOverdue}}},
		{"firm list", InvoiceQuery{Today: day}},
		{"firm overdue", InvoiceQuery{Today: day, Statuses: []invoice.Status{invoice.StatusOverdue}}},
		{"firm paid", InvoiceQuery{Today: day, Statuses: []invoice.Status{invoice.StatusPaid}}},
		{"firm awaiting", InvoiceQuery{Today: day, Statuses: []invoice.Status{invoice.StatusAwaitingPayment}}},
		{"firm scheduled", InvoiceQuery{Today: day, Statuses: []invoice.Status{invoice.StatusPaymentScheduled}}},
		{"firm overdue or rejected", InvoiceQuery{Today: day, Statuses: []invoice.Status{invoice.StatusOverdue, invoice.StatusPaymentRejected}}},
	} {
		if tc.q.ClientID != uuid.Nil {
			w, args := invoiceListWhere(tc.q, invoiceListPlan{})
			check(tc.name+" count", `SELECT COUNT(*) FROM rm_invoices`+w, args...)
		}
		for _, total := range []int{1, invoicesFewRows + 1} {
			w, args := invoiceListWhere(tc.q, planInvoiceList(tc.q, total, invoicesFewRows, rmdb.SQLite))
			q := `SELECT ` + invoicesRowColumns + ` FROM rm_invoices` + w + invoicesOrder + ` LIMIT ? OFFSET ?`
			check(fmt.Sprintf("%s page (of %d)", tc.name, total), q, append(args, 50, 0)...)
			if len(tc.q.Statuses) == 1 && tc.q.Statuses[0] != invoice.StatusOverdue {
				// One status: read in list order from its index, never
				// sorted, however many rows match.
				if pl := plan(q, append(args, 50, 0)...); strings.Contains(pl, "TEMP B-TREE") || !strings.Contains(pl, "(status=?)") {
					t.Errorf("%s page (of %d) sorts its rows or reads no status index:\n%s", tc.name, total, pl)
				}
			}
		}
	}
}
