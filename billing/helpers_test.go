package billing_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/decidertest"
	"remit/eventstore"
	"remit/eventstore/sqlite"
)

// fixture is a Service on a real embedded store with a clock tests move and
// ids they can predict.
type fixture struct {
	tb    testing.TB
	dir   string
	store *sqlite.Store
	svc   *billing.Service
	clk   *testClock
}

// testClock is the injected clock and id source, shared by a fixture's views.
type testClock struct {
	mu  sync.Mutex
	now time.Time
	ids atomic.Uint64
}

// in returns a view of f that reports failures to t (a subtest).
func (f *fixture) in(t testing.TB) *fixture {
	return &fixture{tb: t, dir: f.dir, store: f.store, svc: f.svc, clk: f.clk}
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{tb: tb, dir: tb.TempDir(), clk: &testClock{now: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)}}
	f.open()
	tb.Cleanup(func() { f.store.Close() })
	return f
}

func (f *fixture) open() {
	f.tb.Helper()
	st, err := sqlite.Open(f.dir, sqlite.Options{})
	if err != nil {
		f.tb.Fatalf("open store: %v", err)
	}
	f.store = st
	f.svc = billing.New(billing.Config{Store: st, Now: f.clock, NewID: f.newID})
}

// reopen closes the store and opens it again with a fresh Service, as after
// a restart.
func (f *fixture) reopen() {
	f.tb.Helper()
	if err := f.store.Close(); err != nil {
		f.tb.Fatalf("close: %v", err)
	}
	f.open()
}

func (f *fixture) clock() time.Time {
	f.clk.mu.Lock()
	defer f.clk.mu.Unlock()
	return f.clk.now
}

func (f *fixture) advance(d time.Duration) {
	f.clk.mu.Lock()
	defer f.clk.mu.Unlock()
	f.clk.now = f.clk.now.Add(d)
}

func (f *fixture) newID() uuid.UUID {
	n := f.clk.ids.Add(1)
	return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "test-id-%d", n))
}

func (f *fixture) head() uint64 {
	f.tb.Helper()
	h, err := f.store.Head(context.Background())
	if err != nil {
		f.tb.Fatalf("head: %v", err)
	}
	return h
}

func meta(cmd string) billing.Meta {
	return billing.Meta{Actor: "staff@firm.test", CommandID: cmd, CorrelationID: "corr-" + cmd}
}

// ok fails the test when a command failed.
func (f *fixture) ok(res billing.Result, err error) billing.Result {
	f.tb.Helper()
	if err != nil {
		f.tb.Fatalf("command failed: %v", err)
	}
	return res
}

// refused asserts err has the code and that nothing was appended since head.
func (f *fixture) refused(err error, code string, head uint64) {
	f.tb.Helper()
	if err == nil {
		f.tb.Fatalf("command succeeded, want %s", code)
	}
	if got := domain.ErrorCode(err); got != code {
		f.tb.Fatalf("error code %q (%v), want %q", got, err, code)
	}
	if h := f.head(); h != head {
		f.tb.Fatalf("store head moved from %d to %d on a refused command", head, h)
	}
}

var dec = decidertest.Dec

func (f *fixture) mustSetUpFirm() {
	f.tb.Helper()
	f.ok(f.svc.SetUpFirm(context.Background(), billing.SetUpFirmRequest{
		Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14,
		Address: domain.Address{Line1: "1 George St", City: "Sydney", Country: "AU"},
	}, meta("firm-setup")))
}

func (f *fixture) mustCreateClient(name string) uuid.UUID {
	f.tb.Helper()
	res := f.ok(f.svc.CreateClient(context.Background(), billing.ClientRequest{
		Name: name, Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Alice " + name, Email: "alice@" + "client.test"}},
	}, meta("create-"+name)))
	return res.ID
}

func visa() client.PaymentMethodDetails {
	return client.PaymentMethodDetails{Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: "tok_visa",
		Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2030}
}

func monthly(start domain.Date) domain.BillingRule {
	return domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnDate, StartDate: start, End: domain.EndNever}
}

func (f *fixture) mustActivate(clientID uuid.UUID, name string, automatic bool) uuid.UUID {
	f.tb.Helper()
	res := f.ok(f.svc.ActivateService(context.Background(), billing.ServiceRequest{
		ClientID: clientID, Name: name, UnitPrice: dec("100"), Quantity: dec("1"), TaxRate: dec("10"),
		BillingRule: monthly(monthStart), Automatic: automatic,
	}, meta("activate-"+name)))
	return res.ID
}

// events reads every event of the store.
func (f *fixture) events() []eventstore.RecordedEvent {
	f.tb.Helper()
	recs, err := f.store.ReadAll(context.Background(), 0, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		f.tb.Fatalf("read all: %v", err)
	}
	return recs
}

// checkMetadata asserts every event records who and why.
func (f *fixture) checkMetadata() {
	f.tb.Helper()
	for _, r := range f.events() {
		m := r.Metadata
		if m.Actor == "" || m.CommandID == "" || m.CorrelationID == "" || m.CausationID == "" {
			f.tb.Errorf("%s@%d %s: incomplete metadata %+v", r.Stream, r.Revision, r.Type, m)
		}
	}
}

var monthStart = domain.MustDate(2025, 3, 1)
