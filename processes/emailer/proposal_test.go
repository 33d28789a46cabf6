package emailer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/domain/proposal"
	"remit/processes/emailer"
)

// TestSendingAProposalEmailsTheChosenContacts: sending a proposal emails it
// to each contact staff chose, from the firm, with its services, totals per
// cadence and the signed acceptance link; a replay sends nothing again, and
// a re-send emails it once more.
func TestSendingAProposalEmailsTheChosenContacts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rule := func(freq domain.Frequency, n int) domain.BillingRule {
		return domain.BillingRule{Frequency: freq, Interval: n, Start: domain.StartOnAcceptance, End: domain.EndNever}
	}
	res := f.ok(f.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: f.clientID, Title: "Books and accounts", Lines: []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(690), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), BillingRule: rule(domain.FrequencyMonths, 1), Automatic: true},
		{Name: "Annual accounts", UnitPrice: decimal.NewFromInt(3200), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), BillingRule: rule(domain.FrequencyMonths, 12), Automatic: true},
	}}, f.meta()))
	pid := res.ID
	f.ok(f.svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: pid, ContactIDs: f.contacts}, f.meta()))
	ob := f.outbox(nil)
	f.catchUp(ob)

	msgs := f.mp.Messages()
	if len(msgs) != 2 {
		t.Fatalf("mailpit holds %d messages, want one to each of the 2 contacts: %+v", len(msgs), msgs)
	}
	to := map[string]bool{}
	for _, s := range msgs {
		m := f.mp.Message(s.ID)
		if len(m.To) != 1 || m.From.Address != "accounts@ledger.example" || m.From.Name != "Ledger & Co" {
			t.Errorf("from %+v to %+v", m.From, m.To)
			continue
		}
		to[m.To[0].Address] = true
		if m.Subject != "Proposal: Books and accounts, from Ledger & Co" {
			t.Errorf("subject %q", m.Subject)
		}
		contains(t, "proposal email", m.Text, "Bookkeeping: A$759.00 a month", "Annual accounts: A$3,520.00 a year",
			"A$759.00 a month, A$3,520.00 a year", "First-year value: A$12,628.00", f.links(emailer.LinkAccept, f.clientID, pid))
		contains(t, "proposal email HTML", m.HTML, "Books and accounts", `href="`+f.links(emailer.LinkAccept, f.clientID, pid)+`"`)
	}
	if !to["ana@harbour.example"] || !to["ben@harbour.example"] {
		t.Errorf("sent to %v, want Ana and Ben", to)
	}

	// A restarted outbox (a replay of the log) sends nothing again.
	f.catchUp(f.outbox(nil))
	if n := f.onceEach(); n != 2 {
		t.Fatalf("%d emails after a replay, want 2", n)
	}

	// Re-sending emails it again.
	f.ok(f.svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: pid, RecipientEmail: "ana@harbour.example"}, f.meta()))
	f.catchUp(ob)
	if n := f.onceEach(); n != 3 {
		t.Fatalf("%d emails after a re-send, want 3", n)
	}
	if got := strings.Count(fmtSubjects(f), "Proposal: Books and accounts"); got != 3 {
		t.Errorf("%d proposal emails, want 3", got)
	}
}

func fmtSubjects(f *fixture) string {
	var b strings.Builder
	for _, s := range f.mp.Messages() {
		b.WriteString(s.Subject + "\n")
	}
	return b.String()
}

// TestSendingAnInvoiceAgainEmailsIt: staff's Send / Re-send (InvoiceSent)
// emails the invoice, with its PDF, to the recipient chosen.
func TestSendingAnInvoiceAgainEmailsIt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ob := f.outbox(nil)
	inv := f.issue()
	f.catchUp(ob)
	f.ok(f.svc.SendInvoice(ctx, billing.InvoiceRequest{InvoiceID: inv, Recipient: "ben@harbour.example"}, f.meta()))
	f.catchUp(ob)
	f.catchUp(f.outbox(nil)) // a replay sends nothing again
	if n := f.onceEach(); n != 2 {
		t.Fatalf("%d emails, want the issue email and the one sent again", n)
	}
	var again []string
	for _, s := range f.mp.Messages() {
		m := f.mp.Message(s.ID)
		if len(m.To) == 1 && m.To[0].Address == "ben@harbour.example" {
			again = append(again, m.Subject)
			if len(m.Attachments) != 1 || m.Attachments[0].FileName != "INV-000001.pdf" {
				t.Errorf("the invoice sent again has attachments %+v", m.Attachments)
			}
		}
	}
	if len(again) != 1 || !strings.HasPrefix(again[0], "Invoice INV-000001") {
		t.Errorf("emails to Ben: %q, want the invoice", again)
	}
}

