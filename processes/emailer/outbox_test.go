package emailer_test

import (
	"context"
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
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/formats/pdf/pdftest"
	"remit/integrations/mail"
	"remit/integrations/mail/mailtest"
	"remit/processes/emailer"
)

// clock is the injected clock; tests move it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

type fixture struct {
	t        *testing.T
	store    eventstore.Store
	svc      *billing.Service
	clk      *clock
	mp       *mailtest.Mailpit
	clientID uuid.UUID
	methodID uuid.UUID
	contacts []uuid.UUID // Ana (primary), Ben
	n        int
}

var sydney, _ = time.LoadLocation("Australia/Sydney")

// newFixture sets up a firm and a client (primary contact Ana, a Visa card
// expiring at the end of June 2026) on a real embedded store, and a mailpit.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	mp := mailtest.Start(t)
	st, err := sqlite.Open(t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, store: st, mp: mp, clk: &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, sydney)}}
	f.svc = billing.New(billing.Config{Store: st, Now: f.clk.Now})
	f.ok(f.svc.SetUpFirm(context.Background(), billing.SetUpFirmRequest{
		Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14, TaxNumber: "ABN 12 345 678 901",
		Address: domain.Address{Line1: "1 George St", City: "Sydney", Country: "AU"}, CollectionDaysOnceOff: 7,
	}, f.meta()))
	anaID, benID := uuid.New(), uuid.New()
	f.contacts = []uuid.UUID{anaID, benID}
	res := f.ok(f.svc.CreateClient(context.Background(), billing.ClientRequest{
		Name: "Harbour Cafe", Kind: client.KindBusiness,
		Contacts:         []client.Contact{{ID: anaID, Name: "Ana Lima", Email: "ana@harbour.example"}, {ID: benID, Name: "Ben Ng", Email: "ben@harbour.example"}},
		PrimaryContactID: anaID,
	}, f.meta()))
	f.clientID = res.ID
	res = f.ok(f.svc.AddPaymentMethod(context.Background(), billing.PaymentMethodRequest{ClientID: f.clientID, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: "tok_visa", Brand: "visa", Last4: "4242", ExpiryMonth: 6, ExpiryYear: 2026,
	}}, f.meta()))
	f.methodID = res.ID
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

func (f *fixture) links(purpose string, clientID, invoiceID uuid.UUID) string {
	return "https://pay.ledger.example/" + purpose + "/" + clientID.String() + "/" + invoiceID.String()
}

func (f *fixture) outbox(m mail.Mailer) *emailer.Outbox {
	f.t.Helper()
	if m == nil {
		m = f.smtp()
	}
	ob, err := emailer.New(emailer.Config{Store: f.store, Mailer: m, From: "accounts@ledger.example", Now: f.clk.Now, LinkFor: f.links})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { ob.Close() })
	return ob
}

func (f *fixture) smtp() *mail.SMTP {
	cfg, err := mail.ParseSMTPURL("smtp://" + f.mp.SMTPAddr())
	if err != nil {
		f.t.Fatal(err)
	}
	cfg.MaxAttempts = 2
	cfg.Wait = func(context.Context, int, time.Duration) error { return nil }
	return mail.NewSMTP(cfg)
}

func (f *fixture) catchUp(ob *emailer.Outbox) {
	f.t.Helper()
	if err := ob.CatchUp(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

// issue issues an invoice of two lines (1,100.00 AUD with tax) charged to the
// card.
func (f *fixture) issue() uuid.UUID {
	f.t.Helper()
	res := f.ok(f.svc.IssueInvoice(context.Background(), billing.IssueInvoiceRequest{
		ClientID: f.clientID, PaymentMethodID: f.methodID,
		Lines: []billing.InstantLine{
			{Description: "Monthly bookkeeping", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(800), TaxRate: decimal.NewFromInt(10)},
			{Description: "Payroll runs", Quantity: decimal.NewFromInt(4), UnitPrice: decimal.NewFromInt(50), TaxRate: decimal.NewFromInt(10)},
		},
	}, f.meta()))
	return res.ID
}

// only returns the one message whose subject contains s.
// collected records a successful collection of amount on the invoice,
// charged as ch_1 from the client's method.
func (f *fixture) collected(invoiceID uuid.UUID, amount int64) {
	f.t.Helper()
	f.ok(f.svc.RecordCollectionAttempt(context.Background(), billing.InvoiceRequest{
		InvoiceID: invoiceID, Outcome: invoice.AttemptSucceeded, PaymentMethodID: f.methodID, GatewayReference: "ch_1", Amount: decimal.NewFromInt(amount),
	}, f.meta()))
}

func (f *fixture) only(s string) mailtest.Message {
	f.t.Helper()
	var found []mailtest.Summary
	for _, m := range f.mp.Messages() {
		if strings.Contains(m.Subject, s) {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		f.t.Fatalf("%d messages with %q in the subject, want 1 (all: %+v)", len(found), s, f.mp.Messages())
	}
	return f.mp.Message(found[0].ID)
}

func contains(t *testing.T, what, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, text)
		}
	}
}

