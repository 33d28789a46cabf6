package dunning_test

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
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/service"
	"remit/eventstore/sqlite"
	"remit/formats/pdf"
	"remit/integrations/mail"
	"remit/integrations/mail/mailtest"
	"remit/integrations/payments"
	"remit/processes/billingrun"
	"remit/processes/dunning"
	"remit/processes/emailer"
	"remit/projections"
	"remit/projections/rmdb"
)

var sydney, _ = time.LoadLocation("Australia/Sydney")

// clock is the injected clock; the tests move it a day at a time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// decliningGateway is a card gateway whose every charge is declined.
type decliningGateway struct {
	mu      sync.Mutex
	charges int
}

func (*decliningGateway) Name() string { return "sandbox" }

func (g *decliningGateway) Charge(_ context.Context, req payments.ChargeRequest) (payments.ChargeResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.charges++
	return payments.ChargeResult{Status: payments.StatusRejected, Reference: "ch_" + req.IdempotencyKey, DeclineCode: "insufficient_funds", Message: "Your card has insufficient funds."}, nil
}

// fixture is a firm in Sydney (payment terms 14 days) with one client (Ana
// the primary billing contact) on a real embedded store, its read models in
// a SQLite file, the serve scheduler (billing run, collection through a
// gateway that declines every charge, then the dunning job), the outbox
// sending to a mailpit, and the clock on day 0: 2 March 2026, 9:00.
type fixture struct {
	t        *testing.T
	svc      *billing.Service
	clk      *clock
	mp       *mailtest.Mailpit
	idx      *billingrun.Index
	ob       *emailer.Outbox
	sched    *billingrun.Scheduler
	gw       *decliningGateway
	clientID uuid.UUID
	n        int
	reports  []dunning.Report
	// noDunning makes the day's runs skip the dunning job (a node that
	// crashed after collection).
	noDunning bool
	// pageSize is the job's Config.PageSize.
	pageSize int
}

var day0 = time.Date(2026, 3, 2, 9, 0, 0, 0, sydney)

