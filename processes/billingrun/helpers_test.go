package billingrun_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/decidertest"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/integrations/payments/sandbox"
	"remit/processes/billingrun"
)

var sydney = MustLoad("Australia/Sydney")

func MustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// clock is the injected clock shared by the billing service and the sandbox.
type clock struct {
	mu  sync.Mutex
	now time.Time
	ids atomic.Uint64
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// setDay moves the clock to 06:00 on day in Sydney, the firm's zone.
func (c *clock) setDay(day domain.Date) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = time.Date(day.Year(), day.Month(), day.Day(), 6, 0, 0, 0, sydney)
}

func (c *clock) newID() uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "billingrun-test-%d", c.ids.Add(1)))
}

// fixture is a billing Service and a sandbox gateway over a real embedded
// store in a temporary folder, on an injected clock.
type fixture struct {
	tb       testing.TB
	dir      string
	clk      *clock
	store    *sqlite.Store
	svc      *billing.Service
	gw       *sandbox.Gateway
	names    map[uuid.UUID]string // client names, for readable logs
	clientOf map[uuid.UUID]string // client name of each invoice seen
	idx      *billingrun.Index    // read models of the store, see index
}

func invoiceOf(stream string) uuid.UUID {
	return uuid.MustParse(strings.TrimPrefix(stream, "invoice-"))
}

func newFixture(tb testing.TB, start domain.Date) *fixture {
	tb.Helper()
	f := &fixture{tb: tb, dir: tb.TempDir(), clk: &clock{}, names: map[uuid.UUID]string{}, clientOf: map[uuid.UUID]string{}}
	f.clk.setDay(start)
	f.open()
	tb.Cleanup(func() { f.closeIndex(); f.store.Close() })
	return f
}

// index returns the Index the fixture's runs read: read models of the
// store in a temporary database, brought up to date by each run (made on
// first use, and again after the store is reopened).
func (f *fixture) index() *billingrun.Index {
	f.tb.Helper()
	if f.idx == nil {
		idx, err := billingrun.OpenIndex(context.Background(), f.store)
		if err != nil {
			f.tb.Fatalf("open the read models: %v", err)
		}
		f.idx = idx
	}
	return f.idx
}

func (f *fixture) closeIndex() {
	if f.idx != nil {
		if err := f.idx.Close(); err != nil {
			f.tb.Errorf("close the read models: %v", err)
		}
		f.idx = nil
	}
}

func (f *fixture) open() {
	f.tb.Helper()
	f.closeIndex()
	st, err := sqlite.Open(f.dir, sqlite.Options{Clock: f.clk.Now})
	if err != nil {
		f.tb.Fatalf("open store: %v", err)
	}
	f.store = st
	f.svc = f.newService()
	if f.gw, err = sandbox.Open(f.dir, sandbox.Options{Now: f.clk.Now}); err != nil {
		f.tb.Fatal(err)
	}
}

// newService is another billing.Service on the same store, as another
// process would have (its own numbering lock and caches).
func (f *fixture) newService() *billing.Service {
	return billing.New(billing.Config{Store: f.store, Now: f.clk.Now, NewID: f.clk.newID})
}

func (f *fixture) ok(res billing.Result, err error) billing.Result {
	f.tb.Helper()
	if err != nil {
		f.tb.Fatalf("command failed: %v", err)
	}
	return res
}

func staff() billing.Meta { return billing.Meta{Actor: "staff@firm.test"} }

var dec = decidertest.Dec

func (f *fixture) MustSetUpFirm(group bool, onceOffDays int) {
	f.tb.Helper()
	f.ok(f.svc.SetUpFirm(context.Background(), billing.SetUpFirmRequest{
		Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14,
		Address:               domain.Address{Line1: "1 George St", City: "Sydney", Country: "AU"},
		CollectionDaysOnceOff: onceOffDays, GroupItems: &group,
	}, staff()))
}