func toAna(t *testing.T, m mailtest.Message) {
	t.Helper()
	if len(m.To) != 1 || m.To[0].Address != "ana@harbour.example" || m.From.Address != "accounts@ledger.example" || m.From.Name != "Ledger & Co" {
		t.Errorf("from %+v to %+v; want from Ledger & Co to the primary contact only", m.From, m.To)
	}
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	return pdftest.Text(t, pdf)
}

func TestEachEmailKindFromItsEvent(t *testing.T) {
	f := newFixture(t)
	ob := f.outbox(nil)
	ctx := context.Background()

	invoiceID := f.issue()
	f.catchUp(ob)
	m := f.only("Invoice INV-")
	toAna(t, m)
	contains(t, "invoice email", m.Text, "Hello Ana Lima", "1,100.00 AUD", "16 March 2026", "Visa ending 4242")
	contains(t, "invoice email HTML", m.HTML, "<strong>INV-000001</strong>", "1,100.00 AUD")
	if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "application/pdf" || m.Attachments[0].FileName != "INV-000001.pdf" {
		t.Fatalf("attachments = %+v", m.Attachments)
	}
	contains(t, "the attached PDF", pdfText(t, f.mp.Part(m.ID, m.Attachments[0].PartID)),
		"Ledger & Co", "Harbour Cafe", "Attn: Ana Lima", "INV-000001", "Monthly bookkeeping", "Payroll runs",
		"800.00", "1,000.00 AUD", "100.00 AUD", "1,100.00 AUD", "Amount due", "How to pay")

	f.ok(f.svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{
		InvoiceID: invoiceID, Outcome: invoice.AttemptRejected, PaymentMethodID: f.methodID,
		DeclineCode: "insufficient_funds", DeclineMessage: "Your card has insufficient funds",
	}, f.meta()))
	f.catchUp(ob)
	m = f.only("was declined")
	toAna(t, m)
	contains(t, "rejection email", m.Text, "Your card has insufficient funds. (gateway code: insufficient_funds)", "1,100.00 AUD",
		f.links(emailer.LinkRetryPayment, f.clientID, invoiceID), f.links(emailer.LinkUpdateMethod, f.clientID, invoiceID))

	f.ok(f.svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{
		InvoiceID: invoiceID, Outcome: invoice.AttemptSucceeded, PaymentMethodID: f.methodID, GatewayReference: "ch_1", Amount: decimal.NewFromInt(600),
		Date: domain.MustDate(2026, 3, 5), // a collection run as of 5 March
	}, f.meta()))
	f.ok(f.svc.RecordOfflinePayment(ctx, billing.InvoiceRequest{
		InvoiceID: invoiceID, Method: invoice.PaidByBankTransfer, Reference: "EFT 991", Amount: decimal.NewFromInt(500),
	}, f.meta()))
	f.catchUp(ob)
	var receipts []mailtest.Message
	for _, s := range f.mp.Messages() {
		if strings.HasPrefix(s.Subject, "Payment received") {
			receipts = append(receipts, f.mp.Message(s.ID))
		}
	}
	if len(receipts) != 2 {
		t.Fatalf("%d receipts, want 2", len(receipts))
	}
	texts := receipts[0].Text + receipts[1].Text
	contains(t, "receipts", texts, "600.00 AUD on 5 March 2026 from Visa ending 4242 for invoice", "Still to pay on this invoice: 500.00 AUD", "500.00 AUD on 2 March 2026 by bank transfer, reference EFT 991 for invoice", "paid in full")
	for _, r := range receipts {
		toAna(t, r)
		// The bank transfer's receipt names no card: it was not charged.
		if strings.Contains(r.Text, "500.00 AUD on 2 March") && strings.Contains(r.Text, "Visa") {
			t.Errorf("the receipt of a bank transfer names the card on file:\n%s", r.Text)
		}
	}
	if n := len(f.mp.Messages()); n != 4 {
		t.Errorf("mailpit holds %d messages, want 4", n)
	}
}

