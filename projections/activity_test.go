package projections

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/numbering"
	"remit/domain/proposal"
	"remit/domain/service"
	"remit/eventstore"
	"remit/projections/rmdb"
)

// activityLog feeds the activity projection (generation 1, serving) as the
// runner would: each call of apply is one batch in one transaction. It
// numbers positions and stream revisions and stamps the clock's time.
type activityLog struct {
	t       testing.TB
	db      *rmdb.DB
	p       *Activity
	restart bool // a new writer for every batch, as after a restart: nothing cached
	pos     uint64
	revs    map[string]uint64
	now     time.Time
}

func newActivityLog(t testing.TB, db *rmdb.DB) *activityLog {
	t.Helper()
	l := &activityLog{t: t, db: db, p: newActivity(db, 1), revs: map[string]uint64{},
		now: time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)}
	err := db.WriteTx(context.Background(), func(tx *rmdb.Tx) error {
		for _, tb := range l.p.Tables() { // a test's earlier log: PostgreSQL drops no table a view reads
			tx.Exec("DROP VIEW IF EXISTS " + rmdb.View(tb.Name))
		}
		tx.CreateTables(1, l.p.Tables())
		tx.ServeViews(1, l.p.Tables())
		return tx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// at moves the clock to a day at 09:00 UTC.
func (l *activityLog) at(d domain.Date) {
	l.now = time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, time.UTC)
}

// events numbers events of one stream as the log would.
func (l *activityLog) events(stream, actor string, events ...domain.Event) []Event {
	out := make([]Event, len(events))
	for i, e := range events {
		l.pos++
		rev, ok := l.revs[stream]
		if ok {
			rev++
		}
		l.revs[stream] = rev
		out[i] = Event{ID: uuid.New(), Position: l.pos, Stream: stream, Revision: rev, Type: e.EventType(), Data: e,
			Metadata: eventstore.Metadata{Actor: actor, RecordedAt: l.now}}
	}
	return out
}

// apply applies events of one stream in one batch.
func (l *activityLog) apply(stream, actor string, events ...domain.Event) {
	l.t.Helper()
	l.applyBatch(l.events(stream, actor, events...))
}

func (l *activityLog) applyBatch(events []Event) {
	l.t.Helper()
	if l.restart {
		l.p = newActivity(l.db, 1)
	}
	tx, err := l.db.Begin(context.Background())
	if err != nil {
		l.t.Fatal(err)
	}
	for _, e := range events {
		l.p.Apply(tx, e)
	}
	l.p.Flush(tx)
	if err := tx.Commit(); err != nil {
		l.p.Discard()
		l.t.Fatal(err)
	}
}

// of queries as the models do: a projection of generation 0 reading views.
func (l *activityLog) of(subject Subject, id uuid.UUID) ([]ActivityLine, error) {
	return newActivity(l.db, 0).of(context.Background(), subject, id)
}

// activityFx is the fixture's ids.
var activityFx = struct {
	acme, beta, zeta, jane, bob, zed, betty, visa, prop1 uuid.UUID
	bookkeeping, payroll, tax, advice, oldSvc            uuid.UUID
	inv1, inv2, inv3, inv4, inv5                         uuid.UUID
}{
	id("client/acme"), id("client/beta"), id("client/zeta"),
	id("contact/jane"), id("contact/bob"), id("contact/zed"), id("contact/betty"),
	id("pm/visa"), id("proposal/1"),
	id("service/bookkeeping"), id("service/payroll"), id("service/tax-return"),
	id("service/advice"), id("service/old"),
	id("invoice/1"), id("invoice/2"), id("invoice/3"), id("invoice/4"), id("invoice/5"),
}

// activityFixture writes a small firm's history (the models' fixture): three
// clients, a proposal, five services and five invoices in every state that
// matters, each event in a batch of its append.
func activityFixture(t testing.TB, l *activityLog) {
	t.Helper()
	fx := activityFx
	date := domain.MustDate
	l.at(date(2025, 1, 1))
	l.apply(client.StreamName(fx.acme), "user:alice",
		client.ClientCreated{ClientID: fx.acme, Name: "Acme Pty Ltd", Kind: client.KindBusiness, Currency: aud, PrimaryContactID: fx.jane,
			Contacts: []client.Contact{{ID: fx.jane, Name: "Jane Doe", Email: "jane@acme.test"}, {ID: fx.bob, Name: "Bob Roe", Email: "bob@acme.test"}}},
		client.PaymentMethodAdded{ClientID: fx.acme, PaymentMethodID: fx.visa, Method: client.PaymentMethodDetails{Kind: client.MethodCard,
			Gateway: "sandbox", GatewayToken: "tok_visa", Brand: "visa", Last4: "4242", ExpiryMonth: 8, ExpiryYear: 2027}},
		client.PaymentMethodSetAsDefault{ClientID: fx.acme, PaymentMethodID: fx.visa},
	)
	l.apply(client.StreamName(fx.beta), "user:alice",
		client.ClientCreated{ClientID: fx.beta, Name: "Beta Bakery", Kind: client.KindBusiness, Currency: aud, PrimaryContactID: fx.betty,
			Contacts: []client.Contact{{ID: fx.betty, Name: "Betty Baker", Email: "betty@beta.test"}}},
	)
	l.apply(client.StreamName(fx.zeta), "user:bob",
		client.ClientCreated{ClientID: fx.zeta, Name: "Zeta Zinc", Kind: client.KindBusiness, Currency: aud, PrimaryContactID: fx.zed,
			Contacts: []client.Contact{{ID: fx.zed, Name: "Zed Zane", Email: "zed@zeta.test"}}},
		client.ClientArchived{ClientID: fx.zeta, Reason: "moved to another firm"},
	)
	l.apply(proposal.StreamName(fx.prop1), "user:alice",
		proposal.ProposalDrafted{ProposalID: fx.prop1, ClientID: fx.acme, Title: "Monthly bookkeeping", Currency: aud,
			Lines: []proposal.Line{{ID: id("pline/1"), Name: "Bookkeeping", UnitPrice: dec("100"), Quantity: dec("1"),
				TaxRate: dec("10"), BillingRule: monthly(date(2025, 5, 1)), Automatic: true}}},
		proposal.ProposalSent{ProposalID: fx.prop1, RecipientEmail: "jane@acme.test"},
	)
	l.at(date(2025, 4, 20))
	l.apply(proposal.StreamName(fx.prop1), "client:jane@acme.test",
		proposal.ProposalAccepted{ProposalID: fx.prop1, ClientID: fx.acme, AcceptedByName: "Jane Doe", AcceptedByEmail: "jane@acme.test",
			SignatureName: "Jane Doe", AcceptedOn: date(2025, 4, 20), PaymentMethodID: fx.visa, Currency: aud},
	)
	bk := activated(fx.bookkeeping, fx.acme, "Bookkeeping", "100", monthly(date(2025, 5, 1)), date(2025, 5, 1), service.Automatic)
	bk.Source = service.Source{ProposalID: fx.prop1, ProposalLineID: id("pline/1")}
	l.apply(service.StreamName(fx.bookkeeping), "system:proposals", bk)
	l.apply(service.StreamName(fx.payroll), "user:alice", activated(fx.payroll, fx.acme, "Payroll", "50", monthly(date(2025, 7, 1)), date(2025, 7, 1), service.Automatic))
	l.apply(service.StreamName(fx.tax), "user:alice", activated(fx.tax, fx.acme, "Tax return", "500",
		domain.BillingRule{Frequency: domain.FrequencyOnCompletion}, domain.Date{}, service.Manual))
	l.apply(service.StreamName(fx.advice), "user:alice", activated(fx.advice, fx.acme, "Advice", "80", monthly(date(2025, 5, 10)), date(2025, 5, 10), service.Manual))
	l.apply(service.StreamName(fx.oldSvc), "user:alice",
		activated(fx.oldSvc, fx.acme, "Old filing", "30", monthly(date(2025, 2, 1)), date(2025, 2, 1), service.Automatic),
		service.ServiceEnded{ServiceID: fx.oldSvc, EndDate: date(2025, 3, 31), Reason: "no longer needed"},
		service.ScheduleItemSkipped{ServiceID: fx.oldSvc, ItemKey: service.ItemKey(fx.oldSvc, 1)},
		service.ScheduleItemSkipped{ServiceID: fx.oldSvc, ItemKey: service.ItemKey(fx.oldSvc, 2)},
		service.ScheduleItemSkipped{ServiceID: fx.oldSvc, ItemKey: service.ItemKey(fx.oldSvc, 3)},
	)
	price := dec("120")
	l.apply(service.StreamName(fx.bookkeeping), "user:alice",
		service.ServiceEdited{ServiceID: fx.bookkeeping, EffectiveFrom: date(2025, 8, 1), Changes: service.Changes{UnitPrice: &price}, NotifyClientOfPriceChange: true},
	)
	reserve := func(seq int64, inv uuid.UUID) {
		l.apply(numbering.StreamName(), "system:billing", numbering.InvoiceNumberReserved{
			Number: numbering.FormatNumber("INV-", seq), Sequence: seq, InvoiceID: inv, At: l.now})
	}
	billed := func(svc, inv uuid.UUID, seq int, on domain.Date) service.ScheduleItemBilled {
		return service.ScheduleItemBilled{ServiceID: svc, ItemKey: service.ItemKey(svc, seq), InvoiceID: inv, Date: on,
			Description: "Bookkeeping", Quantity: dec("1"), UnitPrice: dec("100"), TaxRate: dec("10"),
			Mode: service.Automatic, PaymentMethodID: fx.visa}
	}

	l.at(date(2025, 5, 1))
	reserve(1, fx.inv1)
	l.apply(invoice.StreamName(fx.inv1), "system:billing-run",
		issuedBy(fx.inv1, fx.acme, fx.visa, "INV-000001", date(2025, 5, 1), date(2025, 5, 15), line(t, "Bookkeeping", "100", fx.bookkeeping, service.ItemKey(fx.bookkeeping, 1))))
	l.apply(service.StreamName(fx.bookkeeping), "system:billing-run", billed(fx.bookkeeping, fx.inv1, 1, date(2025, 5, 1)))
	l.apply(invoice.StreamName(fx.inv1), "system:collections",
		invoice.InvoiceSent{InvoiceID: fx.inv1, Recipient: "jane@acme.test"},
		invoice.InvoicePaymentSucceeded{InvoiceID: fx.inv1, AttemptID: id("attempt/1"), PaymentMethodID: fx.visa, GatewayReference: "ch_1",
			Amount: domain.MustMoney("50", "AUD")},
	)
	reserve(3, fx.inv3)
	l.apply(invoice.StreamName(fx.inv3), "user:alice", issuedBy(fx.inv3, fx.acme, fx.visa, "INV-000003", date(2025, 5, 2), date(2025, 5, 16), line(t, "Bookkeeping", "100", uuid.Nil, "")))
	l.apply(invoice.StreamName(fx.inv3), "user:alice", invoice.InvoiceVoided{InvoiceID: fx.inv3, Reason: "duplicate"})
	reserve(4, fx.inv4)
	l.apply(invoice.StreamName(fx.inv4), "user:alice",
		issuedBy(fx.inv4, fx.acme, fx.visa, "INV-000004", date(2025, 5, 3), date(2025, 5, 17), line(t, "Setup", "200", uuid.Nil, "")),
		invoice.InvoicePaymentRecorded{InvoiceID: fx.inv4, PaymentID: id("payment/4"), Method: invoice.PaidByBankTransfer, Reference: "EFT 991",
			Amount: domain.MustMoney("220", "AUD"), Date: date(2025, 5, 10)},
	)
	l.apply(client.StreamName(fx.acme), "user:alice",
		client.ClientContactAdded{ClientID: fx.acme, Contact: client.Contact{ID: id("contact/carol"), Name: "Carol Coe", Email: "carol@acme.test"}})

	l.at(date(2025, 6, 1))
	reserve(2, fx.inv2)
	l.apply(invoice.StreamName(fx.inv2), "system:billing-run",
		issuedBy(fx.inv2, fx.acme, fx.visa, "INV-000002", date(2025, 6, 1), date(2025, 6, 30), line(t, "Bookkeeping", "100", fx.bookkeeping, service.ItemKey(fx.bookkeeping, 2))))
	l.apply(service.StreamName(fx.bookkeeping), "system:billing-run", billed(fx.bookkeeping, fx.inv2, 2, date(2025, 6, 1)))
	l.apply(invoice.StreamName(fx.inv2), "system:collections",
		invoice.InvoicePaymentRejected{InvoiceID: fx.inv2, AttemptID: id("attempt/2"), PaymentMethodID: fx.visa,
			DeclineCode: "insufficient_funds", DeclineMessage: "Your card has insufficient funds."},
	)
	reserve(5, fx.inv5)
	l.apply(invoice.StreamName(fx.inv5), "user:bob", issuedBy(fx.inv5, fx.beta, fx.visa, "INV-000005", date(2025, 6, 2), date(2025, 7, 2), line(t, "Cakes audit", "300", uuid.Nil, "")))
	l.apply(invoice.StreamName(fx.inv1), "user:alice", invoice.InvoiceSent{InvoiceID: fx.inv1, Recipient: "jane@acme.test", Resent: true})
}

func activityTexts(lines []ActivityLine) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l.Text)
	}
	return out
}

