package projections

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/service"
	"remit/eventstore"
	"remit/eventstore/sqlite"
)

// benchLog is a store holding a generated firm's history, shared by the
// benchmarks of one run (generating a million events takes a while).
type benchLog struct {
	once  sync.Once
	dir   string
	store *sqlite.Store
	count int
	err   error
}

var million benchLog // test-only: one generated log per test binary run

var (
	benchEvents = flag.Int("bench-events", 1_000_000, "events BenchmarkRebuild generates and replays")
	benchStore  = flag.String("bench-store", "", "folder of the generated log, kept between runs (default: a temporary folder removed afterwards)")
)

func TestMain(m *testing.M) {
	code := m.Run()
	if million.store != nil {
		million.store.Close()
		if *benchStore == "" {
			os.RemoveAll(million.dir)
		}
	}
	os.Exit(code)
}

// openMillion returns the store with the generated log of n events.
func openMillion(b *testing.B, n int) (*sqlite.Store, int) {
	b.Helper()
	million.once.Do(func() {
		if million.dir = *benchStore; million.dir == "" {
			million.dir, million.err = os.MkdirTemp("", "remit-projections-bench-")
			if million.err != nil {
				return
			}
		}
		million.store, million.err = sqlite.Open(million.dir, sqlite.Options{})
		if million.err != nil {
			return
		}
		if head, err := million.store.Head(context.Background()); err != nil || head > 0 {
			// A kept log from an earlier run (-bench-store).
			million.count, million.err = int(head), err
			return
		}
		start := time.Now()
		million.count, million.err = generate(context.Background(), million.store, n)
		b.Logf("generated %d events in %s", million.count, time.Since(start).Round(time.Second))
	})
	if million.err != nil {
		b.Fatal(million.err)
	}
	return million.store, million.count
}

// generate writes a realistic firm: clients with contacts and a card, two
// or three monthly services each, and every month an invoice per service
// that is billed, sent and paid (one in eight rejected first, then retried
// and paid; one in forty voided), until n events are written. Eight writers
// append at once so the store's group commit shares the syncs.
func generate(ctx context.Context, store eventstore.Store, n int) (int, error) {
	const writers = 8
	perWriter := n / writers
	var wg sync.WaitGroup
	errs := make([]error, writers)
	counts := make([]int, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[w], errs[w] = generateClients(ctx, store, w, perWriter)
		}()
	}
	wg.Wait()
	total := 0
	for w := range writers {
		if errs[w] != nil {
			return 0, errs[w]
		}
		total += counts[w]
	}
	return total, nil
}

