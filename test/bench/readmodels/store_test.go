package readmodels

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/app/demo"
	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/integrations/payments/sandbox"
	"remit/processes/billingrun"
	"remit/processes/payouts"
)

var (
	flagEvents = flag.Int("readmodels.events", 1_000_000, "events in the benchmark store (at least this many; 100000 for a quick run)")
	flagStore  = flag.String("readmodels.store", "", "keep the built store in this folder and reuse it when it holds a log (a 1,000,000-event store takes tens of minutes to build on 2 cores)")
)

// calendar is the fixture's: the bulk is billed on the first of each of
// months months, the last being this month, and collected on the fifth
// (the last: today at the latest), so that `remit serve` started on the
// store (which bills and collects what is due on the real today) finds
// almost nothing left to do. The demo firm's year of history ends the day
// before the first month.
func calendar(months int) (demoToday, first domain.Date) {
	loc, _ := time.LoadLocation(demo.FirmTimeZone)
	now := domain.DateOf(time.Now(), loc)
	last := domain.MustDate(now.Year(), now.Month(), 1)
	if now.Day() < collectDay {
		last = last.AddMonthsClamped(-1, 1)
	}
	first = last.AddMonthsClamped(-(months - 1), 1)
	return first.AddDays(-1), first
}

// collectDay is the day of the month the builder collects payments on.
const collectDay = 5

const (
	// bigServices monthly services give the big client bigServices
	// invoices a month (the firm is switched to one invoice per item), so
	// twelve months give it ≥ 1,000 invoices.
	bigServices = 84
	minMonths   = 12
	// metaFile, beside the log, says what the builder made, so a kept store
	// is reused without rescanning it.
	metaFile = "readmodels-bench.json"
)

// storeMeta is what the builder made and how long it took.
type storeMeta struct {
	Target       int       `json:"target"` // -readmodels.events asked for
	Events       uint64    `json:"events"` // the log's head position
	Clients      int       `json:"clients"`
	Months       int       `json:"months"`
	Invoices     int       `json:"invoices"`
	Payments     int       `json:"payments"`
	BigClient    uuid.UUID `json:"big_client"`
	BigInvoices  int       `json:"big_invoices"`
	Today        string    `json:"today"` // the day queries judge overdue on
	BuildSeconds float64   `json:"build_seconds"`
	DemoSeconds  float64   `json:"demo_seconds"`
	BuiltAt      time.Time `json:"built_at"`
}

func (m storeMeta) today() domain.Date {
	d, err := domain.ParseDate(m.Today)
	if err != nil {
		panic(err)
	}
	return d
}

// benchStore is the store every benchmark of one binary run shares.
type benchStore struct {
	dir  string
	meta storeMeta
}

var (
	storeOnce sync.Once
	shared    benchStore
	sharedErr error
)

// theStore returns the shared store: built once per binary run (or found
// in -readmodels.store). Benchmarks open it read-only.
func theStore(b *testing.B) benchStore {
	b.Helper()
	storeOnce.Do(func() {
		dir := *flagStore
		if dir == "" {
			var err error
			if dir, err = os.MkdirTemp("", "readmodels-bench-"); err != nil {
				sharedErr = err
				return
			}
			// Removed by TestMain when the binary ends.
			tempDirs = append(tempDirs, dir)
		}
		shared, sharedErr = openOrBuild(b, dir, *flagEvents)
	})
	if sharedErr != nil {
		b.Fatal(sharedErr)
	}
	return shared
}

// openOrBuild reuses the store in dir when it has a log, else builds one.
func openOrBuild(b *testing.B, dir string, n int) (benchStore, error) {
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err == nil {
		raw, err := os.ReadFile(filepath.Join(dir, metaFile))
		if err != nil {
			return benchStore{}, fmt.Errorf("%s holds a log but no %s (not a store this benchmark built): %w", dir, metaFile, err)
		}
		var m storeMeta
		if err := json.Unmarshal(raw, &m); err != nil {
			return benchStore{}, err
		}
		b.Logf("reusing the store in %s: %d events (built for -readmodels.events %d in %.0f s on %s)", dir, m.Events, m.Target, m.BuildSeconds, m.BuiltAt.Format(time.RFC3339))
		return benchStore{dir: dir, meta: m}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return benchStore{}, err
	}
	m, err := build(b, dir, n)
	if err != nil {
		return benchStore{}, err
	}
	raw, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, metaFile), raw, 0o644); err != nil {
		return benchStore{}, err
	}
	b.Logf("built the store in %s: %d events, %d clients (+ the demo firm's), %d months billed, %d invoices (big client: %d), %d offline payments; build took %.1f s (demo %.1f s)",
		dir, m.Events, m.Clients, m.Months, m.Invoices, m.BigInvoices, m.Payments, m.BuildSeconds, m.DemoSeconds)
	return benchStore{dir: dir, meta: m}, nil
}