func newFixture(t *testing.T, policy firm.DunningPolicy) *fixture {
	t.Helper()
	ctx := context.Background()
	mp := mailtest.Start(t)
	dir := t.TempDir()
	f := &fixture{t: t, mp: mp, clk: &clock{now: day0}, gw: &decliningGateway{}}
	st, err := sqlite.Open(dir, sqlite.Options{Clock: f.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
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
	smtp, err := mail.ParseSMTPURL("smtp://" + mp.SMTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	f.ob, err = emailer.New(emailer.Config{Store: st, Mailer: mail.NewSMTP(smtp), From: "accounts@ledger.example", Now: f.clk.Now,
		LinkFor: func(purpose string, _, resource uuid.UUID) string {
			return "https://ledger.example/" + purpose + "/" + resource.String()
		}, Collections: f.idx.Models().Collections})
	if err != nil {
		t.Fatal(err)
	}
	f.sched = &billingrun.Scheduler{Store: st, Billing: f.svc, Index: f.idx, Gateway: f.gw, Now: f.clk.Now}
	f.sched.Jobs = append(f.sched.Jobs, func(ctx context.Context, asOf domain.Date) ([]billingrun.Done, error) {
		if f.noDunning {
			f.reports = append(f.reports, dunning.Report{})
			return nil, nil
		}
		rep, err := dunning.Run(ctx, dunning.Config{Billing: f.svc, Models: f.idx.Models(), UpToDate: f.idx.Update, PageSize: f.pageSize}, asOf)
		if len(rep.Errors) > 0 {
			t.Errorf("dunning job %s: %v", asOf, rep.Errors)
		}
		f.reports = append(f.reports, rep)
		return nil, err
	})
	f.ok(f.svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14}, f.meta()))
	f.ok(f.svc.ChangeDunningPolicy(ctx, policy, f.meta()))
	ana := uuid.New()
	f.clientID = f.ok(f.svc.CreateClient(ctx, billing.ClientRequest{
		Name: "Harbour Cafe", Kind: client.KindBusiness, PrimaryContactID: ana,
		Contacts: []client.Contact{{ID: ana, Name: "Ana Lima", Email: "ana@harbour.example"}},
	}, f.meta())).ID
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

// day moves the clock to day n and runs the day as serve does: the billing
// run, collection, the dunning job; then again (a second node, a restart),
// and lets the outbox send what was recorded. It returns the first run's
// dunning report.
func (f *fixture) day(n int) dunning.Report {
	f.t.Helper()
	ctx := context.Background()
	f.clk.set(day0.AddDate(0, 0, n))
	f.reports = nil
	for range 2 {
		if res := f.sched.RunOnce(ctx, f.idx, f.clk.Now()); res.Err != nil {
			f.t.Fatalf("day %d: %v", n, res.Err)
		}
	}
	if again := f.reports[1]; again.Reminded+again.Exhausted+again.Switched+again.WrittenOff+again.Digest != 0 {
		f.t.Errorf("day %d: the second run took steps again: %+v", n, again)
	}
	if err := f.ob.CatchUp(ctx); err != nil {
		f.t.Fatal(err)
	}
	return f.reports[0]
}

func (f *fixture) invoice(id uuid.UUID) invoice.State {
	f.t.Helper()
	if err := f.idx.Update(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	m, err := f.idx.Models().InvoicesByID(context.Background(), []uuid.UUID{id})
	if err != nil {
		f.t.Fatal(err)
	}
	return m[id]
}

// received lists the recipients of every message whose subject holds
// subject, sorted.
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

func (f *fixture) activity(invoiceID uuid.UUID) string {
	f.t.Helper()
	lines, err := f.idx.Models().ActivityOf(context.Background(), projections.SubjectInvoice, invoiceID)
	if err != nil {
		f.t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Text + "\n")
	}
	return b.String()
}

// TestRetriesRunOutThenManualAndWriteOff walks a monthly service's first
// invoice through the firm's policy (retry 2 and 4 days after the first
// rejection; staff told of each failure; when the retries run out, the
// client's services switched to manual, a final notice, a write-off 10 days
// later) a day at a time with the injected clock, running each day twice.
func TestRetriesRunOutThenManualAndWriteOff(t *testing.T) {
	f := newFixture(t, firm.DunningPolicy{
		RetryAfterDays: []int{2, 4}, EmailClientOnRejection: true, EmailClientFinalNotice: true,
		NotifyStaffOnFailure: true, StaffEmails: []string{"ar@ledger.example"},
		FinalAction: firm.FinalSwitchToManual, WriteOffAfterDays: 10,
	})
	ctx := context.Background()
	method := f.ok(f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: f.clientID, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: "pm_card_chargeDeclined", Brand: "visa", Last4: "0002", ExpiryMonth: 12, ExpiryYear: 2034,
	}}, f.meta())).ID
	serviceID := f.ok(f.svc.ActivateService(ctx, billing.ServiceRequest{ClientID: f.clientID, Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(300), Quantity: decimal.NewFromInt(1),
		TaxRate: decimal.NewFromInt(10), Automatic: true, PaymentMethodID: method,
		BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnDate, StartDate: domain.DateOf(day0, sydney), End: domain.EndNever}}, f.meta())).ID

	exhausted := map[int]int{}
	var invoiceID uuid.UUID
	for d := 0; d <= 15; d++ {
		rep := f.day(d)
		exhausted[d] = rep.Exhausted
		if d == 0 {
			ids, err := f.idx.Models().ListInvoices(ctx, projections.InvoiceQuery{ClientID: f.clientID})
			if err != nil || len(ids.Items) != 1 {
				t.Fatalf("day 0: invoices %+v, %v; want the service's first", ids, err)
			}
			invoiceID = ids.Items[0].ID
		}
		if d == 4 && (rep.Exhausted != 1 || rep.Switched != 1) {
			t.Errorf("day 4, the last retry rejected: %+v, want the retries run out and the service switched to manual", rep)
		}
		if d == 14 && rep.WrittenOff != 1 {
			t.Errorf("day 14: %+v, want the invoice written off", rep)
		}
		if d != 14 && rep.WrittenOff != 0 {
			t.Errorf("day %d: written off before its date", d)
		}
	}
	if f.gw.charges != 3 {
		t.Errorf("%d charges, want the first and two retries", f.gw.charges)
	}
	for d, n := range exhausted {
		if n != 0 && d != 4 {
			t.Errorf("day %d: retries ran out again", d)
		}
	}
	st := f.invoice(invoiceID)
	if st.Status != invoice.StatusWrittenOff || !st.DunningExhausted || st.DunningExhaustedOn != domain.DateOf(day0, sydney).AddDays(4) {
		t.Errorf("invoice %s: %s, exhausted %v on %s; want written off after the retries ran out on day 4", st.Number, st.Status, st.DunningExhausted, st.DunningExhaustedOn)
	}
	sv, err := f.idx.Models().ServicesByID(ctx, []uuid.UUID{serviceID})
	if err != nil || sv[serviceID].State.Terms.Mode != service.Manual {
		t.Errorf("the client's service bills %s, want manual after the retries ran out (%v)", sv[serviceID].State.Terms.Mode, err)
	}

	if got := f.received("was declined"); !slices.Equal(got, []string{"ana@harbour.example", "ana@harbour.example", "ana@harbour.example"}) {
		t.Errorf("rejection emails to %v, want Ana for each of the three", got)
	}
	if got := f.received("Payment failed: invoice"); !slices.Equal(got, []string{"ar@ledger.example", "ar@ledger.example", "ar@ledger.example"}) {
		t.Errorf("staff failure notices to %v, want ar@ for each of the three", got)
	}
	if got := f.received("Final notice"); !slices.Equal(got, []string{"ana@harbour.example"}) {
		t.Fatalf("final notices to %v, want Ana once", got)
	}
	for _, s := range f.mp.Messages() {
		if strings.Contains(s.Subject, "Final notice") {
			m := f.mp.Message(s.ID)
			for _, want := range []string{"https://ledger.example/pay_invoice/" + invoiceID.String(), "https://ledger.example/update_method/" + invoiceID.String(), "16 March 2026"} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("the final notice does not say %q:\n%s", want, m.Text)
				}
			}
		}
	}
	act := f.activity(invoiceID)
	for _, want := range []string{"automatic retries ran out on 6 Mar 2026; the client's services switched to manual billing; to be written off on 16 Mar 2026; final notice emailed to ana@harbour.example", "written off"} {
		if !strings.Contains(act, want) {
			t.Errorf("the invoice's activity does not tell %q:\n%s", want, act)
		}
	}
}