func generateClients(ctx context.Context, store eventstore.Store, writer, n int) (int, error) {
	written := 0
	seq := 0
	appendTo := func(stream string, evs ...domain.Event) error {
		data := make([]eventstore.EventData, 0, len(evs))
		for _, ev := range evs {
			if written+len(data) >= n {
				break
			}
			raw, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			seq++
			data = append(data, eventstore.EventData{
				ID: uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "bench/%d/%d", writer, seq)), Type: ev.EventType(), Data: raw,
				Metadata: eventstore.Metadata{Actor: "system:billing-run", CommandID: fmt.Sprint(seq)},
			})
		}
		if len(data) == 0 {
			return nil
		}
		_, err := store.Append(ctx, stream, eventstore.Any, data...)
		written += len(data)
		return err
	}
	for c := 0; written < n; c++ {
		cid := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "bench/client/%d/%d", writer, c))
		pm := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "bench/pm/%d/%d", writer, c))
		contact := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "bench/contact/%d/%d", writer, c))
		name := fmt.Sprintf("Client %d-%d Pty Ltd", writer, c)
		if err := appendTo(client.StreamName(cid),
			client.ClientCreated{ClientID: cid, Name: name, Kind: client.KindBusiness, Currency: aud, PrimaryContactID: contact,
				Contacts: []client.Contact{{ID: contact, Name: "Accounts", Email: fmt.Sprintf("accounts@c%d-%d.test", writer, c)}},
				Address:  domain.Address{Line1: "1 Main St", City: "Sydney", Region: "NSW", Postcode: "2000", Country: "AU"}},
			client.PaymentMethodAdded{ClientID: cid, PaymentMethodID: pm, Method: client.PaymentMethodDetails{Kind: client.MethodCard,
				Gateway: "sandbox", GatewayToken: "tok_" + pm.String()[:8], Brand: "visa", Last4: "4242", ExpiryMonth: 8, ExpiryYear: 2028}},
			client.PaymentMethodSetAsDefault{ClientID: cid, PaymentMethodID: pm},
		); err != nil {
			return written, err
		}
		services := 2 + c%2
		sids := make([]uuid.UUID, services)
		for s := range services {
			sids[s] = uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "bench/service/%d/%d/%d", writer, c, s))
			first := date(2024, 1, 1+s*7)
			ev := activated(sids[s], cid, fmt.Sprintf("Service %d", s), fmt.Sprint(100+50*s), monthly(first), first, service.Automatic)
			ev.PaymentMethodID = pm
			if err := appendTo(service.StreamName(sids[s]), ev); err != nil {
				return written, err
			}
		}
		for month := 1; month <= 24 && written < n; month++ {
			for s, sid := range sids {
				inv := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "bench/invoice/%d/%d/%d/%d", writer, c, s, month))
				day := date(2024, 1, 1+s*7).AddMonthsClamped(month-1, 1+s*7)
				key := service.ItemKey(sid, month)
				l := benchLine(sid, key, fmt.Sprint(100+50*s))
				iss := invoice.InvoiceIssued{InvoiceID: inv, ClientID: cid, Number: fmt.Sprintf("INV-%d%07d", writer, seq), Currency: aud,
					IssueDate: day, DueDate: day.AddDays(14), TaxMode: domain.TaxExclusive, Lines: []invoice.Line{l},
					Totals: invoice.Totals{Net: l.Amounts.Net, Tax: l.Amounts.Tax, Gross: l.Amounts.Gross}, Recurring: true, PaymentMethodID: pm}
				evs := []domain.Event{iss, invoice.InvoiceSent{InvoiceID: inv, Recipient: "accounts@example.test"},
					invoice.InvoiceCollectionScheduled{InvoiceID: inv, Date: day, PaymentMethodID: pm}}
				switch {
				case (c+month+s)%40 == 0:
					evs = append(evs, invoice.InvoiceVoided{InvoiceID: inv, Reason: "raised in error"})
				case (c+month+s)%8 == 0:
					evs = append(evs,
						invoice.InvoicePaymentRejected{InvoiceID: inv, AttemptID: uuid.NewSHA1(inv, []byte("a1")), PaymentMethodID: pm, DeclineCode: "insufficient_funds", DeclineMessage: "Insufficient funds"},
						invoice.InvoiceRetryScheduled{InvoiceID: inv, Date: day.AddDays(3), PaymentMethodID: pm},
						invoice.InvoicePaymentSucceeded{InvoiceID: inv, AttemptID: uuid.NewSHA1(inv, []byte("a2")), PaymentMethodID: pm, GatewayReference: "ch_" + inv.String()[:12], Amount: iss.Totals.Gross})
				default:
					evs = append(evs, invoice.InvoicePaymentSucceeded{InvoiceID: inv, AttemptID: uuid.NewSHA1(inv, []byte("a1")), PaymentMethodID: pm, GatewayReference: "ch_" + inv.String()[:12], Amount: iss.Totals.Gross})
				}
				if err := appendTo(invoice.StreamName(inv), evs...); err != nil {
					return written, err
				}
				if err := appendTo(service.StreamName(sid), service.ScheduleItemBilled{ServiceID: sid, ItemKey: key, InvoiceID: inv, Date: day,
					Description: l.Description, Quantity: l.Quantity, UnitPrice: l.UnitPrice.Amount, TaxRate: l.TaxRate, Mode: service.Automatic, PaymentMethodID: pm}); err != nil {
					return written, err
				}
			}
		}
	}
	return written, nil
}

func benchLine(serviceID uuid.UUID, key, price string) invoice.Line {
	amounts, _ := domain.ComputeLine(aud, domain.TaxExclusive, domain.LineInput{Quantity: dec("1"), UnitPrice: dec(price), TaxRate: dec("10")})
	return invoice.Line{LineID: uuid.NewSHA1(serviceID, []byte(key)), Description: "Monthly service", Quantity: dec("1"),
		UnitPrice: aus(price), TaxRate: dec("10"), ServiceID: serviceID, ItemKey: key, Amounts: amounts}
}

// decodeBare decodes a payload with encoding/json straight into its event
// struct: the baseline a projection rebuild is compared with.
func decodeBare(typ string, data []byte) error {
	var v any
	switch typ {
	case "ClientCreated":
		v = new(client.ClientCreated)
	case "PaymentMethodAdded":
		v = new(client.PaymentMethodAdded)
	case "PaymentMethodSetAsDefault":
		v = new(client.PaymentMethodSetAsDefault)
	case "ServiceActivated":
		v = new(service.ServiceActivated)
	case "ScheduleItemBilled":
		v = new(service.ScheduleItemBilled)
	case "InvoiceIssued":
		v = new(invoice.InvoiceIssued)
	case "InvoiceSent":
		v = new(invoice.InvoiceSent)
	case "InvoiceCollectionScheduled":
		v = new(invoice.InvoiceCollectionScheduled)
	case "InvoicePaymentSucceeded":
		v = new(invoice.InvoicePaymentSucceeded)
	case "InvoicePaymentRejected":
		v = new(invoice.InvoicePaymentRejected)
	case "InvoiceRetryScheduled":
		v = new(invoice.InvoiceRetryScheduled)
	case "InvoiceVoided":
		v = new(invoice.InvoiceVoided)
	default:
		return fmt.Errorf("no bare decoder for %s", typ)
	}
	return json.Unmarshal(data, v)
}

