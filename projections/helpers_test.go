package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"remit/eventstore/postgres/pgtest"
	"remit/projections/rmdb"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/decidertest"
	"remit/domain/invoice"
	"remit/domain/numbering"
	"remit/domain/proposal"
	"remit/domain/service"
	"remit/eventstore"
	"remit/eventstore/sqlite"
)

// id returns a deterministic uuid for a name used in a test.
func id(name string) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceURL, []byte("remit-test/"+name)) }

func date(y int, m time.Month, d int) domain.Date { return domain.MustDate(y, m, d) }

var dec = decidertest.Dec

var aud = domain.MustCurrency("AUD")

func aus(s string) domain.Money { return domain.MustMoney(s, "AUD") }

// clock is the store's injected clock: tests move it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// env is a real embedded store with a movable clock.
type env struct {
	tb    testing.TB
	dir   string
	store *sqlite.Store
	clock *clock
	n     int // events appended, for deterministic event ids
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	c := &clock{now: time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)}
	dir := tb.TempDir()
	s, err := sqlite.Open(dir, sqlite.Options{Clock: c.Now})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return &env{tb: tb, dir: dir, store: s, clock: c}
}

// MustAppend appends domain events to a stream as actor, returning the
// position of the last one.
func (e *env) MustAppend(stream, actor string, events ...domain.Event) uint64 {
	e.tb.Helper()
	data := make([]eventstore.EventData, len(events))
	for i, ev := range events {
		raw, err := json.Marshal(ev)
		if err != nil {
			e.tb.Fatalf("encode %s: %v", ev.EventType(), err)
		}
		e.n++
		data[i] = eventstore.EventData{
			ID:       uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "event-%d", e.n)),
			Type:     ev.EventType(),
			Data:     raw,
			Metadata: eventstore.Metadata{Actor: actor, CommandID: fmt.Sprintf("cmd-%d", e.n)},
		}
	}
	res, err := e.store.Append(context.Background(), stream, eventstore.Any, data...)
	if err != nil {
		e.tb.Fatalf("append to %s: %v", stream, err)
	}
	return res.Position
}

// MustAppendRaw appends an event of any type with raw JSON data.
func (e *env) MustAppendRaw(stream, typ, data string) uint64 {
	e.tb.Helper()
	e.n++
	res, err := e.store.Append(context.Background(), stream, eventstore.Any, eventstore.EventData{
		ID: uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "event-%d", e.n)), Type: typ, Data: json.RawMessage(data),
	})
	if err != nil {
		e.tb.Fatalf("append to %s: %v", stream, err)
	}
	return res.Position
}

// MustModels replays the whole log into fresh models.
func (e *env) MustModels() *Models {
	e.tb.Helper()
	m, _, err := BuildAsOf(context.Background(), e.store, Bound{})
	if err != nil {
		e.tb.Fatalf("build models: %v", err)
	}
	e.tb.Cleanup(func() { m.Close() })
	return m
}

// Fixture ids.
var (
	acme, beta, zeta          = id("client/acme"), id("client/beta"), id("client/zeta")
	jane, bob, zed, betty     = id("contact/jane"), id("contact/bob"), id("contact/zed"), id("contact/betty")
	visa                      = id("pm/visa")
	prop1                     = id("proposal/1")
	bookkeeping, payroll, tax = id("service/bookkeeping"), id("service/payroll"), id("service/tax-return")
	advice, oldSvc            = id("service/advice"), id("service/old")
	inv1, inv2, inv3, inv4    = id("invoice/1"), id("invoice/2"), id("invoice/3"), id("invoice/4")
	inv5                      = id("invoice/5")
)

// today is the day the fixture's queries are asked on.
var today = date(2025, 6, 15)

func monthly(from domain.Date) domain.BillingRule {
	return domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnDate, StartDate: from, End: domain.EndNever}
}

func line(t testing.TB, desc, price string, serviceID uuid.UUID, key string) invoice.Line {
	t.Helper()
	amounts, err := domain.ComputeLine(aud, domain.TaxExclusive, domain.LineInput{Quantity: dec("1"), UnitPrice: dec(price), TaxRate: dec("10")})
	if err != nil {
		t.Fatal(err)
	}
	return invoice.Line{LineID: id("line/" + desc + key), Description: desc, Quantity: dec("1"), UnitPrice: aus(price),
		TaxRate: dec("10"), ServiceID: serviceID, ItemKey: key, Amounts: amounts}
}

func issued(t testing.TB, inv, cl uuid.UUID, number string, issue, due domain.Date, lines ...invoice.Line) invoice.InvoiceIssued {
	t.Helper()
	return issuedBy(inv, cl, visa, number, issue, due, lines...)
}