// TestRemindersStopWhenTheClientPays: an invoice not collected
// automatically (the client has no payment method) is reminded 3 days
// before its due date and on it; the client pays on day 16, and the
// reminder 7 days after the due date is never sent, and the decider refuses
// it. Another invoice whose reminders staff paused gets none until resumed,
// then the latest step due at once (the one before it, missed while
// paused, is not sent late), and the next on its day.
func TestRemindersStopWhenTheClientPays(t *testing.T) {
	f := newFixture(t, firm.DunningPolicy{
		RetryAfterDays: []int{3, 5, 7}, EmailClientOnRejection: true, FinalAction: firm.FinalLeave,
		RemindBeforeDue: []int{3}, RemindOnDue: true, RemindAfterDue: []int{7},
	})
	ctx := context.Background()
	bill := func(desc string) uuid.UUID {
		return f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: f.clientID, Lines: []billing.InstantLine{{
			Description: desc, Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(500), TaxRate: decimal.NewFromInt(10),
		}}}, f.meta())).ID
	}
	paid, held := bill("Year-end accounts"), bill("Tax return")
	f.ok(f.svc.PauseReminders(ctx, billing.InvoiceRequest{InvoiceID: held, Reason: "Client disputes the hours"}, f.meta()))

	reminded := map[int]int{}
	for d := 0; d <= 24; d++ {
		if d == 16 {
			f.ok(f.svc.RecordOfflinePayment(ctx, billing.InvoiceRequest{InvoiceID: paid, Amount: decimal.NewFromInt(550), Method: invoice.PaidByBankTransfer, Date: domain.DateOf(day0, sydney).AddDays(16)}, f.meta()))
		}
		if d == 18 {
			f.ok(f.svc.ResumeReminders(ctx, billing.InvoiceRequest{InvoiceID: held}, f.meta()))
		}
		reminded[d] = f.day(d).Reminded
	}
	// Due on day 14: day 11 (3 before) and day 14 for the unpaused one;
	// after resuming on day 18, the paused one gets the on-due step that
	// day (not the one 3 days before) and the step of day 21; the paid one
	// nothing after its payment.
	want := map[int]int{11: 1, 14: 1, 18: 1, 21: 1}
	for d := 0; d <= 24; d++ {
		if reminded[d] != want[d] {
			t.Errorf("day %d: %d reminders, want %d", d, reminded[d], want[d])
		}
	}
	if got := f.received("Reminder: invoice"); len(got) != 4 {
		t.Errorf("reminder emails to %v, want four to Ana", got)
	}
	for _, s := range f.mp.Messages() {
		if strings.Contains(s.Subject, "Reminder: invoice") {
			m := f.mp.Message(s.ID)
			if !strings.Contains(m.Text, "https://ledger.example/pay_invoice/") || !strings.Contains(m.Text, "550.00 AUD") {
				t.Errorf("a reminder without the pay-now link or the balance:\n%s", m.Text)
			}
		}
	}
	if act := f.activity(paid); !strings.Contains(act, "reminder (3 days before the due date) emailed to ana@harbour.example") ||
		!strings.Contains(act, "reminder (on the due date) emailed") || strings.Contains(act, "after the due date") {
		t.Errorf("the paid invoice's activity:\n%s", act)
	}
	if act := f.activity(held); !strings.Contains(act, "reminders paused: Client disputes the hours") || !strings.Contains(act, "reminders resumed") ||
		!strings.Contains(act, "7 days after the due date") || !strings.Contains(act, "on the due date") ||
		!strings.Contains(act, "skipped: 3 days before the due date (due 13 Mar 2026; reminders were paused)") {
		t.Errorf("the paused invoice's activity:\n%s", act)
	}
	// A payment stops the sequence in the decider too.
	_, err := f.svc.SendDunningReminder(ctx, billing.DunningReminder{InvoiceID: paid, Step: "after_due:7", To: "ana@harbour.example", Date: domain.DateOf(day0, sydney).AddDays(21)}, f.meta())
	if domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("a reminder of a paid invoice: %v, want a conflict", err)
	}
}

