package reminders_test

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
	"remit/domain/proposal"
	"remit/eventstore/sqlite"
	"remit/integrations/mail"
	"remit/integrations/mail/mailtest"
	"remit/processes/billingrun"
	"remit/processes/emailer"
	"remit/processes/reminders"
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

// fixture is a firm in Sydney with one client (contacts Ana and Ben) on a
// real embedded store, its read models in a SQLite file, the outbox
// sending to a mailpit, and the clock on day 0: 2 March 2026, 9:00.
type fixture struct {
	t        *testing.T
	svc      *billing.Service
	clk      *clock
	mp       *mailtest.Mailpit
	idx      *billingrun.Index
	ob       *emailer.Outbox
	clientID uuid.UUID
	ana, ben uuid.UUID
	n        int
}

var day0 = time.Date(2026, 3, 2, 9, 0, 0, 0, sydney)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	mp := mailtest.Start(t)
	dir := t.TempDir()
	f := &fixture{t: t, mp: mp, clk: &clock{now: day0}}
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
		StaffTo: "office@ledger.example",
		LinkFor: func(purpose string, clientID, resource uuid.UUID) string {
			return "https://ledger.example/" + purpose + "/" + resource.String()
		},
		SignLinkFor: func(_, proposalID, signatoryID uuid.UUID) string {
			return "https://ledger.example/sign/" + proposalID.String() + "/" + signatoryID.String()
		}})
	if err != nil {
		t.Fatal(err)
	}
	f.ok(f.svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14}, f.meta()))
	f.ana, f.ben = uuid.New(), uuid.New()
	f.clientID = f.ok(f.svc.CreateClient(ctx, billing.ClientRequest{
		Name: "Harbour Cafe", Kind: client.KindBusiness, PrimaryContactID: f.ana,
		Contacts: []client.Contact{{ID: f.ana, Name: "Ana Lima", Email: "ana@harbour.example"}, {ID: f.ben, Name: "Ben Ng", Email: "ben@harbour.example"}},
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

// send drafts and sends a proposal of one monthly service to Ana (and Ben
// when signatories name them), open until expires (zero: no date of its
// own).
func (f *fixture) send(title string, signatories []proposal.Signatory, expires domain.Date) uuid.UUID {
	f.t.Helper()
	ctx := context.Background()
	id := f.ok(f.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: f.clientID, Title: title, Lines: []proposal.Line{{
		Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(690), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), Automatic: true,
		BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever},
	}}, ProposalOffer: billing.ProposalOffer{Signatories: signatories, ExpiresOn: expires}}, f.meta())).ID
	f.ok(f.svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: id, ContactIDs: []uuid.UUID{f.ana}}, f.meta()))
	return id
}

