package ledgersync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/integrations/accounting"
	"remit/processes/ledgersync"
	"remit/projections"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	t        *testing.T
	store    eventstore.Store
	dir      string
	svc      *billing.Service
	clk      *clock
	clientID uuid.UUID
	xero     *recordingLedger
	n        int
}

var sydney, _ = time.LoadLocation("Australia/Sydney")

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, store: st, dir: dir, clk: &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, sydney)}, xero: newLedger("xero")}
	f.svc = billing.New(billing.Config{Store: st, Now: f.clk.Now})
	f.ok(f.svc.SetUpFirm(context.Background(), billing.SetUpFirmRequest{
		Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14,
		Address: domain.Address{Line1: "1 George St", City: "Sydney", Country: "AU"},
	}, f.meta()))
	ana := uuid.New()
	res := f.ok(f.svc.CreateClient(context.Background(), billing.ClientRequest{
		Name: "Harbour Cafe", Kind: client.KindBusiness, TaxNumber: "ABN 98 765 432 109",
		Contacts: []client.Contact{{ID: ana, Name: "Ana Lima", Email: "ana@harbour.example"}}, PrimaryContactID: ana,
	}, f.meta()))
	f.clientID = res.ID
	return f
}

func (f *fixture) meta() billing.Meta {
	f.n++
	return billing.Meta{Actor: "staff@ledger.example", CommandID: fmt.Sprintf("cmd-%d", f.n)}
}

func (f *fixture) ok(res billing.Result, err error) billing.Result {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("command failed: %v", err)
	}
	return res
}

func mapping() ledger.Mapping {
	return ledger.Mapping{RevenueAccount: "200", ClearingAccount: "610", WriteOffAccount: "684", TaxTypes: map[string]string{"10": "OUTPUT", "0": "EXEMPTOUTPUT"}}
}

// connect connects Xero; history pushes the invoices issued before too.
func (f *fixture) connect(history bool) {
	f.t.Helper()
	f.ok(ledgersync.Connect(context.Background(), f.store, f.dir, ledgersync.ConnectRequest{
		Provider: "xero", TenantID: "tenant-1", Mapping: mapping(), History: history, Now: f.clk.Now(),
		Secrets: ledgersync.Secrets{ClientID: "app-1", ClientSecret: "s3cret"},
	}, f.meta()))
}

func (f *fixture) sync(l accounting.Ledger) *ledgersync.Sync {
	f.t.Helper()
	return f.syncOn(f.store, l)
}