// counts fails unless every Message-ID in mailpit appears once, and returns
// how many there are.
func (f *fixture) onceEach() int {
	f.t.Helper()
	by := f.mp.ByMessageID()
	for id, n := range by {
		if n != 1 {
			f.t.Errorf("Message-ID %s was delivered %d times", id, n)
		}
	}
	return len(by)
}

func TestReplayAndRestartSendNothingTwice(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ob := f.outbox(nil)
	a := f.issue()
	f.issue()
	f.catchUp(ob)
	f.catchUp(ob) // a repeated catch-up
	if n := f.onceEach(); n != 2 {
		t.Fatalf("%d emails, want 2", n)
	}

	// A restart: a new outbox reads the same log from the start.
	f.catchUp(f.outbox(nil))
	f.ok(f.svc.RecordOfflinePayment(ctx, billing.InvoiceRequest{InvoiceID: a, Method: invoice.PaidByCash, Amount: decimal.NewFromInt(1100)}, f.meta()))
	again := f.outbox(nil)
	f.catchUp(again)
	f.catchUp(again)
	if n := f.onceEach(); n != 3 {
		t.Fatalf("%d emails, want 3 (two invoices and a receipt)", n)
	}

	// Started live, it follows new events and still sends each once.
	live := f.outbox(nil)
	if err := live.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	f.issue()
	head, _ := f.store.Head(ctx)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := live.WaitFor(wctx, head); err != nil {
		t.Fatal(err)
	}
	if n := f.onceEach(); n != 4 {
		t.Fatalf("%d emails, want 4", n)
	}
}

func TestUnreachableServerIsRetriedAndQueuedEmailSentAfterRestart(t *testing.T) {
	f := newFixture(t)
	f.mp.Stop()
	ob := f.outbox(nil)
	f.issue()
	f.catchUp(ob) // the server is down: queued, not sent
	f.mp.Restart()
	if n := len(f.mp.Messages()); n != 0 {
		t.Fatalf("mailpit holds %d messages before the retry", n)
	}
	if err := ob.Tick(context.Background()); err != nil { // the same outbox retries
		t.Fatal(err)
	}
	if n := f.onceEach(); n != 1 {
		t.Fatalf("%d emails after the retry, want 1", n)
	}

	// Queued, then the process died: a new outbox sends it, with the same
	// Message-ID.
	f.mp.Stop()
	f.issue()
	f.catchUp(f.outbox(nil))
	f.mp.Restart() // mailpit starts empty again
	restarted := f.outbox(nil)
	f.catchUp(restarted)
	by := f.mp.ByMessageID()
	if len(by) != 1 {
		t.Fatalf("after the restart mailpit holds %v; want the one queued email", by)
	}
	f.catchUp(restarted)
	f.catchUp(f.outbox(nil))
	if n := f.onceEach(); n != 1 {
		t.Errorf("%d emails, want 1", n)
	}
}

func TestPermanentFailureIsRecordedNotRetried(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	refused := refusing{}
	ob := f.outbox(&refused)
	invoiceID := f.issue()
	f.catchUp(ob)
	if err := ob.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	f.catchUp(f.outbox(&refused))
	if refused.n != 1 {
		t.Errorf("the refused email was tried %d times, want 1", refused.n)
	}
	evs, err := f.store.ReadAll(ctx, 0, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"EmailFailed"}})
	if err != nil || len(evs) != 1 || !strings.Contains(string(evs[0].Data), "mailbox unavailable") {
		t.Errorf("EmailFailed events: %v %v", evs, err)
	}
	_ = invoiceID
}

// refusing is a mailer whose server refuses every message for good.
type refusing struct{ n int }