// TestActivity reads the fixture's histories, with one writer across the
// batches (its caches warm) and with a new writer per batch (every name read
// back from the tables).
func TestActivity(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		for _, restart := range []bool{false, true} {
			name := map[bool]string{false: "one writer", true: "restarted"}[restart]
			t.Run(name, func(t *testing.T) {
				l := newActivityLog(t, db)
				l.restart = restart
				testActivityFixture(t, l)
			})
		}
	})
}

func testActivityFixture(t *testing.T, l *activityLog) {
	fx := activityFx
	activityFixture(t, l)
	tests := []struct {
		subject Subject
		id      uuid.UUID
		want    []string
	}{
		{SubjectInvoice, fx.inv3, []string{
			"Invoice INV-000003 issued for A$110.00, due 16 May 2025 (by user:alice)",
			"Invoice INV-000003 voided: duplicate (by user:alice)",
		}},
		{SubjectInvoice, fx.inv2, []string{
			"Invoice INV-000002 issued for A$110.00, due 30 Jun 2025 (by system:billing-run)",
			`Billing #2 of "Bookkeeping" billed on invoice INV-000002 (by system:billing-run)`,
			"Invoice INV-000002: payment from Visa •••• 4242, expires 08/2027 rejected: insufficient_funds (Your card has insufficient funds.) (by system:collections)",
		}},
		{SubjectService, fx.oldSvc, []string{
			`Service "Old filing" activated from an instant bill: A$30.00 × 1, monthly, automatic (by user:alice)`,
			`Service "Old filing" ended on 31 Mar 2025: no longer needed (by user:alice)`,
			`Billing #1 of "Old filing" skipped (by user:alice)`,
			`Billing #2 of "Old filing" skipped (by user:alice)`,
			`Billing #3 of "Old filing" skipped (by user:alice)`,
		}},
		{SubjectPaymentMethod, fx.visa, nil}, // checked below
		{SubjectClient, fx.zeta, []string{
			`Client "Zeta Zinc" created (by user:bob)`,
			"Client archived: moved to another firm (by user:bob)",
		}},
	}
	for _, tt := range tests {
		lines, err := l.of(tt.subject, tt.id)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.subject, tt.id, err)
		}
		if tt.want != nil && !slices.Equal(activityTexts(lines), tt.want) {
			t.Errorf("%s activity:\n got %q\nwant %q", tt.subject, activityTexts(lines), tt.want)
		}
	}
	lines, _ := l.of(SubjectPaymentMethod, fx.visa)
	if len(lines) < 3 || lines[0].Text != "Payment method Visa •••• 4242, expires 08/2027 added (by user:alice)" ||
		lines[1].Text != "Payment method Visa •••• 4242, expires 08/2027 set as default (by user:alice)" {
		t.Errorf("visa activity = %q", activityTexts(lines))
	}
	// Who and when come from the envelope.
	lines, _ = l.of(SubjectInvoice, fx.inv3)
	if lines[1].Actor != "user:alice" || lines[1].At.Format("2006-01-02") != "2025-05-01" || lines[1].EventType != "InvoiceVoided" ||
		lines[1].Stream != invoice.StreamName(fx.inv3) || lines[1].Revision != 1 || lines[1].InvoiceID != fx.inv3 || lines[1].Invoice != "INV-000003" ||
		lines[1].What != "Invoice INV-000003 voided: duplicate" || !lines[1].At.Equal(time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("void line envelope = %+v", lines[1])
	}
	// A client's history includes its proposals, services and invoices.
	lines, _ = l.of(SubjectClient, fx.acme)
	all := strings.Join(activityTexts(lines), "\n")
	for _, want := range []string{
		`Proposal "Monthly bookkeeping" accepted by Jane Doe <jane@acme.test> on 20 Apr 2025`,
		`Service "Bookkeeping" edited from 1 Aug 2025: price A$100.00 → A$120.00 (the client is to be told of the price change)`,
		"Invoice INV-000004: payment of A$220.00 received by bank transfer on 10 May 2025, reference EFT 991",
		"Contact Carol Coe <carol@acme.test> added",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("client activity lacks %q:\n%s", want, all)
		}
	}
	if !slices.IsSortedFunc(lines, func(a, b ActivityLine) int { return int(a.Position) - int(b.Position) }) {
		t.Error("client activity is not in log order")
	}
	// Subjects do not leak into each other: a client is not a service.
	for _, q := range []struct {
		subject Subject
		id      uuid.UUID
	}{{SubjectService, id("service/none")}, {SubjectService, fx.acme}} {
		if _, err := l.of(q.subject, q.id); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("%s %s: %v, want ENOTFOUND", q.subject, q.id, err)
		}
	}
}

