package priceincreases_test

import (
	"context"
	"fmt"
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
	pi "remit/domain/priceincrease"
	"remit/domain/service"
	"remit/eventstore/sqlite"
	"remit/integrations/mail"
	"remit/integrations/mail/mailtest"
	"remit/processes/billingrun"
	"remit/processes/emailer"
	"remit/processes/priceincreases"
	"remit/projections"
	"remit/projections/rmdb"
)

var sydney, _ = time.LoadLocation("Australia/Sydney")

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// day0 is Monday 2 March 2026, 9:00 in Sydney.
var day0 = time.Date(2026, 3, 2, 9, 0, 0, 0, sydney)

type fixture struct {
	t     *testing.T
	store *sqlite.Store
	svc   *billing.Service
	clk   *clock
	mp    *mailtest.Mailpit
	idx   *billingrun.Index
	ob    *emailer.Outbox
	n     int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	f := &fixture{t: t, mp: mailtest.Start(t), clk: &clock{now: day0}}
	st, err := sqlite.Open(dir, sqlite.Options{Clock: f.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.store = st
	f.svc = billing.New(billing.Config{Store: st, Now: f.clk.Now})
	db, err := rmdb.OpenSQLite(filepath.Join(dir, "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if f.idx, err = billingrun.OpenIndexOn(ctx, st, db, projections.RunnerOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.idx.Close() })
	smtp, err := mail.ParseSMTPURL("smtp://" + f.mp.SMTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	f.ob, err = emailer.New(emailer.Config{Store: st, Mailer: mail.NewSMTP(smtp), From: "accounts@ledger.example", Now: f.clk.Now,
		LinkFor: func(purpose string, _, resource uuid.UUID) string {
			return "https://ledger.example/" + purpose + "/" + resource.String()
		}})
	if err != nil {
		t.Fatal(err)
	}
	f.ok(f.svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14}, f.meta()))
	return f
}

func (f *fixture) meta() billing.Meta {
	f.n++
	return billing.Meta{Actor: "owner@ledger.example", CommandID: fmt.Sprintf("cmd-%d", f.n)}
}

func (f *fixture) ok(res billing.Result, err error) billing.Result {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("command failed: %v", err)
	}
	return res
}

func (f *fixture) cfg() priceincreases.Config {
	return priceincreases.Config{Billing: f.svc, Models: f.idx.Models(), UpToDate: f.idx.Update}
}

func (f *fixture) client(name, email string, tags ...string) uuid.UUID {
	f.t.Helper()
	ctx := context.Background()
	id := f.ok(f.svc.CreateClient(ctx, billing.ClientRequest{Name: name, Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: strings.Fields(name)[0] + " Contact", Email: email}}}, f.meta())).ID
	if len(tags) > 0 {
		f.ok(f.svc.ChangeClientTags(ctx, billing.ClientTagsRequest{ClientID: id, Tags: tags}, f.meta()))
	}
	return id
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func (f *fixture) service(clientID uuid.UUID, name, price, qty string, freq domain.Frequency, interval int, start domain.Date) uuid.UUID {
	f.t.Helper()
	return f.ok(f.svc.ActivateService(context.Background(), billing.ServiceRequest{ClientID: clientID, Name: name, UnitPrice: d(price), Quantity: d(qty),
		BillingRule: domain.BillingRule{Frequency: freq, Interval: interval, Start: domain.StartOnDate, StartDate: start, End: domain.EndNever},
		Automatic:   true}, f.meta())).ID
}

func (f *fixture) today() domain.Date { return domain.DateOf(f.clk.Now(), sydney) }

// day moves the clock to day n, runs the billing run and the price
// increases job for it, and lets the outbox send.
func (f *fixture) day(n int) priceincreases.Report {
	f.t.Helper()
	ctx := context.Background()
	f.clk.set(day0.AddDate(0, 0, n))
	if rep, err := billingrun.Run(ctx, f.store, f.svc, f.today(), billingrun.Options{Index: f.idx}); err != nil || len(rep.Errors) > 0 {
		f.t.Fatalf("billing run %s: %v %v", f.today(), err, rep.Errors)
	}
	rep, err := priceincreases.Run(ctx, f.cfg(), f.today())
	if err != nil || len(rep.Errors) > 0 {
		f.t.Fatalf("price increases job %s: %v %v", f.today(), err, rep.Errors)
	}
	f.mail()
	return rep
}

func (f *fixture) mail() {
	f.t.Helper()
	if err := f.ob.CatchUp(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) head() uint64 {
	f.t.Helper()
	h, err := f.store.Head(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

// billed returns the unit price a service's item dated on was invoiced at.
func (f *fixture) billed(serviceID uuid.UUID, on domain.Date) decimal.Decimal {
	f.t.Helper()
	if err := f.idx.Update(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	st, _, ok := f.idx.Service(serviceID)
	if !ok {
		f.t.Fatalf("no service %s", serviceID)
	}
	for _, it := range st.Schedule(on) {
		if it.Date == on {
			if it.InvoiceID == uuid.Nil {
				f.t.Fatalf("the item of %s is not invoiced (%s)", on, it.Status)
			}
			inv, ok := f.idx.Invoice(it.InvoiceID)
			if !ok {
				f.t.Fatalf("no invoice %s", it.InvoiceID)
			}
			return inv.Lines[0].UnitPrice.Amount
		}
	}
	f.t.Fatalf("service %s has no item on %s", serviceID, on)
	return decimal.Zero
}

// TestBulkIncreaseDryRunApplyNoticesAndNextBilling is the scenario:
// a 10 % increase of every service of the clients tagged "retainer",
// effective 1 April with 14 days' notice. The dry run's figures are the
// hand-computed ones and it appends nothing; applied, nothing is emailed
// before 18 March, each client's notice arrives in mailpit on 18 March (once,
// with its old and new prices), and the billings on and after 1 April are
// invoiced at the new prices while March's were at the old ones.
func TestBulkIncreaseDryRunApplyNoticesAndNextBilling(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	acme := f.client("Acme Pty Ltd", "ann@acme.example", "Retainer", "payroll")
	beta := f.client("Beta Bakery", "bob@beta.example", "retainer")
	gamma := f.client("Gamma Gym", "gus@gamma.example")
	books := f.service(acme, "Bookkeeping", "100", "1", domain.FrequencyMonths, 0, domain.MustDate(2026, 3, 5))
	bas := f.service(acme, "BAS", "300", "1", domain.FrequencyMonths, 3, domain.MustDate(2026, 3, 10))
	payroll := f.service(beta, "Payroll", "70", "2", domain.FrequencyWeeks, 0, domain.MustDate(2026, 3, 6))
	gym := f.service(gamma, "Gym books", "200", "1", domain.FrequencyMonths, 0, domain.MustDate(2026, 3, 5))
	f.mail()

	req := billing.PriceIncreaseRequest{Filter: pi.Filter{Tag: "retainer"}, Increase: pi.Increase{Kind: pi.Percent, Value: d("10")},
		Rounding: pi.RoundCent, EffectiveFrom: domain.MustDate(2026, 4, 1), NoticeDays: 14}

	// The dry run.
	before := f.head()
	p, err := priceincreases.Plan(ctx, f.cfg(), req)
	if err != nil {
		t.Fatal(err)
	}
	if after := f.head(); after != before {
		t.Fatalf("the dry run moved the store's head from %d to %d", before, after)
	}
	// By hand: Bookkeeping 100 → 110 a month (+10 a month, +120 a year);
	// BAS 300 → 330 a quarter (+30 × 4 = +120 a year, +10 a month);
	// Payroll 2 × 70 → 2 × 77 a week (+14 × 52 = +728 a year, +60.67 a
	// month). Acme: +20 and +240; Beta: +60.67 and +728; in all +80.67 a
	// month and +968 a year. Gamma is not tagged.
	type row struct{ name, old, new, month, year string }
	var got []row
	for _, s := range p.Services {
		got = append(got, row{s.ServiceName, s.OldUnitPrice.String(), s.NewUnitPrice.String(), s.MonthlyChange.StringFixed(2), s.YearlyChange.StringFixed(2)})
	}
	want := []row{{"BAS", "300", "330", "10.00", "120.00"}, {"Bookkeeping", "100", "110", "10.00", "120.00"}, {"Payroll", "70", "77", "60.67", "728.00"}}
	if !slices.Equal(got, want) {
		t.Errorf("dry run services\n got %v\nwant %v", got, want)
	}
	if len(p.Clients) != 2 || p.Clients[0].ClientID != acme || !p.Clients[0].MonthlyChange.Equal(d("20")) || !p.Clients[0].YearlyChange.Equal(d("240")) ||
		p.Clients[0].ContactEmail != "ann@acme.example" || p.Clients[1].ClientID != beta || !p.Clients[1].MonthlyChange.Equal(d("60.67")) ||
		p.Clients[1].ContactEmail != "bob@beta.example" {
		t.Errorf("dry run clients %+v", p.Clients)
	}
	if len(p.Totals) != 1 || !p.Totals[0].MonthlyChange.Equal(d("80.67")) || !p.Totals[0].YearlyChange.Equal(d("968")) {
		t.Errorf("dry run totals %+v, want +80.67 a month and +968 a year", p.Totals)
	}
	if p.NoticeOn != domain.MustDate(2026, 3, 18) {
		t.Errorf("notices on %s, want 2026-03-18", p.NoticeOn)
	}
	// Bookkeeping's items from 1 April for a year: 5 April 2026 … 5 March 2027.
	items := p.Services[1].Items
	if len(items) != 12 || items[0].Date != domain.MustDate(2026, 4, 5) || !items[0].OldUnitPrice.Equal(d("100")) || !items[0].NewUnitPrice.Equal(d("110")) {
		t.Errorf("bookkeeping's items %+v, want 12 from 2026-04-05 at 100 → 110", items)
	}
	if p.Services[0].ServiceID != bas || p.Services[2].ServiceID != payroll {
		t.Errorf("services out of order")
	}
	// A dry run refuses what Apply refuses, naming the field.
	bad := req
	bad.EffectiveFrom = domain.MustDate(2026, 3, 10)
	if _, err := priceincreases.Plan(ctx, f.cfg(), bad); domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(err.Error(), "notice_days") {
		t.Errorf("a notice date in the past: %v, want a refusal naming notice_days", err)
	}
	if after := f.head(); after != before {
		t.Fatalf("a refused dry run moved the head")
	}

	// Apply, twice under the same command id: one batch.
	meta := f.meta()
	res, _, err := priceincreases.Apply(ctx, f.cfg(), req, meta)
	if err != nil {
		t.Fatal(err)
	}
	if again, _, err := priceincreases.Apply(ctx, f.cfg(), req, meta); err != nil || !again.AlreadyApplied {
		t.Errorf("apply again: %+v %v, want already applied", again, err)
	}
	f.mail()
	if err := f.idx.Update(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := f.idx.Models().PriceIncrease(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.State.ApprovedBy != "owner@ledger.example" || len(v.State.Services) != 3 || v.State.Status(f.today()) != "scheduled" {
		t.Errorf("batch %+v", v.State)
	}

	for n := 1; n <= 35; n++ {
		rep := f.day(n)
		today := f.today()
		notices := len(f.received("Your prices from"))
		switch {
		case today.Before(domain.MustDate(2026, 3, 18)) && notices != 0:
			t.Fatalf("%s: %d notices before the notice date", today, notices)
		case today == domain.MustDate(2026, 3, 18) && rep.Sent != 2:
			t.Errorf("%s: %d notices recorded, want 2", today, rep.Sent)
		case today.After(domain.MustDate(2026, 3, 18)) && rep.Sent != 0:
			t.Errorf("%s: %d notices recorded again", today, rep.Sent)
		}
	}
	if got := f.received("Your prices from"); !slices.Equal(got, []string{"ann@acme.example", "bob@beta.example"}) {
		t.Errorf("notices went to %v, want Ann and Bob once each", got)
	}
	for _, s := range f.mp.Messages() {
		if !strings.Contains(s.Subject, "Your prices from") || s.To[0].Address != "ann@acme.example" {
			continue
		}
		m := f.mp.Message(s.ID)
		for _, want := range []string{"Bookkeeping: 100.00 AUD → 110.00 AUD a month", "BAS: 300.00 AUD → 330.00 AUD a quarter", "1 April 2026"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("Ann's notice does not say %q:\n%s", want, m.Text)
			}
		}
		if strings.Contains(m.Text, "Payroll") {
			t.Errorf("Ann's notice lists Beta's payroll:\n%s", m.Text)
		}
	}

	// March at the old prices, April at the new; Gamma unchanged.
	for _, c := range []struct {
		id   uuid.UUID
		on   domain.Date
		want string
	}{
		{books, domain.MustDate(2026, 3, 5), "100"}, {books, domain.MustDate(2026, 4, 5), "110"},
		{bas, domain.MustDate(2026, 3, 10), "300"},
		{payroll, domain.MustDate(2026, 3, 27), "70"}, {payroll, domain.MustDate(2026, 4, 3), "77"},
		{gym, domain.MustDate(2026, 4, 5), "200"},
	} {
		if got := f.billed(c.id, c.on); !got.Equal(d(c.want)) {
			t.Errorf("service %s billed on %s at %s, want %s", c.id, c.on, got, c.want)
		}
	}

	// Past its effective date a batch cannot be cancelled.
	if _, err := f.svc.CancelPriceIncrease(ctx, res.ID, "too late", f.meta()); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("cancel after the effective date: %v, want a conflict", err)
	}
}

func (f *fixture) received(subject string) []string {
	var out []string
	for _, m := range f.mp.Messages() {
		if strings.Contains(m.Subject, subject) {
			for _, to := range m.To {
				out = append(out, to.Address)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestCancelPutsOldPricesBackAndSendsNoNotice: a batch cancelled before its
// notice date sends no notice and the billings after its effective date
// are at the old price; a single service's price change made with "notify
// the client" emails the client its old and new price.
func TestCancelPutsOldPricesBackAndSendsNoNotice(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	gamma := f.client("Gamma Gym", "gus@gamma.example", "vip")
	gym := f.service(gamma, "Gym books", "200", "1", domain.FrequencyMonths, 0, domain.MustDate(2026, 3, 5))
	req := billing.PriceIncreaseRequest{Filter: pi.Filter{ClientIDs: []uuid.UUID{gamma}}, Increase: pi.Increase{Kind: pi.Amount, Value: d("12")},
		Rounding: pi.RoundTen, EffectiveFrom: domain.MustDate(2026, 4, 1), NoticeDays: 7, ApprovedBy: "Olivia Owner"}
	res, p, err := priceincreases.Apply(ctx, f.cfg(), req, f.meta())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Services) != 1 || !p.Services[0].NewUnitPrice.Equal(d("220")) {
		t.Fatalf("plan %+v, want 200 + 12 rounded up to 220", p.Services)
	}
	f.day(10)
	f.ok(f.svc.CancelPriceIncrease(ctx, res.ID, "held over", f.meta()))
	for n := 11; n <= 35; n++ {
		f.day(n)
	}
	if got := f.received("Your prices from"); len(got) != 0 {
		t.Errorf("a cancelled batch sent notices to %v", got)
	}
	if got := f.billed(gym, domain.MustDate(2026, 4, 5)); !got.Equal(d("200")) {
		t.Errorf("April billed at %s after the cancel, want 200", got)
	}
	v, err := f.idx.Models().PriceIncrease(ctx, res.ID)
	if err != nil || v.State.Status(f.today()) != "cancelled" || v.State.Reason != "held over" {
		t.Errorf("batch after cancel %+v %v", v.State, err)
	}

	// One service, with notify: the same email.
	price := d("215")
	f.ok(f.svc.EditService(ctx, billing.EditServiceRequest{ServiceID: gym, EffectiveFrom: domain.MustDate(2026, 5, 5),
		Changes: service.Changes{UnitPrice: &price}, NotifyClientOfPriceChange: true}, f.meta()))
	f.mail()
	if got := f.received("Your prices from Ledger & Co change on 5 May 2026"); !slices.Equal(got, []string{"gus@gamma.example"}) {
		t.Fatalf("price change notices to %v, want Gus", got)
	}
	m := f.mp.Message(f.mp.Messages()[0].ID)
	if !strings.Contains(m.Text, "Gym books: 200.00 AUD → 215.00 AUD a month") {
		t.Errorf("the price change email says:\n%s", m.Text)
	}
}

// TestCancelLeavesPricesChangedByHand: a 10 % increase of two services from
// 1 April; on 12 March staff set Delta's price to 345 from 1 April by hand.
// Cancelled on 20 March, Echo's service goes back to 100 and Delta's keeps
// the 345 staff chose; the cancel lists Delta's service as left as changed
// by hand, and a second settle (the daily job) changes nothing.
func TestCancelLeavesPricesChangedByHand(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	delta := f.client("Delta Dental", "dee@delta.example")
	echo := f.client("Echo Electric", "eve@echo.example")
	dsvc := f.service(delta, "Dental books", "300", "1", domain.FrequencyMonths, 0, domain.MustDate(2026, 3, 6))
	esvc := f.service(echo, "Electric books", "100", "1", domain.FrequencyMonths, 0, domain.MustDate(2026, 3, 6))
	req := billing.PriceIncreaseRequest{Filter: pi.Filter{ClientIDs: []uuid.UUID{delta, echo}}, Increase: pi.Increase{Kind: pi.Percent, Value: d("10")},
		Rounding: pi.RoundCent, EffectiveFrom: domain.MustDate(2026, 4, 1), NoticeDays: 7, ApprovedBy: "Olivia Owner"}
	res, _, err := priceincreases.Apply(ctx, f.cfg(), req, f.meta())
	if err != nil {
		t.Fatal(err)
	}
	f.day(10)
	byHand := d("345")
	f.ok(f.svc.EditService(ctx, billing.EditServiceRequest{ServiceID: dsvc, EffectiveFrom: domain.MustDate(2026, 4, 1),
		Changes: service.Changes{UnitPrice: &byHand}}, f.meta()))
	f.day(18)
	f.ok(f.svc.CancelPriceIncrease(ctx, res.ID, "client pushback", f.meta()))
	head := f.head()
	if _, err := f.svc.SettlePriceIncrease(ctx, res.ID, f.meta()); err != nil {
		t.Fatal(err)
	}
	if h := f.head(); h != head {
		t.Errorf("settling the cancelled batch again appended %d events", h-head)
	}
	for n := 19; n <= 36; n++ {
		f.day(n)
	}
	if got := f.billed(dsvc, domain.MustDate(2026, 4, 6)); !got.Equal(d("345")) {
		t.Errorf("Delta's April billed at %s, want the 345 set by hand", got)
	}
	if got := f.billed(esvc, domain.MustDate(2026, 4, 6)); !got.Equal(d("100")) {
		t.Errorf("Echo's April billed at %s, want its old 100", got)
	}
	v, err := f.idx.Models().PriceIncrease(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	left := v.State.LeftAsChanged
	if len(left) != 1 || left[0].ServiceID != dsvc || !left[0].Price.Equal(d("345")) || left[0].ClientName != "Delta Dental" {
		t.Errorf("left as changed by hand: %+v, want Delta's service at 345", left)
	}
	// Each affected service's activity tells the batch.
	lines, err := f.idx.Models().ActivityOf(ctx, projections.SubjectService, esvc)
	if err != nil {
		t.Fatal(err)
	}
	var act strings.Builder
	for _, l := range lines {
		act.WriteString(l.Text + "\n")
	}
	if !strings.Contains(act.String(), "Bulk price increase of 10 % approved by Olivia Owner: new prices from 1 Apr 2026, notices on 25 Mar 2026 (2 services)") {
		t.Errorf("Echo's service activity:\n%s", act.String())
	}
}
