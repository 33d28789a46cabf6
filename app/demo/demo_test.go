package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/app/demo"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/proposal"
	"remit/domain/service"
	"remit/eventstore"
	"remit/eventstore/sqlite"
)

// today is a fixed "today" so the tests do not depend on the date they run.
var today = domain.MustDate(2026, 3, 15)

func MustOpen(tb testing.TB) *sqlite.Store {
	tb.Helper()
	st, err := sqlite.Open(tb.TempDir(), sqlite.Options{})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// MustLoad loads the smallest demo (every scenario, fewest clients) into a
// fresh store.
func MustLoad(tb testing.TB, seed uint64) (*sqlite.Store, demo.Summary) {
	tb.Helper()
	st := MustOpen(tb)
	sum, err := demo.Load(context.Background(), st, demo.Options{Today: today, Seed: seed, Clients: demo.MinClients})
	if err != nil {
		tb.Fatalf("load: %v", err)
	}
	return st, sum
}

// MustReadAll reads the whole log.
func MustReadAll(tb testing.TB, st eventstore.Store) []eventstore.RecordedEvent {
	tb.Helper()
	var all []eventstore.RecordedEvent
	for from := uint64(1); ; {
		recs, err := st.ReadAll(context.Background(), from, eventstore.Forward, 1000, eventstore.Filter{})
		if err != nil {
			tb.Fatalf("read all: %v", err)
		}
		all = append(all, recs...)
		if len(recs) < 1000 {
			return all
		}
		from = recs[len(recs)-1].Position + 1
	}
}

// world is the loaded data folded from the store, independently of the
// loader's own bookkeeping.
type world struct {
	clients   map[string]client.State
	proposals map[string]proposal.State
	services  map[string]service.State
	invoices  map[string]invoice.State
	types     map[string]int // events by type
}

func fold(tb testing.TB, recs []eventstore.RecordedEvent) world {
	tb.Helper()
	cat := catalog.New()
	w := world{clients: map[string]client.State{}, proposals: map[string]proposal.State{}, services: map[string]service.State{}, invoices: map[string]invoice.State{}, types: map[string]int{}}
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			tb.Fatalf("decode %s@%d: %v", r.Stream, r.Revision, err)
		}
		w.types[r.Type]++
		switch {
		case r.Stream == client.StreamName(uuidOf(r.Stream, "client-")):
			w.clients[r.Stream] = client.Evolve(w.clients[r.Stream], e)
		case r.Stream == proposal.StreamName(uuidOf(r.Stream, "proposal-")):
			w.proposals[r.Stream] = proposal.Evolve(w.proposals[r.Stream], e)
		case r.Stream == service.StreamName(uuidOf(r.Stream, "service-")):
			w.services[r.Stream] = service.Evolve(w.services[r.Stream], e)
		case r.Stream == invoice.StreamName(uuidOf(r.Stream, "invoice-")):
			w.invoices[r.Stream] = invoice.Evolve(w.invoices[r.Stream], e)
		}
	}
	return w
}

func uuidOf(stream, prefix string) uuid.UUID {
	if len(stream) <= len(prefix) || stream[:len(prefix)] != prefix {
		return uuid.Nil
	}
	id, err := uuid.Parse(stream[len(prefix):])
	if err != nil {
		return uuid.Nil
	}
	return id
}

