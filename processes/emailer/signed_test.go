package emailer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
	"remit/processes/emailer"
	"remit/processes/signeddoc"
)

// TestTheSignedPDFIsEmailedToEverySignatoryAndTheFirm: once both
// signatories signed and the signed PDF is filed, each signatory and the
// firm's staff get it attached, with every signature's name, time, IP and
// the document's hash in it; a replay sends nothing again.
func TestTheSignedPDFIsEmailedToEverySignatoryAndTheFirm(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rule := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}
	ana, carla := uuid.New(), uuid.New()
	pid := f.ok(f.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: f.clientID, Title: "Books", Lines: []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(690), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), BillingRule: rule, Automatic: true},
	}, ProposalOffer: billing.ProposalOffer{Signatories: []proposal.Signatory{
		{ID: ana, Name: "Ana Lima", Email: "ana@harbour.example"}, {ID: carla, Name: "Carla Ruiz", Email: "carla@partners.example"},
	}}}, f.meta())).ID
	f.ok(f.svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: pid, RecipientEmail: "ana@harbour.example"}, f.meta()))
	for _, g := range []struct {
		id       uuid.UUID
		name, ip string
	}{{ana, "Ana Lima", "203.0.113.7"}, {carla, "Carla Ruiz", "198.51.100.22"}} {
		_, hash, err := f.svc.ProposalDocument(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		f.ok(f.svc.SignProposal(ctx, billing.SignProposalRequest{ProposalID: pid, SignatoryID: g.id, SignedName: g.name, DocumentHash: hash,
			IP: g.ip, UserAgent: "Mozilla/5.0 Chrome/131"}, f.meta()))
	}
	dir := t.TempDir()
	if err := (&signeddoc.Filer{Billing: f.svc, Store: f.store, DataDir: dir}).CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	_, docHash, err := f.svc.ProposalDocument(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := emailer.New(emailer.Config{Store: f.store, Mailer: f.smtp(), From: "accounts@ledger.example", StaffTo: "staff@ledger.example", Now: f.clk.Now, LinkFor: f.links})
	if err != nil {
		t.Fatal(err)
	}
	f.catchUp(ob)
	f.catchUp(f.outbox(nil)) // a replay sends nothing again

	got := map[string]bool{}
	for _, s := range f.mp.Messages() {
		if !strings.HasPrefix(s.Subject, "Signed: Books") {
			continue
		}
		m := f.mp.Message(s.ID)
		got[m.To[0].Address] = true
		if len(m.Attachments) != 1 || m.Attachments[0].FileName != "signed-proposal.pdf" {
			t.Errorf("the email to %s has attachments %+v", m.To[0].Address, m.Attachments)
			continue
		}
		text := strings.Join(strings.Fields(pdfText(t, f.mp.Part(m.ID, m.Attachments[0].PartID))), " ")
		contains(t, "the signed PDF", text, "Ana Lima <ana@harbour.example>", "Carla Ruiz <carla@partners.example>",
			"IP address: 203.0.113.7", "IP address: 198.51.100.22", "2 Mar 2026 09:00:00 AEDT", "2026-03-01 22:00:00 UTC",
			"SHA-256 of the accepted document: "+docHash)
		contains(t, "the signed email", m.Text, "SHA-256 of the document signed: "+docHash)
	}
	for _, who := range []string{"ana@harbour.example", "carla@partners.example", "staff@ledger.example"} {
		if !got[who] {
			t.Errorf("no signed PDF emailed to %s (got %v)", who, got)
		}
	}
	if len(got) != 3 {
		t.Errorf("signed PDF emailed to %v, want the two signatories and the firm", got)
	}
}