func (r *refusing) Send(context.Context, mail.Message) error {
	r.n++
	return &mail.PermanentError{Err: fmt.Errorf("550 mailbox unavailable")}
}

func TestFilesByDefault(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	m, err := emailer.MailerFor("", dir)
	if err != nil {
		t.Fatal(err)
	}
	f.issue()
	f.catchUp(f.outbox(m))
	f.catchUp(f.outbox(m))
	files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	if len(files) != 1 {
		t.Fatalf("%d .eml files, want 1", len(files))
	}
	b, _ := os.ReadFile(files[0])
	contains(t, "the .eml file", string(b), "Subject: Invoice INV-000001 from Ledger & Co", "To: \"Ana Lima\" <ana@harbour.example>", "application/pdf",
		"Message-ID: <"+strings.TrimSuffix(filepath.Base(files[0]), ".eml")+"@ledger.example>")
}

// TestTimeTravel moves the clock day by day through four months: the card
// expiring at the end of June is announced on 31 May (30 days ahead), once;
// a collection scheduled for 20 March is announced on 17 March (3 days
// ahead), once.
func TestTimeTravel(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ob := f.outbox(nil)
	invoiceID := f.issue()
	f.ok(f.svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: invoiceID, Date: domain.MustDate(2026, 3, 20)}, f.meta()))
	f.catchUp(ob)
	sentOn := map[string][]domain.Date{}
	seen := map[string]bool{}
	day := domain.MustDate(2026, 3, 2)
	for range 120 {
		f.clk.set(time.Date(day.Year(), day.Month(), day.Day(), 7, 0, 0, 0, sydney))
		for range 2 { // twice a day, as a restart would
			if err := ob.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range f.mp.Messages() {
			if !seen[m.ID] {
				seen[m.ID] = true
				sentOn[kindOf(m.Subject)] = append(sentOn[kindOf(m.Subject)], day)
			}
		}
		day = day.AddDays(1)
	}
	want := map[string][]domain.Date{
		"invoice":  {domain.MustDate(2026, 3, 2)},
		"upcoming": {domain.MustDate(2026, 3, 17)},
		"expiring": {domain.MustDate(2026, 5, 31)},
	}
	for k, w := range want {
		if got := sentOn[k]; len(got) != len(w) || got[0] != w[0] {
			t.Errorf("%s emails sent on %v, want %v", k, got, w)
		}
	}
	if len(sentOn) != len(want) {
		t.Errorf("emails sent: %v", sentOn)
	}
	contains(t, "expiring email", f.only("expires on").Text, "Visa ending 4242", "30 June 2026", f.links(emailer.LinkUpdateMethod, f.clientID, uuid.Nil))
	contains(t, "upcoming charge email", f.only("will be charged").Text, "20 March 2026", "1,100.00 AUD", "Visa ending 4242")
	f.onceEach()
}

// TestCollectionScheduledLaterTheSameDay: after the day's check went
// through every invoice, a collection scheduled later that day for 3 days
// ahead is still announced by the next Tick that day, once.
func TestCollectionScheduledLaterTheSameDay(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ob := f.outbox(nil)
	invoiceID := f.issue()
	f.clk.set(time.Date(2026, 3, 17, 7, 0, 0, 0, sydney))
	f.catchUp(ob)
	if err := ob.Tick(ctx); err != nil { // the day's check: nothing scheduled yet
		t.Fatal(err)
	}
	f.ok(f.svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: invoiceID, Date: domain.MustDate(2026, 3, 20)}, f.meta()))
	f.clk.set(time.Date(2026, 3, 17, 11, 0, 0, 0, sydney))
	for range 2 {
		if err := ob.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	contains(t, "upcoming charge email", f.only("will be charged").Text, "20 March 2026")
	f.onceEach()
}

func kindOf(subject string) string {
	switch {
	case strings.HasPrefix(subject, "Invoice"):
		return "invoice"
	case strings.Contains(subject, "will be charged"):
		return "upcoming"
	case strings.Contains(subject, "expires on"):
		return "expiring"
	}
	return subject
}