// issuedBy is an InvoiceIssued in AUD, to be collected from method, with
// the lines' totals.
func issuedBy(inv, cl, method uuid.UUID, number string, issue, due domain.Date, lines ...invoice.Line) invoice.InvoiceIssued {
	tot := invoice.Totals{Net: domain.Zero(aud), Tax: domain.Zero(aud), Gross: domain.Zero(aud)}
	for _, l := range lines {
		tot.Net.Amount = tot.Net.Amount.Add(l.Amounts.Net.Amount)
		tot.Tax.Amount = tot.Tax.Amount.Add(l.Amounts.Tax.Amount)
		tot.Gross.Amount = tot.Gross.Amount.Add(l.Amounts.Gross.Amount)
	}
	return invoice.InvoiceIssued{InvoiceID: inv, ClientID: cl, Number: number, Currency: aud, IssueDate: issue, DueDate: due,
		TaxMode: domain.TaxExclusive, Lines: lines, Totals: tot, PaymentMethodID: method}
}

func activated(svc, cl uuid.UUID, name, price string, rule domain.BillingRule, first domain.Date, mode service.BillingMode) service.ServiceActivated {
	return service.ServiceActivated{ServiceID: svc, ClientID: cl, Source: service.Source{InstantBill: true}, Name: name,
		UnitPrice: dec(price), Quantity: dec("1"), TaxRate: dec("10"), Currency: aud, BillingRule: rule, FirstDate: first, Mode: mode}
}

// at moves the clock to a day at 09:00 UTC.
func (e *env) at(d domain.Date) {
	e.clock.Set(time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, time.UTC))
}