// MustClient creates a client whose default payment method has token (none
// when token is empty) and returns its id.
func (f *fixture) MustClient(name, token string) uuid.UUID {
	f.tb.Helper()
	ctx := context.Background()
	id := f.ok(f.svc.CreateClient(ctx, billing.ClientRequest{
		Name: name, Kind: client.KindBusiness, Contacts: []client.Contact{{Name: "Alice " + name, Email: "alice@client.test"}},
	}, staff())).ID
	if f.names != nil {
		f.names[id] = name
	}
	if token != "" {
		m := client.PaymentMethodDetails{Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: token, Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2030}
		if strings.HasPrefix(token, "pm_debit_") {
			m = client.PaymentMethodDetails{Kind: client.MethodBankDebit, Gateway: "sandbox", GatewayToken: token, Scheme: client.DebitScheme("au_becs"), MaskedAccount: "062-000 ****1234", MandateReference: "MD-1"}
		}
		f.ok(f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: id, Method: m}, staff()))
	}
	return id
}

func (f *fixture) MustService(clientID uuid.UUID, name string, rule domain.BillingRule, automatic bool) uuid.UUID {
	f.tb.Helper()
	return f.ok(f.svc.ActivateService(context.Background(), billing.ServiceRequest{
		ClientID: clientID, Name: name, UnitPrice: dec("100"), Quantity: dec("1"), TaxRate: dec("10"),
		BillingRule: rule, Automatic: automatic,
	}, staff())).ID
}

func every(freq domain.Frequency, start domain.Date) domain.BillingRule {
	return domain.BillingRule{Frequency: freq, Start: domain.StartOnDate, StartDate: start, End: domain.EndNever}
}

func (f *fixture) head() uint64 {
	f.tb.Helper()
	h, err := f.store.Head(context.Background())
	if err != nil {
		f.tb.Fatal(err)
	}
	return h
}

func (f *fixture) MustRun(asOf domain.Date) billingrun.Report {
	f.tb.Helper()
	rep, err := billingrun.Run(context.Background(), f.store, f.svc, asOf, billingrun.Options{Index: f.index()})
	if err != nil {
		f.tb.Fatalf("billing run %s: %v", asOf, err)
	}
	for _, e := range rep.Errors {
		f.tb.Errorf("billing run %s: %v", asOf, e)
	}
	return rep
}

func (f *fixture) MustCollect(asOf domain.Date) billingrun.CollectReport {
	f.tb.Helper()
	rep, err := billingrun.Collect(context.Background(), f.store, f.svc, f.gw, asOf, billingrun.CollectOptions{Index: f.index()})
	if err != nil {
		f.tb.Fatalf("collect %s: %v", asOf, err)
	}
	for _, e := range rep.Errors {
		f.tb.Errorf("collect %s: %v", asOf, e)
	}
	return rep
}

func (f *fixture) charges() int {
	f.tb.Helper()
	cs, err := f.gw.Charges()
	if err != nil {
		f.tb.Fatal(err)
	}
	return len(cs)
}

// happenings describes the invoice events after position from, one line
// each, sorted: "issued Acme 2 lines", "collect Acme on 2025-03-01",
// "paid Acme", "rejected Acme card_declined", "retry Acme on 2025-03-08".
func (f *fixture) happenings(from uint64) []string {
	f.tb.Helper()
	recs, err := f.store.ReadAll(context.Background(), from+1, eventstore.Forward, 0, eventstore.Filter{StreamPrefixes: []string{"invoice-"}})
	if err != nil {
		f.tb.Fatal(err)
	}
	cat := catalog.New()
	var out []string
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			f.tb.Fatal(err)
		}
		switch e := e.(type) {
		case invoice.InvoiceIssued:
			f.clientOf[e.InvoiceID] = f.names[e.ClientID]
			out = append(out, fmt.Sprintf("issued %s %d lines", f.names[e.ClientID], len(e.Lines)))
		case invoice.InvoiceCollectionScheduled:
			out = append(out, fmt.Sprintf("collect %s on %s", f.clientOf[e.InvoiceID], e.Date))
		case invoice.InvoicePaymentSucceeded:
			out = append(out, fmt.Sprintf("paid %s", f.clientOf[e.InvoiceID]))
		case invoice.InvoicePaymentRejected:
			out = append(out, fmt.Sprintf("rejected %s %s", f.clientOf[e.InvoiceID], e.DeclineCode))
		case invoice.InvoiceRetryScheduled:
			out = append(out, fmt.Sprintf("retry %s on %s", f.clientOf[e.InvoiceID], e.Date))
		default:
			out = append(out, fmt.Sprintf("%s %s", r.Type, f.clientOf[invoiceOf(r.Stream)]))
		}
	}
	slices.Sort(out)
	return out
}

// billingrunSvc names a billing.Service of one simulated process.
type billingrunSvc struct{ *billing.Service }
