package journal_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/app/demo"
	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/eventstore/pii"
	"remit/eventstore/storeurl"
	"remit/formats/journal"
	"remit/projections"
)

// today is the demo's last day; the extra scenarios happen the day after.
var today = domain.MustDate(2026, 3, 15)

// world is a data folder holding the demo firm plus scenarios the demo does
// not play: invoices in USD and JPY with several tax rates and discounts, a
// rejected then successful collection, partial payments, a credit note
// followed by a void, two clients of the same name, and a client whose
// personal data was erased.
type world struct {
	dir   string
	store eventstore.Store

	usd, jpy, twin, erased uuid.UUID // clients
	multiRate              uuid.UUID // the USD invoice with three tax rates
	creditedThenVoided     uuid.UUID // a USD invoice credited, then voided
	yen                    uuid.UUID // the JPY invoice
	surcharged             uuid.UUID // an AUD invoice collected by card with a surcharge
}

var (
	worldOnce sync.Once
	worldDir  string
	worldErr  error
	worldIDs  world
)

// MustWorld builds the world once per test binary (the demo takes a few
// seconds) and opens it for the test; tests must not append to it.
func MustWorld(tb testing.TB) *world {
	tb.Helper()
	worldOnce.Do(func() {
		dir, err := os.MkdirTemp("", "journal-world-")
		if err != nil {
			worldErr = err
			return
		}
		worldDir = dir
		worldIDs, worldErr = buildWorld(dir)
	})
	if worldErr != nil {
		tb.Fatalf("build the world: %v", worldErr)
	}
	w := worldIDs
	w.dir = worldDir
	w.store = MustOpen(tb, worldDir)
	return &w
}

// MustOpen opens the data folder's store as the remit command does (its
// personal fields opened through the key store).
func MustOpen(tb testing.TB, dir string) eventstore.Store {
	tb.Helper()
	st, err := storeurl.Open(context.Background(), "", storeurl.Options{DataDir: dir})
	if err != nil {
		tb.Fatalf("open the store in %s: %v", dir, err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func TestMain(m *testing.M) {
	code := m.Run()
	if worldDir != "" {
		os.RemoveAll(worldDir)
	}
	os.Exit(code)
}

func buildWorld(dir string) (world, error) {
	ctx := context.Background()
	var w world
	st, err := storeurl.Open(ctx, "", storeurl.Options{DataDir: dir})
	if err != nil {
		return w, err
	}
	defer st.Close()
	if _, err := demo.Load(ctx, st, demo.Options{Today: today, Seed: 7, Clients: demo.MinClients}); err != nil {
		return w, err
	}
	loc, _ := time.LoadLocation(demo.FirmTimeZone)
	now := time.Date(2026, 3, 16, 10, 0, 0, 0, loc)
	svc := billing.New(billing.Config{Store: st, Now: func() time.Time { now = now.Add(time.Minute); return now }})
	meta := billing.Meta{Actor: "journal-test"}
	var firstErr error
	must := func(r billing.Result, err error) uuid.UUID {
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return r.ID
	}
	dec := decimal.RequireFromString
	newClient := func(name, currency string) uuid.UUID {
		return must(svc.CreateClient(ctx, billing.ClientRequest{
			Name: name, Kind: client.KindBusiness, Currency: currency,
			Contacts: []client.Contact{{Name: "Accounts at " + name, Email: "accounts@example.test"}},
			Address:  domain.Address{Line1: "1 Test St", Country: "NZ"},
		}, meta))
	}
	w.usd = newClient("Kiwi Exports Ltd", "USD")
	w.twin = newClient("Kiwi Exports Ltd", "AUD") // same name, another client
	w.jpy = newClient("Café Ōno", "JPY")
	w.erased = newClient("Erin Example Holdings", "AUD")

	// Three tax rates (10, 0 and 15 %), a percentage and an amount discount.
	w.multiRate = must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: w.usd, Lines: []billing.InstantLine{
		{Description: "Export compliance review", Quantity: dec("3"), UnitPrice: dec("133.33"), TaxRate: dec("10"), Discount: domain.Discount{Kind: domain.DiscountPercent, Value: dec("12.5")}},
		{Description: "Zero-rated export filing", Quantity: dec("1"), UnitPrice: dec("250"), TaxRate: dec("0")},
		{Description: "Advisory hours", Quantity: dec("2.5"), UnitPrice: dec("99.99"), TaxRate: dec("15"), Discount: domain.Discount{Kind: domain.DiscountAmount, Value: dec("20")}},
	}}, meta))
	// Rejected, then collected in part; part paid by transfer; a credit note.
	must(svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: w.multiRate, Outcome: invoice.AttemptRejected, DeclineCode: "insufficient_funds", DeclineMessage: "Insufficient funds"}, meta))
	must(svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: w.multiRate, Outcome: invoice.AttemptSucceeded, GatewayReference: "ch_test_1", Amount: dec("200.00")}, meta))
	must(svc.RecordOfflinePayment(ctx, billing.InvoiceRequest{InvoiceID: w.multiRate, Method: invoice.PaidByBankTransfer, Reference: "TT 4471", Amount: dec("150.00"), Date: domain.MustDate(2026, 3, 16)}, meta))
	must(svc.IssueCreditNote(ctx, billing.InvoiceRequest{InvoiceID: w.multiRate, Amount: dec("33.33"), Reason: "Goodwill"}, meta))

	// Credited, then voided: the void reverses only what is still booked.
	w.creditedThenVoided = must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: w.usd, Lines: []billing.InstantLine{
		{Description: "Duplicate filing", Quantity: dec("1"), UnitPrice: dec("99.99"), TaxRate: dec("15")},
	}}, meta))
	must(svc.IssueCreditNote(ctx, billing.InvoiceRequest{InvoiceID: w.creditedThenVoided, Amount: dec("10.01"), Reason: "Partly duplicated"}, meta))
	must(svc.VoidInvoice(ctx, billing.InvoiceRequest{InvoiceID: w.creditedThenVoided, Reason: "Issued twice"}, meta))

	// Yen have no minor units; paid in part by cash.
	w.yen = must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: w.jpy, Lines: []billing.InstantLine{
		{Description: "Tokyo office set-up", Quantity: dec("1"), UnitPrice: dec("123457"), TaxRate: dec("10")},
	}}, meta))
	must(svc.RecordOfflinePayment(ctx, billing.InvoiceRequest{InvoiceID: w.yen, Method: invoice.PaidByCash, Amount: dec("50000")}, meta))

	// The twin owes in AUD; paid by "other" in part.
	twinInv := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: w.twin, Lines: []billing.InstantLine{
		{Description: "Bookkeeping", Quantity: dec("1"), UnitPrice: dec("400"), TaxRate: dec("10")},
	}}, meta))
	must(svc.RecordOfflinePayment(ctx, billing.InvoiceRequest{InvoiceID: twinInv, Method: invoice.PaidByOther, Amount: dec("40")}, meta))

	// A card collection with a 1.5 % surcharge: 220.00 + 3.30 + 0.33 tax.
	w.surcharged = must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: w.twin, Lines: []billing.InstantLine{
		{Description: "Payroll", Quantity: dec("1"), UnitPrice: dec("200"), TaxRate: dec("10")},
	}}, meta))
	must(svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: w.surcharged, Outcome: invoice.AttemptSucceeded, GatewayReference: "ch_test_sur",
		Amount: dec("223.63"), Surcharge: &invoice.Surcharge{Kind: invoice.SurchargeCard, Percent: dec("1.5"), TaxRate: dec("10")}}, meta))

	// The erased client: billed, paid in part, then forgotten.
	erasedInv := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: w.erased, Lines: []billing.InstantLine{
		{Description: "Wind-up accounts", Quantity: dec("1"), UnitPrice: dec("1200"), TaxRate: dec("10")},
	}}, meta))
	must(svc.RecordOfflinePayment(ctx, billing.InvoiceRequest{InvoiceID: erasedInv, Method: invoice.PaidByCheque, Amount: dec("300")}, meta))
	if firstErr != nil {
		return w, firstErr
	}
	keys, err := pii.OpenKeyStore(dir)
	if err != nil {
		return w, err
	}
	defer keys.Close()
	return w, keys.Forget(w.erased)
}