// fixture writes a small firm's history: three clients, a proposal, five
// services and five invoices in every state that matters. It returns the
// position of the last event of each phase by name.
func (e *env) fixture() map[string]uint64 {
	t := e.tb
	t.Helper()
	marks := map[string]uint64{}
	e.at(date(2025, 1, 1))
	e.MustAppend(client.StreamName(acme), "user:alice",
		client.ClientCreated{ClientID: acme, Name: "Acme Pty Ltd", Kind: client.KindBusiness, Currency: aud, PrimaryContactID: jane,
			Contacts: []client.Contact{{ID: jane, Name: "Jane Doe", Email: "jane@acme.test"}, {ID: bob, Name: "Bob Roe", Email: "bob@acme.test"}}},
		client.PaymentMethodAdded{ClientID: acme, PaymentMethodID: visa, Method: client.PaymentMethodDetails{Kind: client.MethodCard,
			Gateway: "sandbox", GatewayToken: "tok_visa", Brand: "visa", Last4: "4242", ExpiryMonth: 8, ExpiryYear: 2027}},
		client.PaymentMethodSetAsDefault{ClientID: acme, PaymentMethodID: visa},
	)
	e.MustAppend(client.StreamName(beta), "user:alice",
		client.ClientCreated{ClientID: beta, Name: "Beta Bakery", Kind: client.KindBusiness, Currency: aud, PrimaryContactID: betty,
			Contacts: []client.Contact{{ID: betty, Name: "Betty Baker", Email: "betty@beta.test"}}},
	)
	e.MustAppend(client.StreamName(zeta), "user:bob",
		client.ClientCreated{ClientID: zeta, Name: "Zeta Zinc", Kind: client.KindBusiness, Currency: aud, PrimaryContactID: zed,
			Contacts: []client.Contact{{ID: zed, Name: "Zed Zane", Email: "zed@zeta.test"}}},
		client.ClientArchived{ClientID: zeta, Reason: "moved to another firm"},
	)
	marks["clients"] = e.MustAppend(proposal.StreamName(prop1), "user:alice",
		proposal.ProposalDrafted{ProposalID: prop1, ClientID: acme, Title: "Monthly bookkeeping", Currency: aud,
			Lines: []proposal.Line{{ID: id("pline/1"), Name: "Bookkeeping", UnitPrice: dec("100"), Quantity: dec("1"), TaxRate: dec("10"), BillingRule: monthly(date(2025, 5, 1)), Automatic: true}}},
		proposal.ProposalSent{ProposalID: prop1, RecipientEmail: "jane@acme.test"},
	)
	e.at(date(2025, 4, 20))
	e.MustAppend(proposal.StreamName(prop1), "client:jane@acme.test",
		proposal.ProposalAccepted{ProposalID: prop1, ClientID: acme, AcceptedByName: "Jane Doe", AcceptedByEmail: "jane@acme.test",
			SignatureName: "Jane Doe", AcceptedOn: date(2025, 4, 20), PaymentMethodID: visa, Currency: aud},
	)
	bk := activated(bookkeeping, acme, "Bookkeeping", "100", monthly(date(2025, 5, 1)), date(2025, 5, 1), service.Automatic)
	bk.Source = service.Source{ProposalID: prop1, ProposalLineID: id("pline/1")}
	e.MustAppend(service.StreamName(bookkeeping), "system:proposals", bk)
	// Payroll bills on the same days from the same card: one billing group.
	e.MustAppend(service.StreamName(payroll), "user:alice", activated(payroll, acme, "Payroll", "50", monthly(date(2025, 7, 1)), date(2025, 7, 1), service.Automatic))
	e.MustAppend(service.StreamName(tax), "user:alice", activated(tax, acme, "Tax return", "500",
		domain.BillingRule{Frequency: domain.FrequencyOnCompletion}, domain.Date{}, service.Manual))
	// Advice is manual and monthly: its May item is overdue by mid-June.
	e.MustAppend(service.StreamName(advice), "user:alice", activated(advice, acme, "Advice", "80", monthly(date(2025, 5, 10)), date(2025, 5, 10), service.Manual))
	e.MustAppend(service.StreamName(oldSvc), "user:alice",
		activated(oldSvc, acme, "Old filing", "30", monthly(date(2025, 2, 1)), date(2025, 2, 1), service.Automatic),
		service.ServiceEnded{ServiceID: oldSvc, EndDate: date(2025, 3, 31), Reason: "no longer needed"},
		service.ScheduleItemSkipped{ServiceID: oldSvc, ItemKey: service.ItemKey(oldSvc, 1)},
		service.ScheduleItemSkipped{ServiceID: oldSvc, ItemKey: service.ItemKey(oldSvc, 2)},
		service.ScheduleItemSkipped{ServiceID: oldSvc, ItemKey: service.ItemKey(oldSvc, 3)},
	)
	marks["services"] = e.MustAppend(service.StreamName(bookkeeping), "user:alice",
		service.ServiceEdited{ServiceID: bookkeeping, EffectiveFrom: date(2025, 8, 1), Changes: service.Changes{UnitPrice: ptr(dec("120"))}, NotifyClientOfPriceChange: true},
	)

	// Each invoice's number is reserved just before it is issued, as billing
	// does (reconciliation checks every number is one invoice).
	reserve := func(seq int64, inv uuid.UUID) {
		e.MustAppend(numbering.StreamName(), "system:billing", numbering.InvoiceNumberReserved{
			Number: numbering.FormatNumber("INV-", seq), Sequence: seq, InvoiceID: inv, At: e.clock.Now()})
	}

	// May: invoice 1 (bookkeeping item 1), half paid, overdue by June 15.
	e.at(date(2025, 5, 1))
	reserve(1, inv1)
	e.MustAppend(invoice.StreamName(inv1), "system:billing-run",
		issued(t, inv1, acme, "INV-000001", date(2025, 5, 1), date(2025, 5, 15), line(t, "Bookkeeping", "100", bookkeeping, service.ItemKey(bookkeeping, 1))))
	e.MustAppend(service.StreamName(bookkeeping), "system:billing-run",
		service.ScheduleItemBilled{ServiceID: bookkeeping, ItemKey: service.ItemKey(bookkeeping, 1), InvoiceID: inv1, Date: date(2025, 5, 1),
			Description: "Bookkeeping", Quantity: dec("1"), UnitPrice: dec("100"), TaxRate: dec("10"), Mode: service.Automatic, PaymentMethodID: visa})
	e.MustAppend(invoice.StreamName(inv1), "system:collections",
		invoice.InvoiceSent{InvoiceID: inv1, Recipient: "jane@acme.test"},
		invoice.InvoicePaymentSucceeded{InvoiceID: inv1, AttemptID: id("attempt/1"), PaymentMethodID: visa, GatewayReference: "ch_1", Amount: aus("50")},
	)
	// Invoice 3 is a duplicate, voided.
	reserve(3, inv3)
	e.MustAppend(invoice.StreamName(inv3), "user:alice", issued(t, inv3, acme, "INV-000003", date(2025, 5, 2), date(2025, 5, 16), line(t, "Bookkeeping", "100", uuid.Nil, "")))
	e.MustAppend(invoice.StreamName(inv3), "user:alice", invoice.InvoiceVoided{InvoiceID: inv3, Reason: "duplicate"})
	// Invoice 4 paid by bank transfer.
	reserve(4, inv4)
	e.MustAppend(invoice.StreamName(inv4), "user:alice",
		issued(t, inv4, acme, "INV-000004", date(2025, 5, 3), date(2025, 5, 17), line(t, "Setup", "200", uuid.Nil, "")),
		invoice.InvoicePaymentRecorded{InvoiceID: inv4, PaymentID: id("payment/4"), Method: invoice.PaidByBankTransfer, Reference: "EFT 991", Amount: aus("220"), Date: date(2025, 5, 10)},
	)
	marks["may"] = e.MustAppend(client.StreamName(acme), "user:alice",
		client.ClientContactAdded{ClientID: acme, Contact: client.Contact{ID: id("contact/carol"), Name: "Carol Coe", Email: "carol@acme.test"}})

	// June: invoice 2 (bookkeeping item 2) rejected; invoice 5 for Beta.
	e.at(date(2025, 6, 1))
	reserve(2, inv2)
	e.MustAppend(invoice.StreamName(inv2), "system:billing-run",
		issued(t, inv2, acme, "INV-000002", date(2025, 6, 1), date(2025, 6, 30), line(t, "Bookkeeping", "100", bookkeeping, service.ItemKey(bookkeeping, 2))))
	e.MustAppend(service.StreamName(bookkeeping), "system:billing-run",
		service.ScheduleItemBilled{ServiceID: bookkeeping, ItemKey: service.ItemKey(bookkeeping, 2), InvoiceID: inv2, Date: date(2025, 6, 1),
			Description: "Bookkeeping", Quantity: dec("1"), UnitPrice: dec("100"), TaxRate: dec("10"), Mode: service.Automatic, PaymentMethodID: visa})
	e.MustAppend(invoice.StreamName(inv2), "system:collections",
		invoice.InvoicePaymentRejected{InvoiceID: inv2, AttemptID: id("attempt/2"), PaymentMethodID: visa, DeclineCode: "insufficient_funds", DeclineMessage: "Your card has insufficient funds."},
	)
	reserve(5, inv5)
	e.MustAppend(invoice.StreamName(inv5), "user:bob", issued(t, inv5, beta, "INV-000005", date(2025, 6, 2), date(2025, 7, 2), line(t, "Cakes audit", "300", uuid.Nil, "")))
	marks["june"] = e.MustAppend(invoice.StreamName(inv1), "user:alice", invoice.InvoiceSent{InvoiceID: inv1, Recipient: "jane@acme.test", Resent: true})
	return marks
}