// TestActivityNamesAsTheyWere checks that a line names a contact or a
// proposal as it was called when the event happened, not as it is now.
func TestActivityNamesAsTheyWere(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		fx := activityFx
		l := newActivityLog(t, db)
		activityFixture(t, l)
		l.apply(client.StreamName(fx.acme), "user:alice", client.ClientPrimaryContactChanged{ClientID: fx.acme, ContactID: fx.bob})
		l.apply(client.StreamName(fx.acme), "user:alice",
			client.ClientContactChanged{ClientID: fx.acme, Contact: client.Contact{ID: fx.bob, Name: "Robert Roe", Email: "bob@acme.test"}})
		l.apply(client.StreamName(fx.acme), "user:alice", client.ClientContactRemoved{ClientID: fx.acme, ContactID: fx.bob})
		lines, err := l.of(SubjectClient, fx.acme)
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(activityTexts(lines), "\n")
		for _, want := range []string{
			"Primary billing contact set to Bob Roe (by user:alice)",
			"Contact Robert Roe <bob@acme.test> changed (by user:alice)",
			"Contact Robert Roe removed (by user:alice)",
		} {
			if !strings.Contains(all, want) {
				t.Errorf("client activity lacks %q:\n%s", want, all)
			}
		}
	})
}

// TestActivityLineLearnsItsInvoiceNumber: a billing run bills an item on an
// invoice just before it issues the invoice with its number. The item's
// line, rendered when it is applied, reads the number once it is known, also
// when the writer was restarted in between.
func TestActivityLineLearnsItsInvoiceNumber(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		for _, restart := range []bool{false, true} {
			l := newActivityLog(t, db)
			l.restart = restart
			svc, inv, acme := id("service/learns"), id("invoice/learns"), activityFx.acme
			date := domain.MustDate
			l.apply(service.StreamName(svc), "system:billing-run",
				activated(svc, acme, "Bookkeeping", "100", monthly(date(2025, 1, 1)), date(2025, 1, 1), service.Automatic),
				service.ScheduleItemBilled{ServiceID: svc, ItemKey: service.ItemKey(svc, 1), InvoiceID: inv},
				service.ScheduleItemReleased{ServiceID: svc, ItemKey: service.ItemKey(svc, 1), InvoiceID: inv, Reason: "odd \x00 reason"})
			lastTwo := func() []ActivityLine {
				t.Helper()
				lines, err := l.of(SubjectService, svc)
				if err != nil || len(lines) != 3 {
					t.Fatalf("service activity %v, %v; want 3 lines", lines, err)
				}
				return lines[1:]
			}
			if got := lastTwo()[0]; got.What != `Billing #1 of "Bookkeeping" billed on invoice (a new invoice)` || got.Invoice != "" || got.InvoiceID != inv {
				t.Fatalf("before the invoice is issued: %q (invoice %v %q)", got.What, got.InvoiceID, got.Invoice)
			}
			l.apply(invoice.StreamName(inv), "system:billing-run",
				issuedBy(inv, acme, activityFx.visa, "INV-000009", date(2025, 1, 1), date(2025, 1, 15), line(t, "Bookkeeping", "100", svc, service.ItemKey(svc, 1))))
			got := lastTwo()
			if want := `Billing #1 of "Bookkeeping" billed on invoice INV-000009 (by system:billing-run)`; got[0].Text != want || got[0].Invoice != "INV-000009" {
				t.Errorf("restart %v: billed line %q (invoice %q), want %q", restart, got[0].Text, got[0].Invoice, want)
			}
			// A reason that holds the mark cannot say where the number goes:
			// the line keeps what it said when it was applied (PostgreSQL
			// cannot keep a NUL in text: it reads as U+FFFD).
			nul := "\x00"
			if db.Dialect() == rmdb.Postgres {
				nul = "\uFFFD"
			}
			if want := "Billing #1 of \"Bookkeeping\" released from invoice (a new invoice): odd " + nul + " reason"; got[1].What != want {
				t.Errorf("restart %v: released line %q, want %q", restart, got[1].What, want)
			}
		}
	})
}