func (f *fixture) syncOn(st eventstore.Store, l accounting.Ledger) *ledgersync.Sync {
	f.t.Helper()
	s, err := ledgersync.Open(ledgersync.Config{Store: st, DataDir: f.dir, Now: f.clk.Now, Ledgers: map[string]accounting.Ledger{"xero": l},
		BaseDelay: time.Minute, MaxDelay: time.Hour})
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) catchUp(s *ledgersync.Sync) {
	f.t.Helper()
	if err := s.CatchUp(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) tick(s *ledgersync.Sync) {
	f.t.Helper()
	if err := s.Tick(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

// issue issues a 1,100.00 AUD invoice (two lines at 10 % tax).
func (f *fixture) issue() uuid.UUID {
	f.t.Helper()
	return f.ok(f.svc.IssueInvoice(context.Background(), billing.IssueInvoiceRequest{
		ClientID: f.clientID,
		Lines: []billing.InstantLine{
			{Description: "Monthly bookkeeping", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(800), TaxRate: decimal.NewFromInt(10)},
			{Description: "Payroll runs", Quantity: decimal.NewFromInt(4), UnitPrice: decimal.NewFromInt(50), TaxRate: decimal.NewFromInt(10)},
		},
	}, f.meta())).ID
}

func (f *fixture) pay(id uuid.UUID, amount string) uuid.UUID {
	f.t.Helper()
	return f.ok(f.svc.RecordOfflinePayment(context.Background(), billing.InvoiceRequest{InvoiceID: id, Amount: decimal.RequireFromString(amount),
		Date: domain.MustDate(2026, 3, 3), Method: invoice.PaidByBankTransfer, Reference: "EFT 991"}, f.meta())).ID
}

func (f *fixture) credit(id uuid.UUID, amount string) {
	f.t.Helper()
	f.ok(f.svc.IssueCreditNote(context.Background(), billing.InvoiceRequest{InvoiceID: id, Amount: decimal.RequireFromString(amount), Reason: "goodwill"}, f.meta()))
}

// events returns the ledger events of a type, decoded.
func events[E domain.Event](f *fixture) []E {
	f.t.Helper()
	typ := (*new(E)).EventType()
	recs, err := f.store.ReadAll(context.Background(), 0, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{typ}})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []E
	for _, r := range recs {
		var e E
		if err := json.Unmarshal(r.Data, &e); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func (f *fixture) reconcile() ledgersync.Report {
	f.t.Helper()
	rep, err := ledgersync.Reconcile(context.Background(), f.store)
	if err != nil {
		f.t.Fatal(err)
	}
	return rep
}

// status is the invoice's ledger status as the invoice detail shows it.
func (f *fixture) status(id uuid.UUID) projections.InvoiceLedger {
	f.t.Helper()
	m, _, err := projections.BuildAsOf(context.Background(), f.store, projections.Bound{})
	if err != nil {
		f.t.Fatal(err)
	}
	defer m.Close()
	d, err := m.Invoice(context.Background(), id, domain.MustDate(2026, 3, 2))
	if err != nil {
		f.t.Fatal(err)
	}
	return d.Ledger
}

func TestPushesEachThingOnceThroughReplayAndRestart(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	inv := f.issue()
	paymentID := f.pay(inv, "500")
	f.credit(inv, "110")

	s := f.sync(f.xero)
	f.catchUp(s)
	if f.xero.count("invoice") != 1 || f.xero.count("payment") != 1 || f.xero.count("credit_note") != 1 {
		t.Fatalf("ledger holds %v", f.xero.docs)
	}
	d, _ := f.xero.get("invoice", inv)
	if d.invoice.Total.String() != "AUD 1100.00" || d.invoice.Contact.Name != "Harbour Cafe" || d.invoice.Contact.Email != "ana@harbour.example" ||
		d.invoice.Lines[0].AccountCode != "200" || d.invoice.Lines[0].TaxType != "OUTPUT" || !d.invoice.Lines[0].TaxRate.Equal(decimal.RequireFromString("0.1")) {
		t.Errorf("invoice pushed as %+v", d.invoice)
	}
	p, _ := f.xero.get("payment", paymentID)
	if p.payment.AccountCode != "610" || p.payment.Amount.String() != "AUD 500.00" || p.payment.InvoiceLedgerID == "" || p.payment.Reference != "EFT 991" {
		t.Errorf("payment pushed as %+v", p.payment)
	}
	for _, cn := range f.xero.docs {
		if cn.kind == "credit_note" && (cn.credit.Total.String() != "AUD 110.00" || cn.credit.Tax.String() != "AUD 10.00" || cn.credit.Lines[0].TaxType != "OUTPUT") {
			t.Errorf("credit note pushed as %+v", cn.credit)
		}
	}
	if n := len(events[ledger.LedgerPushSucceeded](f)); n != 3 {
		t.Fatalf("%d LedgerPushSucceeded, want 3", n)
	}

	// The same process again, then a restarted one: nothing new is pushed
	// or recorded.
	f.tick(s)
	again := f.sync(f.xero)
	f.catchUp(again)
	f.tick(again)
	if calls := f.xero.callCount("invoice") + f.xero.callCount("payment") + f.xero.callCount("credit_note"); calls != 3 {
		t.Errorf("the ledger was called %d times, want 3", calls)
	}
	if n := len(events[ledger.LedgerPushSucceeded](f)); n != 3 {
		t.Errorf("%d LedgerPushSucceeded after a restart, want 3", n)
	}
	if rep := f.reconcile(); !rep.OK() || rep.Invoices != 1 || rep.Pushes != 3 {
		t.Errorf("reconcile = %+v", rep)
	}
	if st := f.status(inv); st.Status != projections.LedgerSynced || st.Providers[0].LedgerID != d.ledgerID || st.Providers[0].Pushed != 3 {
		t.Errorf("status = %+v", st)
	}
}

func TestHistoryIsNotPushedUnlessAsked(t *testing.T) {
	f := newFixture(t)
	old := f.issue()
	f.connect(false)
	fresh := f.issue()
	s := f.sync(f.xero)
	f.catchUp(s)
	if _, ok := f.xero.get("invoice", old); ok {
		t.Error("an invoice issued before connecting was pushed")
	}
	if _, ok := f.xero.get("invoice", fresh); !ok {
		t.Error("an invoice issued after connecting was not pushed")
	}
	if st := f.status(old); st.Status != projections.LedgerBeforeConnection {
		t.Errorf("old invoice status = %+v", st)
	}
	// A payment on the old invoice is not pushed either (its invoice is not there).
	f.pay(old, "100")
	f.tick(s)
	if f.xero.callCount("payment") != 0 {
		t.Error("a payment of an invoice outside the scope was pushed")
	}
	if rep := f.reconcile(); !rep.OK() || rep.Invoices != 1 {
		t.Errorf("reconcile = %+v", rep)
	}
}

func TestPaymentWaitsForItsInvoiceAndTemporaryFailuresBackOff(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	f.xero.failNext(&accounting.Error{Temporary: true, Status: 503, Message: "Service Unavailable"},
		&accounting.Error{Temporary: true, Status: 429, Message: "rate limited", RetryAfter: 90 * time.Second})
	inv := f.issue()
	f.pay(inv, "1100")
	s := f.sync(f.xero)
	f.catchUp(s)

	failed := events[ledger.LedgerPushFailed](f)
	if len(failed) != 1 || !failed[0].Temporary || failed[0].Attempt != 1 || !failed[0].RetryAt.Equal(f.clk.Now().Add(time.Minute)) || failed[0].Reason != "503: Service Unavailable" {
		t.Fatalf("after the first failure: %+v", failed)
	}
	if f.xero.callCount("payment") != 0 {
		t.Fatal("the payment was pushed before its invoice")
	}
	if st := f.status(inv); st.Status != projections.LedgerRetryQueued || !st.Providers[0].RetryAt.Equal(failed[0].RetryAt) || st.Providers[0].Reason == "" {
		t.Errorf("status = %+v", st)
	}

	f.tick(s) // not due yet
	if f.xero.callCount("invoice") != 1 {
		t.Fatalf("retried before its time: %d calls", f.xero.callCount("invoice"))
	}
	f.clk.add(time.Minute)
	f.tick(s) // due: 429 with Retry-After
	failed = events[ledger.LedgerPushFailed](f)
	if len(failed) != 2 || failed[1].Attempt != 2 || !failed[1].RetryAt.Equal(f.clk.Now().Add(90*time.Second)) {
		t.Fatalf("after the second failure: %+v", failed)
	}
	f.clk.add(90 * time.Second)
	f.tick(s)
	if f.xero.count("invoice") != 1 || f.xero.count("payment") != 1 {
		t.Fatalf("after the retry: %v", f.xero.docs)
	}
	ok := events[ledger.LedgerPushSucceeded](f)
	if len(ok) != 2 || ok[0].Kind != ledger.KindInvoice || ok[0].Attempt != 3 || ok[1].Kind != ledger.KindPayment || ok[1].InvoiceLedgerID != ok[0].LedgerID {
		t.Errorf("successes: %+v", ok)
	}
	if st := f.status(inv); st.Status != projections.LedgerSynced {
		t.Errorf("status = %+v", st)
	}
	if rep := f.reconcile(); !rep.OK() {
		t.Errorf("reconcile = %+v", rep)
	}
}

func TestPermanentFailureWaitsForStaffThenRecreate(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	f.xero.failNext(&accounting.Error{Status: 400, Message: "Account code '200' has been archived"})
	inv := f.issue()
	s := f.sync(f.xero)
	f.catchUp(s)
	failed := events[ledger.LedgerPushFailed](f)
	if len(failed) != 1 || failed[0].Temporary || !failed[0].RetryAt.IsZero() {
		t.Fatalf("failure = %+v", failed)
	}
	st := f.status(inv)
	if st.Status != projections.LedgerFailed || !strings.Contains(st.Providers[0].Reason, "archived") {
		t.Errorf("status = %+v", st)
	}
	f.clk.add(24 * time.Hour)
	f.tick(s)
	if f.xero.callCount("invoice") != 1 {
		t.Fatal("a permanent failure was retried without staff")
	}
	if rep := f.reconcile(); rep.OK() || !strings.Contains(strings.Join(rep.Differences, "\n"), "failed: 400: Account code '200' has been archived") {
		t.Errorf("reconcile = %+v", rep)
	}

	f.ok(ledgersync.RequestRecreate(context.Background(), f.store, ledgersync.RecreateRequest{InvoiceID: inv, Reason: "account restored", Now: f.clk.Now()}, f.meta()))
	f.tick(s)
	if f.xero.count("invoice") != 1 {
		t.Fatalf("after re-create: %v", f.xero.docs)
	}
	if _, ok := f.xero.get("invoice", ledger.DocumentID(inv, 1)); !ok {
		t.Error("the re-created invoice does not carry its generation's document id")
	}
	if st := f.status(inv); st.Status != projections.LedgerSynced || st.Providers[0].Generation != 1 {
		t.Errorf("status = %+v", st)
	}
	if rep := f.reconcile(); !rep.OK() {
		t.Errorf("reconcile = %+v", rep)
	}
}

func TestRecreatePushesASyncedInvoiceAgain(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	inv := f.issue()
	f.pay(inv, "100")
	s := f.sync(f.xero)
	f.catchUp(s)
	f.ok(ledgersync.RequestRecreate(context.Background(), f.store, ledgersync.RecreateRequest{InvoiceID: inv, Provider: "xero", Reason: "deleted in Xero", Now: f.clk.Now()}, f.meta()))
	f.tick(s)
	if f.xero.count("invoice") != 2 || f.xero.count("payment") != 2 {
		t.Fatalf("after re-create the ledger holds %d invoices and %d payments, want 2 of each", f.xero.count("invoice"), f.xero.count("payment"))
	}
	ok := events[ledger.LedgerPushSucceeded](f)
	if len(ok) != 4 || ok[2].Generation != 1 || ok[3].InvoiceLedgerID != ok[2].LedgerID || ok[2].LedgerID == ok[0].LedgerID {
		t.Errorf("successes: %+v", ok)
	}
	if rep := f.reconcile(); !rep.OK() {
		t.Errorf("reconcile = %+v", rep)
	}
	// Bad requests append nothing.
	head, _ := f.store.Head(context.Background())
	if _, err := ledgersync.RequestRecreate(context.Background(), f.store, ledgersync.RecreateRequest{InvoiceID: uuid.New(), Now: f.clk.Now()}, f.meta()); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown invoice: %v", err)
	}
	if _, err := ledgersync.RequestRecreate(context.Background(), f.store, ledgersync.RecreateRequest{InvoiceID: inv, Provider: "qbo", Reason: "x", Now: f.clk.Now()}, f.meta()); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("unconnected provider: %v", err)
	}
	if after, _ := f.store.Head(context.Background()); after != head {
		t.Error("refused requests appended events")
	}
}

// failingStore refuses appends to ledger streams while broken: the process
// dies between the ledger's answer and recording it.
type failingStore struct {
	eventstore.Store
	broken bool
}

func (s *failingStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if s.broken && strings.HasPrefix(stream, "ledger-") {
		return eventstore.AppendResult{}, errors.New("disk gone")
	}
	return s.Store.Append(ctx, stream, expected, events...)
}

func TestCrashBetweenPushAndRecordFindsTheDocumentOnRetry(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	inv := f.issue()
	broken := &failingStore{Store: f.store, broken: true}
	crashed := f.syncOn(broken, f.xero)
	f.catchUp(crashed)
	if f.xero.count("invoice") != 1 || len(events[ledger.LedgerPushSucceeded](f)) != 0 {
		t.Fatalf("setup: the push should be in the ledger and not recorded")
	}
	restarted := f.sync(f.xero)
	f.catchUp(restarted)
	ok := events[ledger.LedgerPushSucceeded](f)
	if f.xero.count("invoice") != 1 || len(ok) != 1 || !ok[0].Existing {
		t.Fatalf("after the restart: %d invoices in the ledger, successes %+v", f.xero.count("invoice"), ok)
	}

	// A timeout after the ledger committed: recorded as temporary, and the
	// retry finds the document.
	f.xero.failAfterCreate = &accounting.Error{Temporary: true, Message: "timeout"}
	pay := f.pay(inv, "1100")
	f.tick(restarted)
	f.clk.add(time.Minute)
	f.tick(restarted)
	ok = events[ledger.LedgerPushSucceeded](f)
	if f.xero.count("payment") != 1 || len(ok) != 2 || !ok[1].Existing || ok[1].Attempt != 2 {
		t.Fatalf("payment %s: %d in the ledger, successes %+v", pay, f.xero.count("payment"), ok)
	}
	if rep := f.reconcile(); !rep.OK() {
		t.Errorf("reconcile = %+v", rep)
	}
}

func TestTwoSyncsAtOnceRecordEachPushOnce(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	for range 5 {
		inv := f.issue()
		f.pay(inv, "100")
	}
	a, b := f.sync(f.xero), f.sync(f.xero)
	var wg sync.WaitGroup
	for _, s := range []*ledgersync.Sync{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.CatchUp(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	f.tick(a)
	f.tick(b)
	ok := events[ledger.LedgerPushSucceeded](f)
	seen := map[uuid.UUID]bool{}
	for _, e := range ok {
		if seen[e.PushID] {
			t.Errorf("push %s recorded twice", e.PushID)
		}
		seen[e.PushID] = true
	}
	if len(ok) != 10 || f.xero.count("invoice") != 5 || f.xero.count("payment") != 5 {
		t.Errorf("%d successes; ledger holds %d invoices, %d payments", len(ok), f.xero.count("invoice"), f.xero.count("payment"))
	}
	if rep := f.reconcile(); !rep.OK() {
		t.Errorf("reconcile = %+v", rep)
	}
}

func TestReconcileFindsMissingMismatchedAndDoublePushes(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	pushed := f.issue()
	s := f.sync(f.xero)
	f.catchUp(s)
	missing := f.issue() // never pushed: no process runs

	ok := events[ledger.LedgerPushSucceeded](f)[0]
	// A second acknowledgement in the same push stream (a buggy writer that
	// ignored the expected revision) with another amount.
	forged := ok
	forged.Amount = domain.MustMoney("1000", "AUD")
	forged.Attempt = 2
	data, _ := json.Marshal(forged)
	if _, err := f.store.Append(context.Background(), ledger.StreamName(ok.PushID), eventstore.Any, eventstore.EventData{
		ID: uuid.New(), Type: "LedgerPushSucceeded", Data: data, Metadata: eventstore.Metadata{Actor: "test"},
	}); err != nil {
		t.Fatal(err)
	}
	rep := f.reconcile()
	all := strings.Join(rep.Differences, "\n")
	for _, want := range []string{"never pushed", "acknowledged 2 times", "amounts differ: Remit AUD 1100.00, the ledger acknowledged AUD 1000.00"} {
		if !strings.Contains(all, want) {
			t.Errorf("differences lack %q:\n%s", want, all)
		}
	}
	if len(rep.Differences) != 3 {
		t.Errorf("differences:\n%s", all)
	}
	_ = pushed
	_ = missing

	// The daily run records its result once per day.
	for range 2 {
		if _, err := s.ReconcileNow(context.Background(), "daily/2026-03-02"); err != nil {
			t.Fatal(err)
		}
	}
	runs := events[ledger.LedgerReconciled](f)
	if len(runs) != 1 || runs[0].Differences != 3 || !strings.Contains(runs[0].Summary, "never pushed") {
		t.Errorf("recorded runs: %+v", runs)
	}
}

func TestStartFollowsTheLog(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	s := f.sync(f.xero)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inv := f.issue()
	res := f.ok(f.svc.RecordOfflinePayment(context.Background(), billing.InvoiceRequest{InvoiceID: inv, Amount: decimal.NewFromInt(1100),
		Date: domain.MustDate(2026, 3, 3), Method: invoice.PaidByCash}, f.meta()))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitFor(ctx, res.Position); err != nil {
		t.Fatal(err)
	}
	if f.xero.count("invoice") != 1 || f.xero.count("payment") != 1 {
		t.Errorf("ledger holds %v", f.xero.docs)
	}
}

func TestSecretsStayOutOfTheLog(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	fi, err := os.Stat(filepath.Join(f.dir, "ledger", "xero.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secrets file mode %o, want 600", fi.Mode().Perm())
	}
	recs, err := f.store.ReadAll(context.Background(), 0, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if strings.Contains(string(r.Data), "s3cret") {
			t.Errorf("%s holds the client secret", r.Type)
		}
	}
	sec, err := ledgersync.NewSecretStore(f.dir).Load("xero")
	if err != nil || sec.ClientSecret != "s3cret" || sec.ClientID != "app-1" {
		t.Errorf("secrets = %+v, %v", sec, err)
	}
	// A refused connection (another tenant while connected) leaves them as they are.
	_, err = ledgersync.Connect(context.Background(), f.store, f.dir, ledgersync.ConnectRequest{Provider: "xero", TenantID: "tenant-2", Mapping: mapping(),
		Secrets: ledgersync.Secrets{ClientID: "other", ClientSecret: "other"}, Now: f.clk.Now()}, f.meta())
	if domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("another tenant: %v", err)
	}
	if sec, _ := ledgersync.NewSecretStore(f.dir).Load("xero"); sec.ClientSecret != "s3cret" {
		t.Error("a refused connection changed the secrets")
	}
}

// TestGatewayPaymentPushedOnItsDate: a payment collected by a run as of a
// later date is pushed to the ledger dated on that date, not on the day it
// was recorded.
func TestGatewayPaymentPushedOnItsDate(t *testing.T) {
	f := newFixture(t)
	f.connect(true)
	inv := f.issue()
	attempt := f.ok(f.svc.RecordCollectionAttempt(context.Background(), billing.InvoiceRequest{InvoiceID: inv, Outcome: invoice.AttemptSucceeded,
		GatewayReference: "ch_1", Amount: decimal.NewFromInt(1100), Date: domain.MustDate(2026, 3, 9)}, f.meta())).ID
	s := f.sync(f.xero)
	f.catchUp(s)
	p, ok := f.xero.get("payment", attempt)
	if !ok || p.payment.Date != domain.MustDate(2026, 3, 9) || p.payment.Reference != "ch_1" {
		t.Errorf("payment pushed as %+v (%v), want dated 2026-03-09", p.payment, ok)
	}
}

// readsFrom is a store that records where each read of the whole log
// starts.
type readsFrom struct {
	eventstore.Store
	mu    sync.Mutex
	froms []uint64
}

func (s *readsFrom) ReadAll(ctx context.Context, from uint64, dir eventstore.Direction, limit int, f eventstore.Filter) ([]eventstore.RecordedEvent, error) {
	s.mu.Lock()
	s.froms = append(s.froms, from)
	s.mu.Unlock()
	return s.Store.ReadAll(ctx, from, dir, limit, f)
}

func (s *readsFrom) reads() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.froms)
}

// TestNothingConnectedReadsNoHistory: on a store no ledger was ever
// connected to, a start reads none of the log (and holds none of it); the
// first connection, made while it runs, wakes it, and it pushes exactly
// what a process started after the connection would: with --history, the
// invoices issued before it too, each once.
func TestNothingConnectedReadsNoHistory(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	old := f.issue()
	f.pay(old, "100")
	head, _ := f.store.Head(ctx)
	st := &readsFrom{Store: f.store}
	s := f.syncOn(st, f.xero)
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.WaitFor(wctx, head); err != nil {
		t.Fatal(err)
	}
	f.tick(s)
	for _, from := range st.reads() {
		if from < head {
			t.Fatalf("with no ledger connected it read the log from position %d (head %d); reads: %v", from, head, st.reads())
		}
	}

	f.connect(true)
	fresh := f.issue()
	pos, _ := f.store.Head(ctx)
	if err := s.WaitFor(wctx, pos); err != nil {
		t.Fatal(err)
	}
	f.tick(s)
	f.tick(s)
	if _, ok := f.xero.get("invoice", old); !ok {
		t.Error("the invoice issued before connecting with history was not pushed")
	}
	if _, ok := f.xero.get("invoice", fresh); !ok {
		t.Error("the invoice issued after connecting was not pushed")
	}
	if f.xero.count("invoice") != 2 || f.xero.count("payment") != 1 {
		t.Errorf("ledger holds %v; want the two invoices and the payment, once each", f.xero.docs)
	}
	if rep := f.reconcile(); !rep.OK() {
		t.Errorf("reconcile = %+v", rep)
	}
}