// TestRejectionEmailsFollowThePolicy: with the client's rejection email
// turned off and staff notices on (no staff address of its own: the
// sending address), a rejected payment emails the staff and not the client.
func TestRejectionEmailsFollowThePolicy(t *testing.T) {
	f := newFixture(t, firm.DunningPolicy{RetryAfterDays: []int{}, NotifyStaffOnFailure: true, FinalAction: firm.FinalLeave})
	ctx := context.Background()
	method := f.ok(f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: f.clientID, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: "pm_card_chargeDeclined", Brand: "visa", Last4: "0002", ExpiryMonth: 12, ExpiryYear: 2034,
	}}, f.meta())).ID
	f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: f.clientID, PaymentMethodID: method, Lines: []billing.InstantLine{{
		Description: "Advice", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(200), TaxRate: decimal.NewFromInt(10),
	}}}, f.meta()))
	if rep := f.day(0); rep.Exhausted != 1 {
		t.Errorf("day 0: %+v, want the retries (none) run out", rep)
	}
	if got := f.received("was declined"); len(got) != 0 {
		t.Errorf("the client was emailed the rejection (%v) though the policy says not to", got)
	}
	if got := f.received("Payment failed: invoice"); !slices.Equal(got, []string{"accounts@ledger.example"}) {
		t.Errorf("staff failure notices to %v, want the sending address", got)
	}
	if got := f.received("Final notice"); len(got) != 0 {
		t.Errorf("final notices to %v, want none (not asked for)", got)
	}
}