// TestActivityCancelledCollectionLineNamesItsInvoice: the line of a
// cancelled collection carries its invoice (the UI links the number from it).
func TestActivityCancelledCollectionLineNamesItsInvoice(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		l := newActivityLog(t, db)
		svc, inv, acme := id("service/cancel"), id("invoice/cancel"), activityFx.acme
		date := domain.MustDate
		l.apply(service.StreamName(svc), "user:staff", activated(svc, acme, "Bookkeeping", "100", monthly(date(2025, 1, 1)), date(2025, 1, 1), service.Automatic))
		l.apply(invoice.StreamName(inv), "user:staff",
			issuedBy(inv, acme, activityFx.visa, "INV-000011", date(2025, 1, 1), date(2025, 1, 15), line(t, "Bookkeeping", "100", svc, service.ItemKey(svc, 1))),
			invoice.InvoiceCollectionCancelled{InvoiceID: inv, Date: date(2025, 1, 3), Reason: "client asked"})
		lines, err := l.of(SubjectInvoice, inv)
		if err != nil || len(lines) == 0 {
			t.Fatalf("invoice activity %v, %v", lines, err)
		}
		last := lines[len(lines)-1]
		if last.InvoiceID != inv || last.Invoice != "INV-000011" {
			t.Errorf("cancelled collection line %q: invoice %v %q, want %v INV-000011", last.Text, last.InvoiceID, last.Invoice, inv)
		}
	})
}