func ptr[T any](v T) *T { return &v }

func moneyStrings(ms []domain.Money) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return out
}

// mustLiveModels returns models on a read-model database of their own (a
// SQLite file in a temporary folder) and a runner feeding them.
func (e *env) mustLiveModels(opts RunnerOptions) (*Models, *Runner) {
	e.tb.Helper()
	db, err := rmdb.OpenSQLite(filepath.Join(e.tb.TempDir(), "readmodels.db"))
	if err != nil {
		e.tb.Fatal(err)
	}
	m := NewModels(db)
	r, err := NewRunner(context.Background(), e.store, m, opts)
	if err != nil {
		e.tb.Fatal(err)
	}
	e.tb.Cleanup(func() {
		r.Close()
		db.Close()
	})
	return m, r
}

// ok returns v, and panics (failing the test) on an error.
func ok[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// tamperDoc rewrites one document of a table the models serve, as a
// corrupted read model would hold it.
func tamperDoc[V any](tb testing.TB, m *Models, projection, table, key string, change func(*V)) {
	tb.Helper()
	ctx := context.Background()
	var doc string
	if err := m.db.QueryRow(ctx, "SELECT doc FROM "+rmdb.View(table)+" WHERE key = ?", key).Scan(&doc); err != nil {
		tb.Fatalf("tamper %s %s: %v", table, key, err)
	}
	var v V
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		tb.Fatal(err)
	}
	change(&v)
	raw, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	regs, err := m.db.Registrations(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	err = m.db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		for _, r := range regs {
			if r.Serving && r.Name == projection {
				if n := tx.ExecCount("UPDATE "+rmdb.Stored(table, r.Generation)+" SET doc = ? WHERE key = ?", string(raw), key); n != 1 {
					tx.Fail(fmt.Errorf("tamper %s %s: %d rows", table, key, n))
				}
			}
		}
		return tx.Err()
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// eachDB runs f on an empty SQLite read-model database, then on an empty
// PostgreSQL one (skipped when no server is reachable).
func eachDB(t *testing.T, f func(t *testing.T, db *rmdb.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		db, err := rmdb.OpenSQLite(filepath.Join(t.TempDir(), "rm.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		f(t, db)
	})
	t.Run("postgres", func(t *testing.T) {
		db, err := rmdb.OpenPostgres(context.Background(), pgtest.MustDatabase(t), "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		f(t, db)
	})
}