// TestDailyDigestToStaff turns the daily digest on (two staff addresses)
// and walks 21 days: an invoice billed by hand falls due on day 14 and is
// overdue from day 15; a card service starting on day 16 is declined that
// day; the client pays both on day 18. Each day runs twice; the staff get
// exactly one digest each on days 15, 16 and 17 and none before or after,
// listing the right invoices.
func TestDailyDigestToStaff(t *testing.T) {
	f := newFixture(t, firm.DunningPolicy{
		RetryAfterDays: []int{3, 5, 7}, EmailClientOnRejection: true, FinalAction: firm.FinalLeave,
		StaffEmails: []string{"ar@ledger.example", "boss@ledger.example"}, DailyDigest: true,
	})
	ctx := context.Background()
	byHand := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: f.clientID, Lines: []billing.InstantLine{{
		Description: "Year-end accounts", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(500), TaxRate: decimal.NewFromInt(10),
	}}}, f.meta())).ID
	digests := map[int]int{}
	var declined uuid.UUID
	for d := 0; d <= 20; d++ {
		switch d {
		case 16:
			method := f.ok(f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: f.clientID, Method: client.PaymentMethodDetails{
				Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: "pm_card_chargeDeclined", Brand: "visa", Last4: "0002", ExpiryMonth: 12, ExpiryYear: 2034,
			}}, f.meta())).ID
			f.ok(f.svc.ActivateService(ctx, billing.ServiceRequest{ClientID: f.clientID, Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(300), Quantity: decimal.NewFromInt(1),
				TaxRate: decimal.NewFromInt(10), Automatic: true, PaymentMethodID: method,
				BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnDate, StartDate: domain.DateOf(day0, sydney).AddDays(16), End: domain.EndNever}}, f.meta()))
		case 18:
			on := domain.DateOf(day0, sydney).AddDays(18)
			f.ok(f.svc.RecordOfflinePayment(ctx, billing.InvoiceRequest{InvoiceID: byHand, Amount: decimal.NewFromInt(550), Method: invoice.PaidByBankTransfer, Date: on}, f.meta()))
			f.ok(f.svc.RecordOfflinePayment(ctx, billing.InvoiceRequest{InvoiceID: declined, Amount: decimal.NewFromInt(330), Method: invoice.PaidByBankTransfer, Date: on}, f.meta()))
		}
		digests[d] = f.day(d).Digest
		if d == 16 {
			ids, err := f.idx.Models().ListInvoices(ctx, projections.InvoiceQuery{ClientID: f.clientID})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range ids.Items {
				if it.ID != byHand {
					declined = it.ID
				}
			}
		}
	}
	for d := 0; d <= 20; d++ {
		want := 0
		if d >= 15 && d <= 17 {
			want = 1
		}
		if digests[d] != want {
			t.Errorf("day %d: %d digests recorded, want %d", d, digests[d], want)
		}
	}
	subject := func(d int) string {
		return "Payment chasing, " + pdf.FormatDate(domain.DateOf(day0, sydney).AddDays(d))
	}
	var all []string
	for d := 0; d <= 20; d++ {
		got := f.received(subject(d))
		all = append(all, got...)
		if d >= 15 && d <= 17 && !slices.Equal(got, []string{"ar@ledger.example", "boss@ledger.example"}) {
			t.Errorf("day %d: digest emailed to %v, want each staff address once", d, got)
		}
	}
	if got := f.received("Payment chasing, "); len(got) != 6 || len(all) != 6 {
		t.Errorf("%d digests emailed (%d on the days expected), want 6: two staff on three days", len(got), len(all))
	}
	inv := func(id uuid.UUID) string { return f.invoice(id).Number }
	texts := map[int]string{}
	for _, s := range f.mp.Messages() {
		for d := 15; d <= 17; d++ {
			if strings.Contains(s.Subject, subject(d)) {
				texts[d] = s.Subject + "\n" + f.mp.Message(s.ID).Text
			}
		}
	}
	checks := map[int][]string{
		15: {"0 failed, 1 overdue", inv(byHand) + ", Harbour Cafe, 550.00 AUD, 1 day overdue", "1 to 30 days overdue: 550.00 AUD", "https://ledger.example/collections/"},
		16: {"1 failed, 1 overdue", inv(declined) + ", Harbour Cafe, 330.00 AUD: Your card has insufficient funds.; next retry 21 March 2026", inv(byHand) + ", Harbour Cafe, 550.00 AUD, 2 days overdue"},
		17: {"1 failed, 1 overdue", inv(declined), "3 days overdue"},
	}
	for d, wants := range checks {
		for _, w := range wants {
			if !strings.Contains(texts[d], w) {
				t.Errorf("day %d's digest does not say %q:\n%s", d, w, texts[d])
			}
		}
	}
	if strings.Contains(texts[15], "Bookkeeping") || strings.Contains(texts[15], inv(declined)) {
		t.Errorf("day 15's digest lists an invoice not yet failed:\n%s", texts[15])
	}
}