// TestActivityEditsSayWhatTheyReplace: an edit of a service or of one item
// tells each changed field as "old → new", the old value folded from the
// service's activation and earlier edits, also by a writer that reads them
// back from its table.
func TestActivityEditsSayWhatTheyReplace(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		for _, restart := range []bool{false, true} {
			l := newActivityLog(t, db)
			l.restart = restart
			svc, acme := id("service/edits"), activityFx.acme
			date := domain.MustDate
			qty, price, desc := dec("1.5"), dec("90"), "Books"
			moved := date(2025, 2, 3)
			l.apply(service.StreamName(svc), "user:alice", activated(svc, acme, "Bookkeeping", "100", monthly(date(2025, 1, 1)), date(2025, 1, 1), service.Automatic))
			l.apply(service.StreamName(svc), "user:alice", service.ServiceEdited{ServiceID: svc, EffectiveFrom: date(2025, 1, 1), Changes: service.Changes{Quantity: &qty}})
			l.apply(service.StreamName(svc), "user:alice", service.ScheduleItemEdited{ServiceID: svc, ItemKey: service.ItemKey(svc, 2),
				ItemChanges: service.ItemChanges{Date: &moved, Changes: service.Changes{UnitPrice: &price, Description: &desc}}})
			lines, err := l.of(SubjectService, svc)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{
				`Service "Bookkeeping" edited from 1 Jan 2025: quantity 1 → 1.5 (by user:alice)`,
				`Billing #2 of "Bookkeeping" edited: date 1 Feb 2025 → 3 Feb 2025, description "Bookkeeping" → "Books", price A$100.00 → A$90.00 (by user:alice)`,
			}
			if got := activityTexts(lines)[1:]; !slices.Equal(got, want) {
				t.Errorf("restart %v: edits\n got %q\nwant %q", restart, got, want)
			}
		}
	})
}