// MustBuild builds the journal of the world.
func MustBuild(tb testing.TB, st eventstore.Store, opts journal.Options) *journal.Journal {
	tb.Helper()
	j, err := journal.Build(context.Background(), st, opts)
	if err != nil {
		tb.Fatalf("build: %v", err)
	}
	return j
}

// MustWrite writes the journal to a file in a fresh folder.
func MustWrite(tb testing.TB, j *journal.Journal, f journal.Format) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "books."+string(f))
	var b bytes.Buffer
	if err := j.Write(&b, f); err != nil {
		tb.Fatalf("write %s: %v", f, err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// MustModels replays the log into fresh read models.
func MustModels(tb testing.TB, st eventstore.Store) *projections.Models {
	tb.Helper()
	m, _, err := projections.BuildAsOf(context.Background(), st, projections.Bound{})
	if err != nil {
		tb.Fatalf("replay: %v", err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

// MustCheck is j.Check(m), failing the test if the read models cannot be
// read.
func MustCheck(tb testing.TB, j *journal.Journal, m *projections.Models) []string {
	tb.Helper()
	diffs, err := j.Check(context.Background(), m)
	if err != nil {
		tb.Fatalf("check: %v", err)
	}
	return diffs
}

// need fails the test when a peer program is missing.
func need(tb testing.TB, program string) {
	tb.Helper()
	if _, err := exec.LookPath(program); err != nil {
		tb.Fatalf("%s is not installed: scripts/test.sh installs it (apt-get install -y %s)", program, map[string]string{"hledger": "hledger", "bean-check": "beancount"}[program])
	}
}

// run runs a program and returns its combined output and whether it exited 0.
func run(tb testing.TB, name string, args ...string) (string, bool) {
	tb.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			tb.Fatalf("run %s: %v", name, err)
		}
		return string(out), false
	}
	return string(out), true
}

// hledgerBalances runs `hledger balance assets:receivable` on the file and
// returns each account's balance per commodity.
func hledgerBalances(tb testing.TB, path string) map[string]map[string]decimal.Decimal {
	tb.Helper()
	out, ok := run(tb, "hledger", "-f", path, "balance", "assets:receivable", "--flat", "--no-total", "--empty", "-O", "csv", "--layout=bare")
	if !ok {
		tb.Fatalf("hledger balance failed:\n%s", out)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		tb.Fatalf("hledger's CSV: %v\n%s", err, out)
	}
	got := map[string]map[string]decimal.Decimal{}
	for _, r := range rows[1:] { // "account","commodity","balance"
		if len(r) != 3 {
			tb.Fatalf("unexpected hledger row %q", r)
		}
		if got[r[0]] == nil {
			got[r[0]] = map[string]decimal.Decimal{}
		}
		got[r[0]][r[1]] = decimal.RequireFromString(r[2])
	}
	return got
}