func TestLoad(t *testing.T) {
	st, sum := MustLoad(t, 42)
	recs := MustReadAll(t, st)
	w := fold(t, recs)

	t.Run("ServicesLibrary", func(t *testing.T) {
		// The firm's services library: about a dozen services, each with a
		// price, a revenue account, and one still unique name.
		if n := w.types["LibraryServiceAdded"]; n < 8 || n > 12 {
			t.Errorf("the demo library has %d services, want 8 to 12", n)
		}
	})

	t.Run("SummaryAgreesWithStore", func(t *testing.T) {
		head, err := st.Head(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if sum.Head != head || sum.Events != uint64(len(recs)) {
			t.Errorf("summary says %d events up to %d; store has %d up to %d", sum.Events, sum.Head, len(recs), head)
		}
		if sum.Clients != demo.MinClients || len(w.clients) != demo.MinClients {
			t.Errorf("clients: summary %d, store %d, want %d", sum.Clients, len(w.clients), demo.MinClients)
		}
		if sum.Invoices != len(w.invoices) || sum.Services != len(w.services) {
			t.Errorf("summary: %d invoices, %d services; store: %d, %d", sum.Invoices, sum.Services, len(w.invoices), len(w.services))
		}
		byStatus := map[invoice.Status]int{}
		for _, inv := range w.invoices {
			byStatus[inv.Status]++
		}
		for s, n := range byStatus {
			if sum.InvoicesByStatus[s] != n {
				t.Errorf("%s invoices: summary %d, store %d", s, sum.InvoicesByStatus[s], n)
			}
		}
		if sum.From != today.AddDays(-demo.HistoryDays) || sum.Today != today {
			t.Errorf("history %s..%s, want a year to %s", sum.From, sum.Today, today)
		}
	})

	t.Run("EveryBillingRule", func(t *testing.T) {
		rules := map[string]bool{}
		var catchUp, endAfter, endOn, delayed, onDate, ended, paused, priceChange bool
		for _, s := range w.services {
			r := s.BillingRule
			n := max(r.Interval, 1)
			switch {
			case r.Frequency == domain.FrequencyWeeks && n == 1:
				rules["weekly"] = true
			case r.Frequency == domain.FrequencyWeeks && n == 2:
				rules["fortnightly"] = true
			case r.Frequency == domain.FrequencyMonths && n == 1:
				rules["monthly"] = true
				if r.AnchorDay == 31 {
					rules["monthly on the 31st"] = true
				}
			case r.Frequency == domain.FrequencyMonths && n == 3:
				rules["quarterly"] = true
			case r.Frequency == domain.FrequencyMonths && n == 12:
				rules["yearly"] = true
			default:
				rules[string(r.Frequency)] = true
			}
			catchUp = catchUp || (!s.FirstDate.IsZero() && s.FirstDate.Before(domain.DateOf(s.ActivatedAt, time.UTC).AddDays(-30)))
			endAfter = endAfter || r.End == domain.EndAfterN
			endOn = endOn || r.End == domain.EndOnDate
			ended = ended || s.Ended
			paused = paused || (!s.Ended && s.Terms.Mode == service.Manual && r.Frequency.Repeats())
		}
		for _, p := range w.proposals {
			if p.Status != proposal.StatusAccepted {
				continue
			}
			for _, ln := range p.Lines {
				r := ln.BillingRule
				delayed = delayed || (r.Frequency == domain.FrequencyOnce && r.StartDelayDays > 0)
				onDate = onDate || (r.Frequency == domain.FrequencyOnce && r.Start == domain.StartOnDate)
			}
		}
		for _, r := range recs {
			if r.Type != (service.ServiceEdited{}).EventType() {
				continue
			}
			var e service.ServiceEdited
			if err := json.Unmarshal(r.Data, &e); err != nil {
				t.Fatal(err)
			}
			priceChange = priceChange || (e.UnitPrice != nil && e.NotifyClientOfPriceChange && e.EffectiveFrom.After(domain.DateOf(e.At, time.UTC)))
		}
		for _, want := range []string{"weekly", "fortnightly", "monthly", "monthly on the 31st", "quarterly", "yearly", "days", "once", "on_completion", "estimate"} {
			if !rules[want] {
				t.Errorf("no %s service", want)
			}
		}
		for name, ok := range map[string]bool{"catch-up start": catchUp, "end after N": endAfter, "end on a date": endOn, "once with a delay": delayed, "once on a date": onDate, "ended": ended, "manual or paused": paused, "price change from a later date": priceChange} {
			if !ok {
				t.Errorf("no %s service", name)
			}
		}
		for _, typ := range []string{"ServiceSwitchedToManual", "ServiceSwitchedToAutomatic", "ServiceEnded", "ScheduleItemSkipped", "ScheduleItemIssueScheduled", "ScheduleItemReleased", "ScheduleItemEdited"} {
			if w.types[typ] == 0 {
				t.Errorf("no %s event", typ)
			}
		}
	})

	t.Run("EveryInvoiceStatus", func(t *testing.T) {
		seen := map[invoice.Status]int{}
		var credited, rejectedThenPaid, offline bool
		for _, inv := range w.invoices {
			seen[inv.Status]++
			if inv.StatusOn(today) == invoice.StatusOverdue {
				seen[invoice.StatusOverdue]++
			}
			credited = credited || inv.Credited.Amount.IsPositive()
			rejectedThenPaid = rejectedThenPaid || (inv.Status == invoice.StatusPaid && inv.LastRejection.DeclineCode != "")
			offline = offline || len(inv.Payments) > 0
		}
		for _, s := range []invoice.Status{invoice.StatusAwaitingPayment, invoice.StatusPaymentScheduled, invoice.StatusPaid, invoice.StatusPartlyPaid,
			invoice.StatusPaymentRejected, invoice.StatusWrittenOff, invoice.StatusVoid, invoice.StatusOverdue} {
			if seen[s] == 0 {
				t.Errorf("no invoice is %s (as of %s); statuses: %v", s, today, seen)
			}
		}
		if seen[invoice.StatusPaid] < len(w.invoices)/2 {
			t.Errorf("only %d of %d invoices paid: most should be", seen[invoice.StatusPaid], len(w.invoices))
		}
		// The voided invoice's item was billed again on a corrected invoice.
		reissued := false
		billedOn := map[string][]invoice.State{}
		for _, inv := range w.invoices {
			for _, ln := range inv.Lines {
				if ln.ItemKey != "" {
					billedOn[ln.ItemKey] = append(billedOn[ln.ItemKey], inv)
				}
			}
		}
		for _, invs := range billedOn {
			if len(invs) == 2 && (invs[0].Status == invoice.StatusVoid) != (invs[1].Status == invoice.StatusVoid) {
				reissued = true
			} else if len(invs) > 1 {
				t.Errorf("an item is billed on %d invoices", len(invs))
			}
		}
		for name, ok := range map[string]bool{"credit note": credited, "paid after a rejection": rejectedThenPaid, "offline payment": offline, "void and re-issue": reissued} {
			if !ok {
				t.Errorf("no invoice with a %s", name)
			}
		}
		codes := map[string]bool{}
		for _, r := range recs {
			if r.Type == (invoice.InvoicePaymentRejected{}).EventType() {
				e, _ := catalog.New().Decode(r.Type, r.SchemaVersion, r.Data)
				codes[e.(invoice.InvoicePaymentRejected).DeclineCode] = true
			}
		}
		for _, code := range []string{"card_declined", "insufficient_funds", "expired_card"} {
			if !codes[code] {
				t.Errorf("no payment rejected with %s; codes: %v", code, codes)
			}
		}
	})

	t.Run("Clients", func(t *testing.T) {
		kinds := map[client.Kind]int{}
		methods := map[client.PaymentMethodKind]int{}
		var archived, becs, expiringSoon, taxNumbers, replaced bool
		for _, c := range w.clients {
			kinds[c.Kind]++
			archived = archived || c.Archived
			taxNumbers = taxNumbers || c.TaxNumber != ""
			if p, ok := c.PrimaryContact(); !ok || p.Email == "" {
				t.Errorf("client %s has no primary billing contact with an email", c.Name)
			}
			if c.Address.IsZero() {
				t.Errorf("client %s has no address", c.Name)
			}
			for _, m := range c.PaymentMethods {
				methods[m.Kind]++
				becs = becs || m.Scheme == client.SchemeAUBECS
				replaced = replaced || m.Replaces != uuid.Nil
				if exp := m.ExpiresOn(); m.Status == client.MethodActive && !exp.IsZero() && !exp.Before(today) && exp.Before(today.AddDays(45)) {
					expiringSoon = true
				}
			}
		}
		if kinds[client.KindBusiness] == 0 || kinds[client.KindIndividual] == 0 {
			t.Errorf("client kinds: %v, want businesses and individuals", kinds)
		}
		if methods[client.MethodCard] == 0 || methods[client.MethodBankDebit] == 0 {
			t.Errorf("payment methods: %v, want cards and bank debits", methods)
		}
		for name, ok := range map[string]bool{"archived client": archived, "au_becs account": becs, "card expiring soon": expiringSoon, "tax number": taxNumbers, "replaced card": replaced} {
			if !ok {
				t.Errorf("no %s", name)
			}
		}
		if w.types["PaymentMethodExpired"] == 0 {
			t.Error("no card was marked expired")
		}
	})

	t.Run("Proposals", func(t *testing.T) {
		seen := map[proposal.Status]int{}
		for _, p := range w.proposals {
			seen[p.Status]++
		}
		for _, s := range []proposal.Status{proposal.StatusDraft, proposal.StatusSent, proposal.StatusAccepted, proposal.StatusDeclined, proposal.StatusWithdrawn, proposal.StatusExpired} {
			if seen[s] == 0 {
				t.Errorf("no %s proposal: %v", s, seen)
			}
		}
		if seen[proposal.StatusAccepted] < len(w.proposals)/2 {
			t.Errorf("proposals %v: most should be accepted", seen)
		}
	})

	t.Run("DatesAreHistory", func(t *testing.T) {
		from := today.AddDays(-demo.HistoryDays)
		for _, inv := range w.invoices {
			if inv.IssueDate.Before(from) || inv.IssueDate.After(today) {
				t.Fatalf("invoice %s issued on %s, outside %s..%s", inv.Number, inv.IssueDate, from, today)
			}
		}
		loc, err := time.LoadLocation(demo.FirmTimeZone)
		if err != nil {
			t.Fatal(err)
		}
		last := time.Time{}
		for _, r := range recs {
			at := eventTime(t, r)
			if at.IsZero() {
				continue
			}
			if d := domain.DateOf(at, loc); d.Before(from) || d.After(today) {
				t.Fatalf("%s@%d (%s) happened on %s, outside the history", r.Stream, r.Revision, r.Type, d)
			}
			if at.Before(last) {
				t.Fatalf("%s@%d (%s) at %s is before the event before it (%s)", r.Stream, r.Revision, r.Type, at, last)
			}
			last = at
		}
	})

	t.Run("InvoiceNumbersGapless", func(t *testing.T) {
		var numbers []string
		for _, inv := range w.invoices {
			numbers = append(numbers, inv.Number)
		}
		slices.Sort(numbers)
		for i, n := range numbers {
			if want := invoiceNumber(i + 1); n != want {
				t.Fatalf("invoice numbers: %s where %s expected", n, want)
			}
		}
	})

	t.Run("ChainVerifies", func(t *testing.T) {
		rep, err := st.Verify(context.Background())
		if err != nil {
			t.Fatalf("verify: %v", err)
		}
		if rep.Events != sum.Events {
			t.Errorf("verified %d events, loaded %d", rep.Events, sum.Events)
		}
	})
}

func invoiceNumber(n int) string {
	s := []byte("INV-000000")
	for i := len(s) - 1; n > 0; i-- {
		s[i] = byte('0' + n%10)
		n /= 10
	}
	return string(s)
}

// eventTime is an event's "at", the injected clock's time.
func eventTime(tb testing.TB, r eventstore.RecordedEvent) time.Time {
	tb.Helper()
	var e struct {
		At time.Time `json:"at"`
	}
	if err := json.Unmarshal(r.Data, &e); err != nil {
		tb.Fatalf("decode %s@%d: %v", r.Stream, r.Revision, err)
	}
	return e.At
}

func TestLoadSameSeedSameEvents(t *testing.T) {
	a, _ := MustLoad(t, 7)
	b, _ := MustLoad(t, 7)
	ra, rb := MustReadAll(t, a), MustReadAll(t, b)
	if len(ra) != len(rb) {
		t.Fatalf("same seed: %d events, then %d", len(ra), len(rb))
	}
	for i := range ra {
		x, y := ra[i], rb[i]
		x.Metadata.RecordedAt, y.Metadata.RecordedAt = time.Time{}, time.Time{}
		if x.ID != y.ID || x.Stream != y.Stream || x.Revision != y.Revision || x.Position != y.Position ||
			x.Type != y.Type || x.SchemaVersion != y.SchemaVersion || !bytes.Equal(x.Data, y.Data) || x.Metadata != y.Metadata {
			t.Fatalf("event %d differs:\n%+v\n%s\n%+v\n%s", i, x, x.Data, y, y.Data)
		}
	}

	c, _ := MustLoad(t, 8)
	rc := MustReadAll(t, c)
	if len(rc) == len(ra) && bytes.Equal(rc[len(rc)-1].Data, ra[len(ra)-1].Data) {
		t.Error("another seed loaded the same events")
	}
}

func TestLoadRefusesNonEmptyStore(t *testing.T) {
	st := MustOpen(t)
	if _, err := st.Append(context.Background(), "note-1", eventstore.NoStream, eventstore.EventData{
		ID: eventstore.NewEventID(), Type: "NoteWritten", SchemaVersion: 1, Data: []byte(`{}`),
	}); err != nil {
		t.Fatal(err)
	}
	_, err := demo.Load(context.Background(), st, demo.Options{Today: today, Clients: demo.MinClients})
	if !errors.Is(err, demo.ErrStoreNotEmpty) {
		t.Fatalf("load into a store with an event: %v, want ErrStoreNotEmpty", err)
	}
	if head, _ := st.Head(context.Background()); head != 1 {
		t.Errorf("head moved to %d", head)
	}
}

func TestLoadRefusesBadOptions(t *testing.T) {
	for name, opts := range map[string]demo.Options{
		"NoToday":       {Clients: demo.MinClients},
		"TooFewClients": {Today: today, Clients: demo.MinClients - 1},
	} {
		t.Run(name, func(t *testing.T) {
			st := MustOpen(t)
			if _, err := demo.Load(context.Background(), st, opts); err == nil {
				t.Fatal("loaded")
			}
			if head, _ := st.Head(context.Background()); head != 0 {
				t.Errorf("appended %d events", head)
			}
		})
	}
}

func TestLoadReportsProgress(t *testing.T) {
	st := MustOpen(t)
	var calls, last, total int
	_, err := demo.Load(context.Background(), st, demo.Options{Today: today, Clients: demo.MinClients, Progress: func(done, all int) {
		if done <= last || (total != 0 && all != total) {
			t.Errorf("progress went from %d/%d to %d/%d", last, total, done, all)
		}
		calls, last, total = calls+1, done, all
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 100 || last != total {
		t.Errorf("progress called %d times, last %d/%d", calls, last, total)
	}
}

// BenchmarkLoadDefault loads the default demo (50 clients).
func BenchmarkLoadDefault(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		st, err := sqlite.Open(b.TempDir(), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := demo.Load(context.Background(), st, demo.Options{Today: today, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(float64(sum.Events), "events")
		b.ReportMetric(float64(sum.Invoices), "invoices")
		st.Close()
		b.StartTimer()
	}
}