// TestActivityGatewayPaymentDate: a gateway payment recorded before its
// event carried a date is dated on the firm's calendar (01:37 in Sydney is
// the next day in Sydney, not the UTC day).
func TestActivityGatewayPaymentDate(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		l := newActivityLog(t, db)
		l.restart = true
		fx := activityFx
		date := domain.MustDate
		l.apply(firm.StreamName(), "user:alice", firm.FirmSetUp{Name: "Ledger & Co", BaseCurrency: aud, TimeZone: "Australia/Sydney"})
		l.at(date(2025, 3, 1))
		l.apply(invoice.StreamName(fx.inv1), "user:alice", issuedBy(fx.inv1, fx.acme, fx.visa, "INV-000001", date(2025, 3, 1), date(2025, 3, 15), line(t, "Advice", "100", uuid.Nil, "")))
		l.apply(invoice.StreamName(fx.inv2), "user:alice", issuedBy(fx.inv2, fx.acme, fx.visa, "INV-000002", date(2025, 3, 1), date(2025, 3, 15), line(t, "Advice", "100", uuid.Nil, "")))
		sydney137 := time.Date(2025, 3, 10, 14, 37, 0, 0, time.UTC) // 01:37 on 11 March in Sydney
		l.apply(invoice.StreamName(fx.inv1), "system:collections",
			invoice.InvoicePaymentSucceeded{InvoiceID: fx.inv1, AttemptID: id("attempt/1"), GatewayReference: "ch_1", Amount: domain.MustMoney("50", "AUD"), At: sydney137})
		l.apply(invoice.StreamName(fx.inv2), "system:collections",
			invoice.InvoicePaymentSucceeded{InvoiceID: fx.inv2, AttemptID: id("attempt/2"), GatewayReference: "ch_2", Amount: domain.MustMoney("50", "AUD"), Date: date(2027, 2, 5), At: sydney137})
		for _, tc := range []struct {
			inv  uuid.UUID
			text string
		}{{fx.inv1, "11 Mar 2025"}, {fx.inv2, "5 Feb 2027"}} {
			lines, err := l.of(SubjectInvoice, tc.inv)
			if err != nil {
				t.Fatal(err)
			}
			if all := strings.Join(activityTexts(lines), "\n"); !strings.Contains(all, "collected on "+tc.text+" ") {
				t.Errorf("invoice %s activity %q, want the payment collected on %s", tc.inv, all, tc.text)
			}
		}
	})
}

// TestActivityDiscard: after a batch rolls back, Discard forgets what the
// writer cached from it, so the batch applied again says what it said.
func TestActivityDiscard(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		l := newActivityLog(t, db)
		svc, acme := id("service/discard"), activityFx.acme
		date := domain.MustDate
		batch := l.events(service.StreamName(svc), "user:alice",
			activated(svc, acme, "Bookkeeping", "100", monthly(date(2025, 1, 1)), date(2025, 1, 1), service.Automatic))
		tx, err := db.Begin(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range batch {
			l.p.Apply(tx, e)
		}
		l.p.Flush(tx)
		tx.Rollback()
		l.p.Discard()
		if _, err := l.of(SubjectService, svc); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("rolled back: %v, want ENOTFOUND", err)
		}
		qty := dec("2")
		l.applyBatch(batch)
		l.apply(service.StreamName(svc), "user:alice", service.ServiceEdited{ServiceID: svc, EffectiveFrom: date(2025, 1, 1), Changes: service.Changes{Quantity: &qty}})
		lines, err := l.of(SubjectService, svc)
		if err != nil || len(lines) != 2 || lines[1].What != `Service "Bookkeeping" edited from 1 Jan 2025: quantity 1 → 2` {
			t.Fatalf("after the retry: %q, %v", activityTexts(lines), err)
		}
		if lines, err := l.of(SubjectClient, acme); err != nil || len(lines) != 2 {
			t.Errorf("client: %q, %v; want the activation once and the edit", activityTexts(lines), err)
		}
	})
}