// TestSkipHistorySendsOnlyWhatComesAfter: an outbox first started (with
// SkipHistory) on a store with history mails nothing for that history, only
// for what comes after; a second outbox agrees on the same start.
func TestSkipHistorySendsOnlyWhatComesAfter(t *testing.T) {
	f := newFixture(t)
	old := f.issue()
	mk := func() *emailer.Outbox {
		ob, err := emailer.New(emailer.Config{Store: f.store, Mailer: f.smtp(), From: "accounts@ledger.example", Now: f.clk.Now, LinkFor: f.links, SkipHistory: true})
		if err != nil {
			t.Fatal(err)
		}
		return ob
	}
	f.catchUp(mk())
	if n := len(f.mp.Messages()); n != 0 {
		t.Fatalf("%d emails sent for history before the outbox was enabled (invoice %s)", n, old)
	}
	f.issue()
	f.catchUp(mk()) // a second outbox, e.g. after a restart: same start
	if n := len(f.mp.Messages()); n != 1 {
		t.Fatalf("%d emails after one new invoice, want 1", n)
	}
}

// TestSkipHistoryEmailsWhatCameDuringTheFirstLoad: remit serve marks the
// history (MarkHistory) before it serves; an invoice issued before the
// outbox's first load has run (it runs in the background, and on a long log
// takes a while) is not history, and is emailed; the one before the mark is
// not.
func TestSkipHistoryEmailsWhatCameDuringTheFirstLoad(t *testing.T) {
	f := newFixture(t)
	f.issue()
	ob, err := emailer.New(emailer.Config{Store: f.store, Mailer: f.smtp(), From: "accounts@ledger.example", Now: f.clk.Now, LinkFor: f.links, SkipHistory: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := ob.MarkHistory(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.issue() // a request served before the outbox's load has run
	f.catchUp(ob)
	if n := len(f.mp.Messages()); n != 1 {
		t.Fatalf("%d emails, want 1: the invoice issued after the mark, not the one before", n)
	}
}

// appendingHead is a store whose Head, once armed, first lets another
// writer append (run): what happens when an invoice is issued while the
// outbox is between reading the log and asking for its head.
type appendingHead struct {
	eventstore.Store
	run func()
}

func (s *appendingHead) Head(ctx context.Context) (uint64, error) {
	if run := s.run; run != nil {
		s.run = nil
		run()
	}
	return s.Store.Head(ctx)
}

// An invoice issued while the outbox catches up is emailed: catching up
// never moves past an event it did not read.
func TestEventAppendedDuringCatchUpIsNotSkipped(t *testing.T) {
	f := newFixture(t)
	f.issue()
	st := &appendingHead{Store: f.store}
	ob, err := emailer.New(emailer.Config{Store: st, Mailer: f.smtp(), From: "accounts@ledger.example", Now: f.clk.Now, LinkFor: f.links})
	if err != nil {
		t.Fatal(err)
	}
	f.catchUp(ob)
	st.run = func() { f.issue() }
	f.catchUp(ob) // the second invoice is issued during this catch-up
	f.catchUp(ob)
	if n := f.onceEach(); n != 2 {
		t.Fatalf("%d emails, want 2: an invoice issued during a catch-up was skipped", n)
	}
}

// TestInvoiceEmailSaysWhenItIsChargedOrHowToPay: an instant bill to a
// client with a card says, in the email and its PDF, when and from what it
// is charged (the firm collects once-off invoices 7 days after issue); one to
// a client with no method on file says how to pay and promises no charge.
func TestInvoiceEmailSaysWhenItIsChargedOrHowToPay(t *testing.T) {
	f := newFixture(t)
	ob := f.outbox(nil)
	ctx := context.Background()
	lines := []billing.InstantLine{{Description: "Advice", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(1450), TaxRate: decimal.NewFromInt(10)}}

	f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: f.clientID, Lines: lines}, f.meta()))
	f.catchUp(ob)
	m := f.only("Invoice INV-000001")
	charged := "charged to the Visa ending 4242 on file on 9 March 2026"
	contains(t, "invoice email", m.Text, charged)
	contains(t, "invoice email HTML", m.HTML, charged)
	contains(t, "its PDF", pdfText(t, f.mp.Part(m.ID, m.Attachments[0].PartID)), "Visa ending 4242 on file on 9 March", "2026; nothing to do.")

	cid := uuid.New()
	bare := f.ok(f.svc.CreateClient(ctx, billing.ClientRequest{
		Name: "Bare Bones", Kind: client.KindBusiness, Contacts: []client.Contact{{ID: cid, Name: "Cleo Park", Email: "cleo@bare.example"}}, PrimaryContactID: cid,
	}, f.meta())).ID
	f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: bare, Lines: lines}, f.meta()))
	f.catchUp(ob)
	m = f.only("Invoice INV-000002")
	howToPay := "not charged automatically: please pay by bank transfer, quoting INV-000002 as the reference"
	contains(t, "invoice email", m.Text, howToPay)
	contains(t, "invoice email HTML", m.HTML, howToPay)
	text := pdfText(t, f.mp.Part(m.ID, m.Attachments[0].PartID))
	contains(t, "its PDF", text, "not charged automatically", "quoting INV-000002")
	for _, lie := range []string{"will be charged", "nothing to do"} {
		if strings.Contains(m.Text+m.HTML+text, lie) {
			t.Errorf("the email of an invoice with no method says %q:\n%s\n%s", lie, m.Text, text)
		}
	}
}