// clock is the billing service's injected clock: 06:00 in Sydney on the
// day being simulated.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) setDay(d domain.Date, loc *time.Location) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = time.Date(d.Year(), d.Month(), d.Day(), 6, 0, 0, 0, loc)
}

// issued is an invoice a run issued, as the builder remembers it until the
// next month pays some of them.
type issued struct {
	id    uuid.UUID
	gross decimal.Decimal
}

// build fills an embedded store in dir with at least n events, every one
// of them from Remit's own commands: the demo firm (demo.Load), then many
// clients with two automatic monthly services each and one big client with
// bigServices of them, billed by billingrun.Run on the first of each month,
// a month's invoices mostly paid offline the month after (so statuses
// vary: paid, partly paid, payment scheduled, awaiting payment, overdue).
func build(b *testing.B, dir string, n int) (storeMeta, error) {
	ctx := context.Background()
	start := time.Now()
	m := storeMeta{Target: n, BuiltAt: start.UTC()}
	st, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		return m, err
	}
	defer st.Close()
	loc, err := time.LoadLocation(demo.FirmTimeZone)
	if err != nil {
		return m, err
	}
	months := minMonths
	if n >= 200_000 {
		months = 24
	}
	demoToday, firstMonth := calendar(months)
	if _, err := demo.Load(ctx, st, demo.Options{Today: demoToday, Seed: 18, Clients: demo.MinClients}); err != nil {
		return m, fmt.Errorf("demo: %w", err)
	}
	m.DemoSeconds = time.Since(start).Seconds()
	head, err := st.Head(ctx)
	if err != nil {
		return m, err
	}
	b.Logf("store build: demo firm loaded, %d events in %.1f s", head, m.DemoSeconds)

	clk := &clock{}
	clk.setDay(firstMonth, loc)
	svc := billing.New(billing.Config{Store: st, Now: clk.Now, NewID: uuid.New})
	meta := billing.Meta{Actor: "bench@firm.test"}
	perItem := false
	if _, err := svc.ChangeFirmSettings(ctx, billing.FirmSettingsRequest{GroupItems: &perItem}, meta); err != nil {
		return m, fmt.Errorf("one invoice per item: %w", err)
	}

	gw, err := sandbox.Open(dir, sandbox.Options{Now: clk.Now})
	if err != nil {
		return m, err
	}

	// Each bulk client costs about 5 events to set up and 8 a month (two
	// invoices: item billed, issued, then collection scheduled and
	// attempted, or most paid offline; and the numbering stream's share);
	// the big client's invoices about 3.5 each (no card).
	bigEvents := bigServices * (2 + months*7/2)
	m.Clients = max(20, (n-int(head)-bigEvents)/(months*8+5))

	newClient := func(name, token string) (uuid.UUID, error) {
		res, err := svc.CreateClient(ctx, billing.ClientRequest{Name: name, Kind: client.KindBusiness,
			Contacts: []client.Contact{{Name: "Accounts " + name, Email: "accounts@client.test"}}}, meta)
		if err != nil {
			return uuid.Nil, err
		}
		if token != "" {
			_, err = svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: res.ID, Method: client.PaymentMethodDetails{
				Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: token, Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2030,
			}}, meta)
		}
		return res.ID, err
	}
	monthly := func(clientID uuid.UUID, name string) error {
		_, err := svc.ActivateService(ctx, billing.ServiceRequest{ClientID: clientID, Name: name, UnitPrice: decimal.NewFromInt(100),
			Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), Automatic: true,
			BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnDate, StartDate: firstMonth, End: domain.EndNever}}, meta)
		return err
	}
	if m.BigClient, err = newClient("Big Client Holdings", ""); err != nil {
		return m, err
	}
	err = parallel(16, bigServices, func(i int) error { return monthly(m.BigClient, fmt.Sprintf("Retainer %02d", i)) })
	if err != nil {
		return m, err
	}
	t0 := time.Now()
	err = parallel(64, m.Clients, func(i int) error {
		// One in five pays by transfer (awaiting payment, paid offline or
		// not), one in twenty has a card the gateway declines.
		token := sandbox.TokenCardSucceeds
		switch {
		case i%5 == 0:
			token = ""
		case i%20 == 1:
			token = sandbox.TokenCardDeclined
		}
		id, err := newClient(fmt.Sprintf("Client %d", i), token)
		if err != nil {
			return err
		}
		if err := monthly(id, "Bookkeeping"); err != nil {
			return err
		}
		return monthly(id, "Payroll")
	})
	if err != nil {
		return m, fmt.Errorf("clients: %w", err)
	}
	head, _ = st.Head(ctx)
	b.Logf("store build: %d clients set up in %.1f s; %d events", m.Clients, time.Since(t0).Seconds(), head)

	cat := catalog.New()
	// The runs read read models of the store being built, in a temporary
	// database.
	idx, err := billingrun.OpenIndex(ctx, st)
	if err != nil {
		return m, err
	}
	defer idx.Close()
	var last []issued
	var day domain.Date
	for month := range months {
		day = firstMonth.AddMonthsClamped(month, 1)
		clk.setDay(day, loc)
		t0 := time.Now()
		before := head
		rep, err := billingrun.Run(ctx, st, svc, day, billingrun.Options{Index: idx, Actor: "bench:bill"})
		if err == nil && len(rep.Errors) > 0 {
			err = fmt.Errorf("%d groups failed, first: %v", len(rep.Errors), rep.Errors[0])
		}
		if err != nil {
			return m, fmt.Errorf("billing run %s: %w", day, err)
		}
		// Last month's invoices without a card: 6 in 10 paid in full, 1 in
		// 10 half paid, the rest left (overdue once past their due date).
		paid, err := payOffline(ctx, svc, meta, last)
		if err != nil {
			return m, fmt.Errorf("payments %s: %w", day, err)
		}
		m.Payments += paid
		var all int
		if last, all, err = issuedSince(ctx, st, cat, before, m.BigClient, &m.BigInvoices); err != nil {
			return m, err
		}
		m.Invoices += all
		clk.setDay(day.AddDays(collectDay-1), loc)
		crep, err := billingrun.Collect(ctx, st, svc, gw, day.AddDays(collectDay-1), billingrun.CollectOptions{Workers: 16, Index: idx, Actor: "bench:collect"})
		if err != nil {
			return m, fmt.Errorf("collect %s: %w", day, err)
		}
		// The payouts of the month, as serve's daily run records them, so a
		// server started on the store syncs days, not the whole history.
		prep, err := payouts.Sync(ctx, payouts.Config{Store: st, Gateway: gw, Now: clk.Now})
		if err != nil {
			return m, fmt.Errorf("payouts %s: %w", day, err)
		}
		m.Months = month + 1
		if head, err = st.Head(ctx); err != nil {
			return m, err
		}
		b.Logf("store build: %s billed %d invoices, %d paid offline, collected %d (%d rejected), %d payouts in %.1f s; %d events",
			day, rep.Issued, paid, crep.Succeeded, crep.Rejected, prep.Recorded, time.Since(t0).Seconds(), head)
	}
	// Queries judge on a day when the last run's invoices are not yet due
	// and the unpaid ones before them are overdue.
	m.Today = day.AddDays(collectDay).String()
	m.Events = head
	if err := st.Close(); err != nil { // checkpoints the WAL into the file
		return m, err
	}
	m.BuildSeconds = time.Since(start).Seconds()
	return m, nil
}