// activityBenchLog is a realistic event mix for the benchmark: clients
// created with contacts and a card, a proposal sent and accepted, two
// services, then every month an invoice per client (its number reserved,
// its items billed, sent, collection scheduled, paid; one in ten rejected
// then retried), with price edits, item edits and contact changes now and
// then. It returns the events in batches of the runner's size.
func activityBenchLog(l *activityLog, clients, months, batch int) [][]Event {
	date := domain.MustDate
	var all []Event
	add := func(stream, actor string, events ...domain.Event) {
		all = append(all, l.events(stream, actor, events...)...)
	}
	type fxClient struct{ id, contact, method, prop, svc1, svc2 uuid.UUID }
	cs := make([]fxClient, clients)
	start := date(2025, 1, 1)
	for i := range cs {
		n := func(kind string) uuid.UUID {
			return id(kind + "/" + string(rune('a'+i%26)) + "/" + time.Duration(i).String())
		}
		c := fxClient{n("client"), n("contact"), n("pm"), n("proposal"), n("svc1"), n("svc2")}
		cs[i] = c
		add(client.StreamName(c.id), "user:alice",
			client.ClientCreated{ClientID: c.id, Name: "Client " + c.id.String()[:8] + " Pty Ltd", Kind: client.KindBusiness, Currency: aud,
				PrimaryContactID: c.contact, Contacts: []client.Contact{{ID: c.contact, Name: "Jane Doe", Email: "jane@client.test"}}},
			client.PaymentMethodAdded{ClientID: c.id, PaymentMethodID: c.method, Method: client.PaymentMethodDetails{Kind: client.MethodCard,
				Gateway: "sandbox", GatewayToken: "tok_visa", Brand: "visa", Last4: "4242", ExpiryMonth: 8, ExpiryYear: 2029}},
			client.PaymentMethodSetAsDefault{ClientID: c.id, PaymentMethodID: c.method})
		add(proposal.StreamName(c.prop), "user:alice",
			proposal.ProposalDrafted{ProposalID: c.prop, ClientID: c.id, Title: "Monthly bookkeeping", Currency: aud,
				Lines: []proposal.Line{{ID: n("pline"), Name: "Bookkeeping", UnitPrice: dec("100"), Quantity: dec("1"),
					TaxRate: dec("10"), BillingRule: monthly(start), Automatic: true}}},
			proposal.ProposalSent{ProposalID: c.prop, RecipientEmail: "jane@client.test"})
		add(proposal.StreamName(c.prop), "client:jane@client.test",
			proposal.ProposalAccepted{ProposalID: c.prop, ClientID: c.id, AcceptedByName: "Jane Doe", AcceptedByEmail: "jane@client.test",
				SignatureName: "Jane Doe", AcceptedOn: start, PaymentMethodID: c.method, Currency: aud})
		bk := activated(c.svc1, c.id, "Bookkeeping", "100", monthly(start), start, service.Automatic)
		bk.Source = service.Source{ProposalID: c.prop}
		add(service.StreamName(c.svc1), "system:proposals", bk)
		add(service.StreamName(c.svc2), "user:alice", activated(c.svc2, c.id, "Payroll", "50", monthly(start), start, service.Automatic))
	}
	seq := int64(0)
	for m := range months {
		on := start.AddMonthsClamped(m, 1)
		for i, c := range cs {
			seq++
			inv := id("invoice/" + time.Duration(seq).String())
			number := numbering.FormatNumber("INV-", seq)
			add(numbering.StreamName(), "system:billing", numbering.InvoiceNumberReserved{Number: number, Sequence: seq, InvoiceID: inv})
			issued := issuedBy(inv, c.id, c.method, number, on, on.AddDays(14),
				line(l.t, "Bookkeeping", "100", c.svc1, service.ItemKey(c.svc1, m+1)),
				line(l.t, "Payroll", "50", c.svc2, service.ItemKey(c.svc2, m+1)))
			add(invoice.StreamName(inv), "system:billing-run", issued)
			for _, svc := range []uuid.UUID{c.svc1, c.svc2} {
				add(service.StreamName(svc), "system:billing-run", service.ScheduleItemBilled{ServiceID: svc, ItemKey: service.ItemKey(svc, m+1),
					InvoiceID: inv, Date: on, Description: "Bookkeeping", Quantity: dec("1"), UnitPrice: dec("100"),
					TaxRate: dec("10"), Mode: service.Automatic, PaymentMethodID: c.method})
			}
			add(invoice.StreamName(inv), "system:collections",
				invoice.InvoiceSent{InvoiceID: inv, Recipient: "jane@client.test"},
				invoice.InvoiceCollectionScheduled{InvoiceID: inv, Date: on, PaymentMethodID: c.method})
			paid := invoice.InvoicePaymentSucceeded{InvoiceID: inv, AttemptID: id("attempt/" + number), PaymentMethodID: c.method,
				GatewayReference: "ch_" + number, Amount: issued.Totals.Gross, Date: on}
			if (i+m)%10 == 0 {
				add(invoice.StreamName(inv), "system:collections",
					invoice.InvoicePaymentRejected{InvoiceID: inv, AttemptID: id("attempt/r" + number), PaymentMethodID: c.method,
						DeclineCode: "insufficient_funds", DeclineMessage: "Your card has insufficient funds.", Date: on},
					invoice.InvoiceRetryScheduled{InvoiceID: inv, Date: on.AddDays(3), PaymentMethodID: c.method})
				paid.Date = on.AddDays(3)
			}
			add(invoice.StreamName(inv), "system:collections", paid)
			switch (i + m) % 12 {
			case 3:
				price := dec("110")
				add(service.StreamName(c.svc1), "user:alice", service.ServiceEdited{ServiceID: c.svc1, EffectiveFrom: on.AddMonthsClamped(1, 1),
					Changes: service.Changes{UnitPrice: &price}, NotifyClientOfPriceChange: true})
			case 7:
				qty := dec("2")
				add(service.StreamName(c.svc2), "user:alice", service.ScheduleItemEdited{ServiceID: c.svc2, ItemKey: service.ItemKey(c.svc2, m+2),
					ItemChanges: service.ItemChanges{Changes: service.Changes{Quantity: &qty}}})
			case 11:
				add(client.StreamName(c.id), "user:alice", client.ClientContactChanged{ClientID: c.id,
					Contact: client.Contact{ID: c.contact, Name: "Jane Roe", Email: "jane@client.test"}})
			}
		}
	}
	var out [][]Event
	for len(all) > 0 {
		n := min(batch, len(all))
		out = append(out, all[:n])
		all = all[n:]
	}
	return out
}