// sign signs a proposal as one of its signatories, as the signing page does.
func (f *fixture) sign(id uuid.UUID, signatory uuid.UUID, name string) {
	f.t.Helper()
	ctx := context.Background()
	_, hash, err := f.svc.ProposalDocument(ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	f.ok(f.svc.SignProposal(ctx, billing.SignProposalRequest{ProposalID: id, SignatoryID: signatory, SignedName: name, DocumentHash: hash, IP: "203.0.113.9", UserAgent: "test"}, f.meta()))
}

// run runs the daily job for the clock's day and lets the outbox send
// what it recorded.
func (f *fixture) run() reminders.Report {
	f.t.Helper()
	ctx := context.Background()
	rep, err := reminders.Run(ctx, reminders.Config{Billing: f.svc, Models: f.idx.Models(), UpToDate: f.idx.Update}, domain.DateOf(f.clk.Now(), sydney))
	if err != nil {
		f.t.Fatal(err)
	}
	if len(rep.Errors) > 0 {
		f.t.Fatalf("job errors: %v", rep.Errors)
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

func (f *fixture) day(n int) { f.clk.set(day0.AddDate(0, 0, n)) }

// received lists "to: subject" of every message mailpit holds, sorted.
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

// TestRemindersOnScheduleStopWhenSignedAndAfterExpiry walks two weeks a day
// at a time with the injected clock: a proposal with two signatories sent
// on day 0 is reminded on days 3 and 7 (the firm's default days 3, 7, 14),
// each email to a signatory who has not signed with their own signing
// link; Ana's signature on day 5 leaves Ben alone in the day-7 reminder,
// and Ben's on day 8 accepts it, so day 14 sends nothing. Another
// proposal, open until day 5, gets its day-3 reminder, expires on day 5 and
// is not reminded on day 7. Running the job again the same day sends
// nothing twice.
func TestRemindersOnScheduleStopWhenSignedAndAfterExpiry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	signatories := []proposal.Signatory{{ContactID: f.ana}, {ContactID: f.ben}}
	a := f.send("Books and accounts", signatories, domain.Date{})
	b := f.send("Payroll", nil, domain.DateOf(day0, sydney).AddDays(5))
	f.mail()
	// The first proposal goes to each of its signatories with their own
	// link, the second to Ana, to whom it was sent.
	if got := f.received("Proposal:"); len(got) != 3 {
		t.Fatalf("proposal emails %v, want Ana and Ben for the first proposal and Ana for the second", got)
	}
	ps := f.state(a)
	anaSig, benSig := ps.Signatories[0].ID, ps.Signatories[1].ID

	reminded := map[int]int{}
	for d := 0; d <= 15; d++ {
		f.day(d)
		switch d {
		case 5:
			f.sign(a, anaSig, "Ana Lima")
		case 8:
			f.sign(a, benSig, "Ben Ng")
		}
		rep := f.run()
		reminded[d] = rep.Reminded
		if d == 5 && rep.Expired != 1 {
			t.Errorf("day 5: %d proposals expired, want Payroll", rep.Expired)
		}
		if again := f.run(); again.Reminded+again.Expired != 0 {
			t.Errorf("day %d: a second run the same day reminded %d and expired %d", d, again.Reminded, again.Expired)
		}
	}
	want := map[int]int{3: 2, 7: 1}
	for d := 0; d <= 15; d++ {
		if reminded[d] != want[d] {
			t.Errorf("day %d: %d reminders recorded, want %d", d, reminded[d], want[d])
		}
	}

	books := f.received("Reminder: Books and accounts")
	if !slices.Equal(books, []string{"ana@harbour.example", "ben@harbour.example", "ben@harbour.example"}) {
		t.Errorf("Books and accounts reminders went to %v, want Ana and Ben on day 3, Ben alone on day 7", books)
	}
	if got := f.received("Reminder: Payroll"); !slices.Equal(got, []string{"ana@harbour.example"}) {
		t.Errorf("Payroll reminders went to %v, want Ana once (day 3), none after it expired on day 5", got)
	}
	for _, s := range f.mp.Messages() {
		if !strings.Contains(s.Subject, "Reminder: Books and accounts") {
			continue
		}
		m := f.mp.Message(s.ID)
		sig := anaSig
		if m.To[0].Address == "ben@harbour.example" {
			sig = benSig
		}
		link := "https://ledger.example/sign/" + a.String() + "/" + sig.String()
		if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, link) {
			t.Errorf("the reminder to %s does not carry their own signing link %s:\n%s", m.To[0].Address, link, m.Text)
		}
	}
	if n := len(f.mp.Messages()); n != 3+3+1 {
		t.Errorf("mailpit holds %d messages, want 3 proposals and 4 reminders", n)
	}

	// Each email once, also for a restarted outbox.
	seen := map[string]int{}
	for _, s := range f.mp.Messages() {
		seen[f.mp.Message(s.ID).MessageID]++
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("message %s delivered %d times", id, n)
		}
	}
	got, ok, err := f.idx.Models().SentProposal(ctx, b)
	if err != nil || !ok || got.State.Status != proposal.StatusExpired {
		t.Errorf("Payroll's row: %+v, %v, %v; want expired", got.State.Status, ok, err)
	}
}

// TestDefaultExpiryAndChangedReminderDays: the firm's own reminder days and
// default expiry (days after sending) apply to a proposal without an
// expiry date of its own, also to one sent before they changed.
func TestDefaultExpiryAndChangedReminderDays(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.send("Tax return", nil, domain.Date{})
	f.ok(f.svc.ChangeFirmSettings(ctx, billing.FirmSettingsRequest{Proposals: &firm.ProposalSettings{ReminderDays: []int{1, 2}, ExpiryDays: 4}}, f.meta()))
	var log []string
	for d := 0; d <= 6; d++ {
		f.day(d)
		rep := f.run()
		log = append(log, fmt.Sprintf("%d:%d/%d", d, rep.Reminded, rep.Expired))
	}
	if want := []string{"0:0/0", "1:1/0", "2:1/0", "3:0/0", "4:0/1", "5:0/0", "6:0/0"}; !slices.Equal(log, want) {
		t.Errorf("day:reminded/expired = %v, want %v", log, want)
	}
	row, _, err := f.idx.Models().SentProposal(ctx, p)
	if err != nil || row.State.Status != proposal.StatusExpired || row.ExpiresOn != domain.DateOf(day0, sydney).AddDays(4) {
		t.Errorf("row %+v, %v", row, err)
	}
}