// TestJobThatDidNotRunStillActs: the dunning job does not run on the day
// the last retry is declined (day 4: the node crashed after collection),
// nor for the four days after. On day 9 it still takes the final action:
// the retries are recorded as run out on day 4 (when they did), the
// client's service is switched to manual, and the write-off due on day 7
// (3 days after) happens at once. Running day 9 again does nothing twice.
func TestJobThatDidNotRunStillActs(t *testing.T) {
	f := newFixture(t, firm.DunningPolicy{
		RetryAfterDays: []int{2, 4}, FinalAction: firm.FinalSwitchToManual, WriteOffAfterDays: 3,
	})
	ctx := context.Background()
	method := f.ok(f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: f.clientID, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: "pm_card_chargeDeclined", Brand: "visa", Last4: "0002", ExpiryMonth: 12, ExpiryYear: 2034,
	}}, f.meta())).ID
	serviceID := f.ok(f.svc.ActivateService(ctx, billing.ServiceRequest{ClientID: f.clientID, Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(300), Quantity: decimal.NewFromInt(1),
		TaxRate: decimal.NewFromInt(10), Automatic: true, PaymentMethodID: method,
		BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnDate, StartDate: domain.DateOf(day0, sydney), End: domain.EndNever}}, f.meta())).ID
	for _, d := range []int{0, 2} {
		f.day(d)
	}
	f.noDunning = true
	f.day(4) // the last retry is declined; the dunning job does not run
	f.noDunning = false
	ids, err := f.idx.Models().ListInvoices(ctx, projections.InvoiceQuery{ClientID: f.clientID})
	if err != nil || len(ids.Items) != 1 {
		t.Fatalf("invoices %+v, %v; want the service's first", ids, err)
	}
	invoiceID := ids.Items[0].ID
	if st := f.invoice(invoiceID); st.DunningExhausted {
		t.Fatalf("exhausted on day 4 without the job")
	}
	rep := f.day(9)
	if rep.Exhausted != 1 || rep.Switched != 1 || rep.WrittenOff != 1 {
		t.Errorf("day 9, the first run since the retries ran out: %+v, want run out, the service switched, the invoice written off", rep)
	}
	if f.gw.charges != 3 {
		t.Errorf("%d charges, want the first and two retries", f.gw.charges)
	}
	st := f.invoice(invoiceID)
	day4 := domain.DateOf(day0, sydney).AddDays(4)
	if st.Status != invoice.StatusWrittenOff || st.DunningExhaustedOn != day4 || st.WriteOffOn != day4.AddDays(3) {
		t.Errorf("invoice: %s, ran out on %s, write-off on %s; want written off, run out on %s, write-off %s", st.Status, st.DunningExhaustedOn, st.WriteOffOn, day4, day4.AddDays(3))
	}
	sv, err := f.idx.Models().ServicesByID(ctx, []uuid.UUID{serviceID})
	if err != nil || sv[serviceID].State.Terms.Mode != service.Manual {
		t.Errorf("the client's service bills %s, want manual (%v)", sv[serviceID].State.Terms.Mode, err)
	}
	if act := f.activity(invoiceID); !strings.Contains(act, "automatic retries ran out on 6 Mar 2026; the client's services switched to manual billing; to be written off on 9 Mar 2026") {
		t.Errorf("the invoice's activity:\n%s", act)
	}
	if again := f.day(10); again.Exhausted+again.Switched+again.WrittenOff != 0 {
		t.Errorf("day 10 acted again: %+v", again)
	}
}

