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
	"remit/eventstore/storeurl"
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

// TestAuditProposalAfterErasure: once the client is forgotten, its signed
// proposal's PDF (which holds names, emails and IPs) is gone from the data
// folder, the filer does not make it again, and remit audit proposal says
// it was erased (exit 0) instead of failing on the erased evidence.
func TestAuditProposalAfterErasure(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := storeurl.Open(ctx, "", storeurl.Options{DataDir: dir}) // seals personal data, as remit serve does
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
	other := ok(svc.CreateClient(ctx, billing.ClientRequest{Name: "Quokka Bakery", Kind: client.KindBusiness,
		Contacts: []client.Contact{{ID: uuid.New(), Name: "Olga", Email: "olga@quokka.example"}}}, meta())).ID
	rule := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}
	signed := func(clientID uuid.UUID, name, email string) uuid.UUID {
		g := uuid.New()
		pid := ok(svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: clientID, Title: "Books", Lines: []proposal.Line{
			{Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(690), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), BillingRule: rule, Automatic: true},
		}, ProposalOffer: billing.ProposalOffer{Signatories: []proposal.Signatory{{ID: g, Name: name, Email: email}}}}, meta())).ID
		ok(svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: pid, RecipientEmail: email}, meta()))
		_, hash, err := svc.ProposalDocument(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		ok(svc.SignProposal(ctx, billing.SignProposalRequest{ProposalID: pid, SignatoryID: g, SignedName: name, DocumentHash: hash,
			IP: "203.0.113.7", UserAgent: "Mozilla/5.0 Chrome/131"}, meta()))
		return pid
	}
	pid, kept := signed(cl, "Ana Lima", "ana@harbour.example"), signed(other, "Olga Berg", "olga@quokka.example")
	if err := (&signeddoc.Filer{Billing: svc, Store: s, DataDir: dir}).CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(signeddoc.Path(dir, pid)); err != nil {
		t.Fatalf("the signed PDF is not kept before the erasure: %v", err)
	}
	s.Close()

	if code, out, errOut := run(t, "client", "forget", cl.String(), "--data", dir); code != cli.ExitOK {
		t.Fatalf("forget: exit %d: %s%s", code, out, errOut)
	}
	if _, err := os.Stat(signeddoc.Path(dir, pid)); !os.IsNotExist(err) {
		t.Fatalf("the erased client's signed PDF is still there: %v", err)
	}
	if _, err := os.Stat(signeddoc.Path(dir, kept)); err != nil {
		t.Fatalf("another client's signed PDF went too: %v", err)
	}

	// remit serve's filer catches up from the start of the log: it must
	// not make the erased client's PDF again.
	s, err = storeurl.Open(ctx, "", storeurl.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := (&signeddoc.Filer{Billing: billing.New(billing.Config{Store: s}), Store: s, DataDir: dir}).CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := signeddoc.FiledPDF(ctx, s, pid); domain.ErrorCode(err) != domain.ENOTFOUND || !strings.Contains(err.Error(), "erased") {
		t.Errorf("downloading the erased PDF: %v", err)
	}
	s.Close()
	if _, err := os.Stat(signeddoc.Path(dir, pid)); !os.IsNotExist(err) {
		t.Fatalf("the filer made the erased client's signed PDF again: %v", err)
	}

	code, out, errOut := run(t, "audit", "proposal", pid.String(), "--data", dir)
	if code != cli.ExitOK || !strings.Contains(out, "verified: the signed PDF was erased with the client's personal data") ||
		!strings.Contains(out, "the client was erased") || strings.Contains(out, "Ana Lima") || strings.Contains(out, "203.0.113.7") {
		t.Errorf("audit of an erased client's proposal: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := run(t, "audit", "proposal", kept.String(), "--data", dir); code != cli.ExitOK || !strings.Contains(out, "verified: the stored PDF's SHA-256 is the one filed") {
		t.Errorf("audit of the other client's proposal: exit %d\n%s", code, out)
	}
}