// TestEachSignatoryGetsTheirOwnSigningLink: a proposal with signatories is
// emailed to each of them with a link bound to that signatory (one email
// each, even when staff also chose them as recipients), and a recipient who
// is not a signatory gets the proposal's link, as before.
func TestEachSignatoryGetsTheirOwnSigningLink(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rule := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}
	anaSig, carlaSig := uuid.New(), uuid.New()
	res := f.ok(f.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: f.clientID, Title: "Books", Lines: []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(690), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), BillingRule: rule, Automatic: true},
	}, ProposalOffer: billing.ProposalOffer{Signatories: []proposal.Signatory{
		{ID: anaSig, Name: "Ana Lima", Email: "ana@harbour.example"}, {ID: carlaSig, Name: "Carla Ruiz", Email: "carla@partners.example"},
	}}}, f.meta()))
	pid := res.ID
	f.ok(f.svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: pid, ContactIDs: f.contacts}, f.meta()))
	signLink := func(_, _, sig uuid.UUID) string { return "https://pay.ledger.example/sign/" + sig.String() }
	ob, err := emailer.New(emailer.Config{Store: f.store, Mailer: f.smtp(), From: "accounts@ledger.example", Now: f.clk.Now, LinkFor: f.links, SignLinkFor: signLink})
	if err != nil {
		t.Fatal(err)
	}
	f.catchUp(ob)

	want := map[string]string{
		"ana@harbour.example":    "Read and sign the proposal here (this link is yours alone): " + signLink(uuid.Nil, uuid.Nil, anaSig),
		"carla@partners.example": "Read and sign the proposal here (this link is yours alone): " + signLink(uuid.Nil, uuid.Nil, carlaSig),
		"ben@harbour.example":    "Read and accept the proposal here: " + f.links(emailer.LinkAccept, f.clientID, pid),
	}
	msgs := f.mp.Messages()
	if len(msgs) != len(want) {
		t.Fatalf("mailpit holds %d messages, want one each to Ana, Carla (signatories) and Ben: %+v", len(msgs), msgs)
	}
	for _, s := range msgs {
		m := f.mp.Message(s.ID)
		line, ok := want[m.To[0].Address]
		if !ok {
			t.Errorf("an email to %s", m.To[0].Address)
			continue
		}
		contains(t, "email to "+m.To[0].Address, m.Text, line)
		delete(want, m.To[0].Address)
	}
	if len(want) > 0 {
		t.Errorf("no email to %v", want)
	}
}

// TestReSentAfterAFailedPaymentCarriesThePayLink: an invoice charged to the
// card is emailed without a pay-now link (the card pays it); its payment is
// declined, and staff re-send it ("Send pay link" on the Collections page):
// that email carries the invoice's pay-now link, so the client can pay
// from it.
func TestReSentAfterAFailedPaymentCarriesThePayLink(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ob := f.outbox(nil)
	inv := f.issue()
	f.catchUp(ob)
	f.ok(f.svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: inv, AttemptID: uuid.New(), Outcome: invoice.AttemptRejected,
		PaymentMethodID: f.methodID, DeclineCode: "card_declined", DeclineMessage: "Your card was declined."}, f.meta()))
	f.ok(f.svc.SendInvoice(ctx, billing.InvoiceRequest{InvoiceID: inv, Recipient: "ben@harbour.example"}, f.meta()))
	f.catchUp(ob)
	payLink := "https://pay.ledger.example/pay_invoice/" + f.clientID.String() + "/" + inv.String()
	var resent int
	for _, s := range f.mp.Messages() {
		m := f.mp.Message(s.ID)
		if !strings.HasPrefix(m.Subject, "Invoice INV-000001") {
			continue
		}
		toBen := len(m.To) == 1 && m.To[0].Address == "ben@harbour.example"
		if toBen {
			resent++
		}
		if has := strings.Contains(m.Text, payLink); has != toBen {
			t.Errorf("email to %v carries the pay-now link: %v, want %v\n%s", m.To, has, toBen, m.Text)
		}
	}
	if resent != 1 {
		t.Errorf("%d re-sent invoices to Ben, want 1", resent)
	}
}