// TestRemindersSkippedWhileTheJobDidNotRun: an invoice due on day 14, not
// collected automatically, with reminders 3 days before, on and 7 days
// after the due date. The job runs up to day 10, then not until day 22:
// that day only the latest step (7 days after) is sent; the two it missed
// are not sent late, and the reminder records them as skipped because the
// job did not run on their dates, which the invoice's activity says.
func TestRemindersSkippedWhileTheJobDidNotRun(t *testing.T) {
	f := newFixture(t, firm.DunningPolicy{
		RetryAfterDays: []int{3}, FinalAction: firm.FinalLeave,
		RemindBeforeDue: []int{3}, RemindOnDue: true, RemindAfterDue: []int{7},
	})
	ctx := context.Background()
	id := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: f.clientID, Lines: []billing.InstantLine{{
		Description: "Year-end accounts", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(500), TaxRate: decimal.NewFromInt(10),
	}}}, f.meta())).ID
	for d := 0; d <= 10; d++ {
		if n := f.day(d).Reminded; n != 0 {
			t.Errorf("day %d: %d reminders before the first is due", d, n)
		}
	}
	if n := f.day(22).Reminded; n != 1 {
		t.Errorf("day 22: %d reminders, want the one 7 days after the due date", n)
	}
	if got := f.received("Reminder: invoice"); len(got) != 1 {
		t.Errorf("reminder emails to %v, want one", got)
	}
	st := f.invoice(id)
	if !st.RemindersSent["after_due:7"] || st.RemindersSent["on_due"] || st.RemindersSent["before_due:3"] {
		t.Errorf("steps sent %v, want after_due:7 alone", st.RemindersSent)
	}
	act := f.activity(id)
	for _, want := range []string{"reminder (7 days after the due date) emailed to ana@harbour.example",
		"skipped: 3 days before the due date (due 13 Mar 2026; the daily job did not run that day), on the due date (due 16 Mar 2026; the daily job did not run that day)"} {
		if !strings.Contains(act, want) {
			t.Errorf("the invoice's activity does not say %q:\n%s", want, act)
		}
	}
	if n := f.day(23).Reminded; n != 0 {
		t.Errorf("day 23 reminded again")
	}
}

// TestRemindersReachEveryPageOfOpenInvoices reads the open invoices two at a
// time: five invoices billed by hand to three clients, one of them paid
// before its reminder is due, each reminded once 3 days before its due date,
// to its own client's primary contact, on the day they come due; the paid
// one is not among them.
func TestRemindersReachEveryPageOfOpenInvoices(t *testing.T) {
	f := newFixture(t, firm.DunningPolicy{RetryAfterDays: []int{3}, FinalAction: firm.FinalLeave, RemindBeforeDue: []int{3}})
	f.pageSize = 2
	ctx := context.Background()
	clients := []uuid.UUID{f.clientID}
	for _, name := range []string{"Bo", "Cy"} {
		contact := uuid.New()
		clients = append(clients, f.ok(f.svc.CreateClient(ctx, billing.ClientRequest{
			Name: name + " Pty Ltd", Kind: client.KindBusiness, PrimaryContactID: contact,
			Contacts: []client.Contact{{ID: contact, Name: name, Email: strings.ToLower(name) + "@harbour.example"}},
		}, f.meta())).ID)
	}
	var ids []uuid.UUID
	for i, c := range []int{0, 1, 2, 1, 2, 0} {
		ids = append(ids, f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: clients[c], Lines: []billing.InstantLine{{
			Description: fmt.Sprintf("Advice %d", i), Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(100), TaxRate: decimal.NewFromInt(10),
		}}}, f.meta())).ID)
	}
	f.ok(f.svc.RecordOfflinePayment(ctx, billing.InvoiceRequest{InvoiceID: ids[5], Amount: decimal.NewFromInt(110), Method: invoice.PaidByBankTransfer, Date: domain.DateOf(day0, sydney)}, f.meta()))
	for d := 0; d <= 12; d++ {
		rep := f.day(d)
		if rep.Open != 5 {
			t.Errorf("day %d: %d open invoices, want 5", d, rep.Open)
		}
		want := 0
		if d == 11 { // due on day 14
			want = 5
		}
		if rep.Reminded != want {
			t.Errorf("day %d: %d reminders, want %d", d, rep.Reminded, want)
		}
	}
	want := []string{"ana@harbour.example", "bo@harbour.example", "bo@harbour.example", "cy@harbour.example", "cy@harbour.example"}
	if got := f.received("Reminder: invoice"); !slices.Equal(got, want) {
		t.Errorf("reminders to %v, want %v", got, want)
	}
	if st := f.invoice(ids[5]); len(st.RemindersSent) != 0 {
		t.Errorf("the paid invoice was reminded: %v", st.RemindersSent)
	}
}