// parallel calls do(0..n-1) from workers goroutines, stopping at the first
// error.
func parallel(workers, n int, do func(i int) error) error {
	var next atomic.Int64
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := do(i); err != nil {
					mu.Lock()
					first = errors.Join(first, fmt.Errorf("#%d: %w", i, err))
					mu.Unlock()
					next.Store(int64(n))
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// payOffline records offline payments on some of invs, chosen by id so a
// rebuild chooses the same ones.
func payOffline(ctx context.Context, svc *billing.Service, meta billing.Meta, invs []issued) (int, error) {
	var paid atomic.Int64
	err := parallel(64, len(invs), func(i int) error {
		inv := invs[i]
		amount := inv.gross
		switch r := binary.BigEndian.Uint32(inv.id[12:]) % 10; {
		case r < 6:
		case r == 6:
			amount = amount.Div(decimal.NewFromInt(2)).Round(2)
		default:
			return nil
		}
		_, err := svc.RecordOfflinePayment(ctx, billing.InvoiceRequest{InvoiceID: inv.id, Method: invoice.PaidByBankTransfer,
			Reference: "EFT " + inv.id.String()[:8], Amount: amount}, meta)
		if err == nil {
			paid.Add(1)
		}
		return err
	})
	return int(paid.Load()), err
}

// issuedSince lists the invoices without a payment method issued after
// position from and counts all of them, and the big client's.
func issuedSince(ctx context.Context, st eventstore.Store, cat *catalog.Catalog, from uint64, big uuid.UUID, bigCount *int) ([]issued, int, error) {
	var out []issued
	all := 0
	for {
		recs, err := st.ReadAll(ctx, from+1, eventstore.Forward, 4096, eventstore.Filter{EventTypes: []string{"InvoiceIssued"}})
		if err != nil {
			return nil, 0, err
		}
		for _, rec := range recs {
			e, err := cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
			if err != nil {
				return nil, 0, err
			}
			iss, ok := e.(invoice.InvoiceIssued)
			if !ok {
				return nil, 0, fmt.Errorf("decoded %T", e)
			}
			all++
			if iss.PaymentMethodID == uuid.Nil {
				out = append(out, issued{id: iss.InvoiceID, gross: iss.Totals.Gross.Amount})
			}
			if iss.ClientID == big {
				*bigCount++
			}
		}
		if len(recs) < 4096 {
			return out, all, nil
		}
		from = recs[len(recs)-1].Position
	}
}