// crashAfterSend is the files mailer of a process that dies right after a
// message's file is written, before the outbox records it: it cancels the
// outbox's context, so nothing after the send reaches the store.
// (Its files mailer is a field, not embedded: embedded, its SendAll would
// send groups without the crash.)
type crashAfterSend struct {
	files mail.Files
	crash context.CancelFunc
	sent  int
}

func (c *crashAfterSend) Send(ctx context.Context, m mail.Message) error {
	err := c.files.Send(ctx, m)
	c.sent++
	c.crash()
	return err
}

func (c *crashAfterSend) DeliversOnceByID() bool { return true }

// flaky is a files mailer whose first send fails for now (a full disk).
type flaky struct {
	files  mail.Files
	failed bool
}

func (f *flaky) Send(ctx context.Context, m mail.Message) error {
	if !f.failed {
		f.failed = true
		return errors.New("no space left on device")
	}
	return f.files.Send(ctx, m)
}

func (f *flaky) DeliversOnceByID() bool { return true }

// crashAfterGroup is a files mailer that sends groups, and after the
// first group the process dies (its context is cancelled).
type crashAfterGroup struct {
	files  mail.Files
	crash  context.CancelFunc
	groups []int // the size of each group sent
}

func (c *crashAfterGroup) Send(ctx context.Context, m mail.Message) error {
	return c.SendAll(ctx, []mail.Message{m})[0]
}

func (c *crashAfterGroup) SendAll(ctx context.Context, msgs []mail.Message) []error {
	errs := c.files.SendAll(ctx, msgs)
	c.groups = append(c.groups, len(msgs))
	c.crash()
	return errs
}

func (c *crashAfterGroup) DeliversOnceByID() bool { return true }