// BenchmarkRebuild replays a generated log of a million events from the
// embedded store through the real read models, and in the same run decodes
// the same payloads with bare encoding/json, reporting both rates and their
// ratio (rebuild/decode; the target is at least 0.5).
//
//	go test -run '^$' -bench Rebuild -benchtime 1x -timeout 40m ./projections
//
// -args -bench-events=N sets the log's size; -bench-store DIR keeps the
// generated log in DIR and reuses it on later runs (generating a million
// events takes minutes).
func BenchmarkRebuild(b *testing.B) {
	store, n := openMillion(b, *benchEvents)
	ctx := context.Background()
	recs, err := store.ReadAll(ctx, 1, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		b.Fatal(err)
	}
	var rebuild, bare time.Duration
	cat := catalog.New()
	for b.Loop() {
		t0 := time.Now()
		for _, r := range recs {
			if err := decodeBare(r.Type, r.Data); err != nil {
				b.Fatal(err)
			}
		}
		bare += time.Since(t0)

		m := NewModels()
		t0 = time.Now()
		last, err := Replay(ctx, store, cat, m.Projections(), Bound{})
		if err != nil {
			b.Fatal(err)
		}
		rebuild += time.Since(t0)
		if last != uint64(n) {
			b.Fatalf("replayed to %d, want %d", last, n)
		}
	}
	rebuildRate := float64(n) * float64(b.N) / rebuild.Seconds()
	bareRate := float64(n) * float64(b.N) / bare.Seconds()
	b.ReportMetric(rebuildRate, "rebuild-events/s")
	b.ReportMetric(bareRate, "json-decode-events/s")
	b.ReportMetric(rebuildRate/bareRate, "ratio")
	b.ReportMetric(float64(n), "events")
}

// BenchmarkClientSummary queries the Summary of a client with 1,000
// invoices (and the first page of its invoice list).
func BenchmarkClientSummary(b *testing.B) {
	e := newEnv(b)
	m := NewModels()
	cid := id("bench/client")
	e.MustAppend(client.StreamName(cid), "", client.ClientCreated{ClientID: cid, Name: "Big Client", Currency: aud,
		Contacts: []client.Contact{{ID: id("bench/contact"), Name: "Accounts", Email: "a@big.test"}}, PrimaryContactID: id("bench/contact")})
	for i := range 1000 {
		inv := id(fmt.Sprintf("bench/invoice/%d", i))
		day := date(2023, 1, 1).AddDays(i)
		l := benchLine(uuid.Nil, "", "100")
		evs := []domain.Event{invoice.InvoiceIssued{InvoiceID: inv, ClientID: cid, Number: fmt.Sprintf("INV-%06d", i+1), Currency: aud,
			IssueDate: day, DueDate: day.AddDays(14), TaxMode: domain.TaxExclusive, Lines: []invoice.Line{l},
			Totals: invoice.Totals{Net: l.Amounts.Net, Tax: l.Amounts.Tax, Gross: l.Amounts.Gross}}}
		if i%3 != 0 {
			evs = append(evs, invoice.InvoicePaymentRecorded{InvoiceID: inv, PaymentID: id(fmt.Sprint("p", i)), Method: invoice.PaidByBankTransfer, Amount: l.Amounts.Gross, Date: day})
		}
		e.MustAppend(invoice.StreamName(inv), "user:bench", evs...)
	}
	r, err := NewRunner(e.store, m.Projections(), RunnerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := r.CatchUp(context.Background()); err != nil {
		b.Fatal(err)
	}
	q := date(2026, 1, 1)
	s, err := m.Summary(cid, q)
	if err != nil || s.OpenInvoices != 334 {
		b.Fatalf("summary: %d open, %v", s.OpenInvoices, err)
	}
	b.Run("Summary", func(b *testing.B) {
		for b.Loop() {
			if _, err := m.Summary(cid, q); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("InvoicesFirstPage", func(b *testing.B) {
		for b.Loop() {
			if p := m.ListInvoices(InvoiceQuery{ClientID: cid, Today: q}); p.Total != 1000 {
				b.Fatal(p.Total)
			}
		}
	})
}