// BenchmarkActivityApply applies a year of a 200-client firm's events (a
// realistic mix, activityBenchLog) to a fresh SQLite read-model database in
// batches of 1000, and reports the apply rate ("events/s") and the bytes the
// database file takes per event ("B/event": page_count × page_size over the
// events), the figures that decide how fast a rebuild runs and how large a
// firm's read models grow.
func BenchmarkActivityApply(b *testing.B) {
	ctx := context.Background()
	var rate, perEvent float64
	var events int
	for b.Loop() {
		b.StopTimer()
		db, err := rmdb.OpenSQLite(filepath.Join(b.TempDir(), "rm.db"))
		if err != nil {
			b.Fatal(err)
		}
		l := newActivityLog(b, db)
		batches := activityBenchLog(l, 200, 12, 1000)
		events = int(l.pos)
		b.StartTimer()
		began := time.Now()
		for _, batch := range batches {
			l.applyBatch(batch)
		}
		rate = float64(events) / time.Since(began).Seconds()
		b.StopTimer()
		var pages, size int64
		if err := db.QueryRow(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
			b.Fatal(err)
		}
		if err := db.QueryRow(ctx, "PRAGMA page_size").Scan(&size); err != nil {
			b.Fatal(err)
		}
		perEvent = float64(pages*size) / float64(events)
		if _, err := l.of(SubjectClient, id("client/a/0s")); err != nil {
			b.Fatal(err)
		}
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(perEvent, "B/event")
	b.ReportMetric(float64(events), "events")
}

// TestActivityProposalSignatures: a proposal's history says who viewed it,
// who signed it (typed name, address) and which reminders went out.
func TestActivityProposalSignatures(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		l := newActivityLog(t, db)
		p, acme := id("proposal/signed"), activityFx.acme
		st := proposal.StreamName(p)
		l.apply(st, "user:alice", proposal.ProposalDrafted{ProposalID: p, ClientID: acme, Title: "Books 2026"})
		l.apply(st, "user:alice", proposal.ProposalSent{ProposalID: p, RecipientEmail: "jane@acme.test"})
		l.apply(st, "client", proposal.ProposalViewed{ProposalID: p, ClientID: acme, IP: "203.0.113.7", UserAgent: "Firefox"})
		l.apply(st, "reminders", proposal.ProposalReminderSent{ProposalID: p, ClientID: acme, Reminder: 1, Recipients: []proposal.Recipient{{Email: "jane@acme.test"}}})
		l.apply(st, "client", proposal.ProposalSigned{ProposalID: p, ClientID: acme, SignedName: "Jane Acme", Email: "jane@acme.test", IP: "203.0.113.7"})
		lines, err := l.of(SubjectProposal, p)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(activityTexts(lines), "\n")
		for _, want := range []string{`Proposal "Books 2026" viewed from 203.0.113.7`, `Reminder 1 of proposal "Books 2026" sent to jane@acme.test`,
			`Proposal "Books 2026" signed by Jane Acme <jane@acme.test> (typed "Jane Acme", from 203.0.113.7)`} {
			if !strings.Contains(got, want) {
				t.Errorf("activity lacks %q:\n%s", want, got)
			}
		}
	})
}