// TestStaffAreToldOfViewsAcceptancesAndDeclines: with the firm's staff
// notices on, the staff address gets one email when a client first views a
// proposal (not again when the second signatory views it), one when it is
// accepted and one when another is declined; with them off, none.
func TestStaffAreToldOfViewsAcceptancesAndDeclines(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	quiet := f.send("Quiet", nil, domain.Date{})
	f.ok(f.svc.RecordProposalView(ctx, billing.ProposalViewRequest{ProposalID: quiet}, f.meta()))
	f.mail()
	if got := f.received("Proposal viewed"); len(got) != 0 {
		t.Fatalf("staff told of a view with notices off: %v", got)
	}

	f.ok(f.svc.ChangeFirmSettings(ctx, billing.FirmSettingsRequest{Proposals: &firm.ProposalSettings{ReminderDays: []int{3}, NotifyStaff: true, StaffEmail: "partners@ledger.example"}}, f.meta()))
	a := f.send("Books and accounts", []proposal.Signatory{{ContactID: f.ana}, {ContactID: f.ben}}, domain.Date{})
	ps := f.state(a)
	for _, g := range ps.Signatories {
		f.ok(f.svc.RecordProposalView(ctx, billing.ProposalViewRequest{ProposalID: a, SignatoryID: g.ID, IP: "203.0.113.9", UserAgent: "test"}, f.meta()))
	}
	f.sign(a, ps.Signatories[0].ID, "Ana Lima")
	f.sign(a, ps.Signatories[1].ID, "Ben Ng")
	d := f.send("Payroll", nil, domain.Date{})
	f.ok(f.svc.DeclineProposal(ctx, billing.ProposalRef{ProposalID: d, Reason: "Too dear for now"}, f.meta()))
	f.mail()
	f.mail() // a second pass sends nothing again

	for subject, want := range map[string][]string{
		"Proposal viewed: Books and accounts (Harbour Cafe)":   {"partners@ledger.example"},
		"Proposal accepted: Books and accounts (Harbour Cafe)": {"partners@ledger.example"},
		"Proposal declined: Payroll (Harbour Cafe)":            {"partners@ledger.example"},
		"Proposal viewed: Quiet":                               nil,
	} {
		if got := f.received(subject); !slices.Equal(got, want) {
			t.Errorf("%q went to %v, want %v", subject, got, want)
		}
	}
	var viewed, declined mailtest.Message
	for _, s := range f.mp.Messages() {
		switch {
		case strings.HasPrefix(s.Subject, "Proposal viewed: Books"):
			viewed = f.mp.Message(s.ID)
		case strings.HasPrefix(s.Subject, "Proposal declined"):
			declined = f.mp.Message(s.ID)
		}
	}
	if !strings.Contains(viewed.Text, "Ana Lima") {
		t.Errorf("the view email does not say who viewed it:\n%s", viewed.Text)
	}
	if !strings.Contains(declined.Text, "Too dear for now") {
		t.Errorf("the decline email does not give the reason:\n%s", declined.Text)
	}
}

// state reads a proposal's state through the read model.
func (f *fixture) state(id uuid.UUID) proposal.State {
	f.t.Helper()
	if err := f.idx.Update(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	row, ok, err := f.idx.Models().SentProposal(context.Background(), id)
	if err != nil || !ok {
		f.t.Fatalf("proposal %s: %v, %v", id, ok, err)
	}
	return row.State
}

// TestTwoNodesSendEachReminderOnce: the job running at the same time on two
// nodes (two billing services on one store) records the day-3 reminder
// once, and the signatory gets one email.
func TestTwoNodesSendEachReminderOnce(t *testing.T) {
	f := newFixture(t)
	p := f.send("Books and accounts", []proposal.Signatory{{ContactID: f.ana}}, domain.Date{})
	f.mail()
	f.day(3)
	if err := f.idx.Update(context.Background()); err != nil {
		t.Fatal(err)
	}
	today := domain.DateOf(f.clk.Now(), sydney)
	var wg sync.WaitGroup
	reps := make([]reminders.Report, 2)
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], _ = reminders.Run(context.Background(), reminders.Config{Billing: f.svc, Models: f.idx.Models()}, today)
		}()
	}
	wg.Wait()
	if len(reps[0].Errors)+len(reps[1].Errors) != 0 {
		t.Fatalf("errors %v %v", reps[0].Errors, reps[1].Errors)
	}
	// Both may report it sent (the second append of the same event ids is
	// a no-op the store accepts), but the log holds it once.
	if n := f.state(p).Reminders; n != 1 {
		t.Fatalf("the proposal has %d reminders recorded, want 1", n)
	}
	f.mail()
	if got := f.received("Reminder: Books and accounts"); !slices.Equal(got, []string{"ana@harbour.example"}) {
		t.Errorf("reminders went to %v, want Ana once", got)
	}
}