// TestGroupSentFirstThenRecordedSendsNothingTwice: the outbox sends the
// emails of many events as one group (one sync of the outbox folder) and
// records them together after. A crash between the two leaves every one
// of their triggers to be handled again: each email is then recorded
// once, and no file is written again.
func TestGroupSentFirstThenRecordedSendsNothingTwice(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	const invoices = 5
	for range invoices {
		f.issue()
	}
	ctx, crash := context.WithCancel(context.Background())
	m := &crashAfterGroup{files: mail.Files{Dir: dir}, crash: crash}
	if err := f.outbox(m).CatchUp(ctx); err == nil {
		t.Fatal("the outbox's catch-up went on after the crash")
	}
	if !slices.Equal(m.groups, []int{invoices}) {
		t.Fatalf("groups sent before the crash: %v, want one of %d", m.groups, invoices)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != invoices {
		t.Fatalf("before the restart: %d .eml files, want %d", len(files), invoices)
	}
	if recs := f.emailEvents(); len(recs) != 0 {
		t.Fatalf("the crash left %v in the log, want nothing", recs)
	}
	written := map[string]time.Time{}
	for _, name := range files {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		written[name] = fi.ModTime()
	}

	restarted := &crashAfterGroup{files: mail.Files{Dir: dir}, crash: func() {}}
	f.catchUp(f.outbox(restarted))
	f.catchUp(f.outbox(restarted))
	files, _ = filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != invoices {
		t.Errorf("after the restart: %d .eml files, want %d", len(files), invoices)
	}
	for _, name := range files {
		if fi, err := os.Stat(name); err != nil || !fi.ModTime().Equal(written[name]) {
			t.Errorf("%s written again after the restart (%v)", filepath.Base(name), err)
		}
	}
	var want []string
	for range invoices {
		want = append(want, "EmailQueued", "EmailSent")
	}
	if got := f.emailEvents(); !slices.Equal(got, want) {
		t.Errorf("email events after the restart: %v, want each email queued and sent once", got)
	}

	// Live, invoices issued while the outbox runs are emailed once each,
	// however the follower groups them, and WaitFor returns once they are.
	live := f.outbox(mail.Files{Dir: dir})
	if err := live.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	const more = 20
	for range more {
		f.issue()
	}
	head, _ := f.store.Head(context.Background())
	wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := live.WaitFor(wctx, head); err != nil {
		t.Fatal(err)
	}
	if files, _ = filepath.Glob(filepath.Join(dir, "*.eml")); len(files) != invoices+more {
		t.Errorf("live: %d .eml files, want %d", len(files), invoices+more)
	}
	for range more {
		want = append(want, "EmailQueued", "EmailSent")
	}
	if got := f.emailEvents(); !slices.Equal(got, want) {
		t.Errorf("live: email events %v, want each email queued and sent once", got)
	}
}

// TestSendFirstThenRecordSendsNothingTwice: with a mailer that delivers a
// message at most once by its id (the .eml files), the outbox delivers
// first and records the email queued and sent in one append. A crash
// between the two leaves the trigger to be handled again: the email is then
// recorded once and its file not written again; a temporary failure leaves
// it queued, and a Tick sends it.
func TestSendFirstThenRecordSendsNothingTwice(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	f.issue()
	ctx, crash := context.WithCancel(context.Background())
	m := &crashAfterSend{files: mail.Files{Dir: dir}, crash: crash}
	if err := f.outbox(m).CatchUp(ctx); err == nil {
		t.Fatal("the outbox's catch-up went on after the crash")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if m.sent != 1 || len(files) != 1 {
		t.Fatalf("before the restart: %d sends, %d .eml files; want 1 and 1", m.sent, len(files))
	}
	if recs := f.emailEvents(); len(recs) != 0 {
		t.Fatalf("the crash left %v in the log, want nothing", recs)
	}
	before, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}

	restarted := &crashAfterSend{files: mail.Files{Dir: dir}, crash: func() {}}
	f.catchUp(f.outbox(restarted))
	f.catchUp(f.outbox(restarted))
	files, _ = filepath.Glob(filepath.Join(dir, "*.eml"))
	after, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		t.Errorf("after the restart: %d .eml files, modified %v (was %v); want the one file, not written again", len(files), after.ModTime(), before.ModTime())
	}
	if got := f.emailEvents(); !slices.Equal(got, []string{"EmailQueued", "EmailSent"}) {
		t.Errorf("email events after the restart: %v, want EmailQueued, EmailSent", got)
	}

	// A temporary failure: queued alone, sent by the next Tick, once.
	fl := &flaky{files: mail.Files{Dir: dir}}
	ob := f.outbox(fl)
	f.issue()
	f.catchUp(ob)
	if got := f.emailEvents(); !slices.Equal(got, []string{"EmailQueued", "EmailSent", "EmailQueued"}) {
		t.Errorf("email events after the failed send: %v, want the second queued", got)
	}
	if err := ob.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.catchUp(f.outbox(fl))
	if got := f.emailEvents(); !slices.Equal(got, []string{"EmailQueued", "EmailSent", "EmailQueued", "EmailSent"}) {
		t.Errorf("email events after the retry: %v, want both sent once", got)
	}
	if files, _ = filepath.Glob(filepath.Join(dir, "*.eml")); len(files) != 2 {
		t.Errorf("%d .eml files, want 2", len(files))
	}
}

// emailEvents are the types of the emails' events in the log, in order.
func (f *fixture) emailEvents() []string {
	f.t.Helper()
	recs, err := f.store.ReadAll(context.Background(), 0, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"EmailQueued", "EmailSent", "EmailFailed"}})
	if err != nil {
		f.t.Fatal(err)
	}
	var types []string
	for _, r := range recs {
		types = append(types, r.Type)
	}
	return types
}
