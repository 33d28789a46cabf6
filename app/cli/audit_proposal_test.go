package cli_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/app/cli"
	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/proposal"
	"remit/eventstore/sqlite"
	"remit/processes/signeddoc"
)

// TestAuditProposal: remit audit proposal shows both signatures' evidence
// and "verified" lines for a signed proposal whose PDF is filed; once the
// stored PDF is altered it exits 1 naming the mismatch.
func TestAuditProposal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	svc := billing.New(billing.Config{Store: s, Now: func() time.Time { return now }})
	n := 0
	ok := func(res billing.Result, err error) billing.Result {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	meta := func() billing.Meta { n++; return billing.Meta{Actor: "staff", CommandID: "c" + strings.Repeat("x", n)} }
	ok(svc.SetUpFirm(ctx, testFirm, meta()))
	cl := ok(svc.CreateClient(ctx, billing.ClientRequest{Name: "Harbour Cafe", Kind: client.KindBusiness,
		Contacts: []client.Contact{{ID: uuid.New(), Name: "Ana Lima", Email: "ana@harbour.example"}}}, meta())).ID
	ana, carla := uuid.New(), uuid.New()
	rule := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}
	pid := ok(svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: cl, Title: "Books", Lines: []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(690), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), BillingRule: rule, Automatic: true},
	}, ProposalOffer: billing.ProposalOffer{Signatories: []proposal.Signatory{
		{ID: ana, Name: "Ana Lima", Email: "ana@harbour.example"}, {ID: carla, Name: "Carla Ruiz", Email: "carla@partners.example"},
	}}}, meta())).ID
	ok(svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: pid, RecipientEmail: "ana@harbour.example"}, meta()))
	for i, g := range []uuid.UUID{ana, carla} {
		_, hash, err := svc.ProposalDocument(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		ok(svc.SignProposal(ctx, billing.SignProposalRequest{ProposalID: pid, SignatoryID: g, SignedName: []string{"Ana Lima", "Carla Ruiz"}[i], DocumentHash: hash,
			IP: []string{"203.0.113.7", "198.51.100.22"}[i], UserAgent: "Mozilla/5.0 Chrome/131"}, meta()))
	}
	if err := (&signeddoc.Filer{Billing: svc, Store: s, DataDir: dir}).CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()

	code, out, errOut := run(t, "audit", "proposal", pid.String(), "--data", dir)
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	for _, want := range []string{"signature 1: Ana Lima <ana@harbour.example> at 2026-03-02T09:00:00Z from 203.0.113.7",
		"signature 2: Carla Ruiz", "verified: the accepted document's SHA-256 is the hash recorded",
		"verified: the stored PDF is the PDF rendered again from the acceptance", "verified: the stored PDF's SHA-256 is the one filed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	f, err := os.OpenFile(signeddoc.Path(dir, pid), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n% altered\n")
	f.Close()
	code, out, _ = run(t, "audit", "proposal", pid.String(), "--data", dir)
	if code != cli.ExitProblem || !strings.Contains(out, "MISMATCH: the stored PDF is the PDF rendered again from the acceptance") {
		t.Errorf("altered PDF: exit %d, output %s", code, out)
	}
	if code, _, errOut := run(t, "audit", "proposal", "nope", "--data", dir); code != cli.ExitUsage || !strings.Contains(errOut, "UUID") {
		t.Errorf("bad id: exit %d, %s", code, errOut)
	}
}
