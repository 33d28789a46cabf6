package signeddoc_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/proposal"
	"remit/eventstore"
	"remit/eventstore/pii"
	"remit/eventstore/sqlite"
	"remit/eventstore/storeurl"
	"remit/processes/signeddoc"
)

// signedProposal sets up a firm, a client and a proposal both its
// signatories signed, and returns the store, the service and the proposal.
func signedProposal(t *testing.T) (eventstore.Store, *billing.Service, uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	svc := billing.New(billing.Config{Store: st, Now: func() time.Time { return now }})
	n := 0
	meta := func() billing.Meta { n++; return billing.Meta{Actor: "staff", CommandID: "cmd-" + string(rune('a'+n))} }
	ok := func(res billing.Result, err error) billing.Result {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	ok(svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14,
		Address: domain.Address{Line1: "1 George St", City: "Sydney", Country: "AU"}, CollectionDaysOnceOff: 7}, meta()))
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
	for _, g := range []struct {
		id   uuid.UUID
		name string
		ip   string
	}{{ana, "Ana Lima", "203.0.113.7"}, {carla, "Carla Ruiz", "198.51.100.22"}} {
		_, hash, err := svc.ProposalDocument(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		ok(svc.SignProposal(ctx, billing.SignProposalRequest{ProposalID: pid, SignatoryID: g.id, SignedName: g.name, DocumentHash: hash,
			IP: g.ip, UserAgent: "Mozilla/5.0 Chrome/131"}, meta()))
	}
	return st, svc, pid
}

// TestTheSignedPDFIsFiledOnceAndAuditedAgainstTheLog: the filer keeps the
// signed PDF in the data folder and records its hash once (a second run
// records nothing); the audit verifies it, and names the mismatch once the
// stored PDF is altered.
func TestTheSignedPDFIsFiledOnceAndAuditedAgainstTheLog(t *testing.T) {
	ctx := context.Background()
	st, svc, pid := signedProposal(t)
	dir := t.TempDir()
	filer := &signeddoc.Filer{Billing: svc, Store: st, DataDir: dir}
	if err := filer.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if err := filer.CatchUp(ctx); err != nil { // a restart files nothing again
		t.Fatal(err)
	}
	recs, err := st.ReadStream(ctx, proposal.StreamName(pid), 0, eventstore.Forward, 0)
	if err != nil {
		t.Fatal(err)
	}
	filed := 0
	for _, r := range recs {
		if r.Type == "ProposalSignedDocumentFiled" {
			filed++
		}
	}
	if filed != 1 {
		t.Fatalf("%d ProposalSignedDocumentFiled events, want 1", filed)
	}
	stored, err := os.ReadFile(signeddoc.Path(dir, pid))
	if err != nil || !strings.HasPrefix(string(stored), "%PDF-") {
		t.Fatalf("the signed PDF is not kept: %v", err)
	}

	rep, err := signeddoc.Audit(ctx, st, dir, pid)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Verified() || len(rep.Signatures) != 2 || rep.PDFSHA256 != signeddoc.Hash(stored) {
		t.Fatalf("audit of an untouched proposal: %+v", rep)
	}

	// Someone alters the stored PDF: the audit fails, naming what.
	altered := append([]byte(nil), stored...)
	altered = append(altered, []byte("\n% altered\n")...)
	if err := os.WriteFile(signeddoc.Path(dir, pid), altered, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err = signeddoc.Audit(ctx, st, dir, pid)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verified() {
		t.Fatal("the audit verified an altered PDF")
	}
	var failed []string
	for _, c := range rep.Checks {
		if !c.OK {
			failed = append(failed, c.Why)
		}
	}
	if len(failed) != 2 || !strings.Contains(failed[0], "differs from the one rendered from the event") || !strings.Contains(failed[1], "the log filed") {
		t.Errorf("failed checks %q", failed)
	}
}

// TestTheFilerDeletesAnErasedClientsSignedPDF: remit serve erases a client
// (POST /api/clients/{id}/forget): the filer, following the log, meets
// ClientErased and deletes the client's signed PDF from the data folder.
func TestTheFilerDeletesAnErasedClientsSignedPDF(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := storeurl.Open(ctx, "", storeurl.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	svc := billing.New(billing.Config{Store: st, Now: func() time.Time { return now }})
	must := func(res billing.Result, err error) billing.Result {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	must(svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14,
		Address: domain.Address{Line1: "1 George St", City: "Sydney", Country: "AU"}}, billing.Meta{Actor: "staff", CommandID: "firm"}))
	cl := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Harbour Cafe", Kind: client.KindBusiness,
		Contacts: []client.Contact{{ID: uuid.New(), Name: "Ana Lima", Email: "ana@harbour.example"}}}, billing.Meta{Actor: "staff", CommandID: "client"})).ID
	g := uuid.New()
	rule := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}
	pid := must(svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: cl, Title: "Books", Lines: []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(690), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), BillingRule: rule, Automatic: true},
	}, ProposalOffer: billing.ProposalOffer{Signatories: []proposal.Signatory{{ID: g, Name: "Ana Lima", Email: "ana@harbour.example"}}}}, billing.Meta{Actor: "staff", CommandID: "draft"})).ID
	must(svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: pid, RecipientEmail: "ana@harbour.example"}, billing.Meta{Actor: "staff", CommandID: "send"}))
	_, hash, err := svc.ProposalDocument(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	must(svc.SignProposal(ctx, billing.SignProposalRequest{ProposalID: pid, SignatoryID: g, SignedName: "Ana Lima", DocumentHash: hash,
		IP: "203.0.113.7", UserAgent: "Mozilla/5.0"}, billing.Meta{Actor: "client", CommandID: "sign"}))
	filer := &signeddoc.Filer{Billing: svc, Store: st, DataDir: dir}
	if err := filer.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(signeddoc.Path(dir, pid)); err != nil {
		t.Fatalf("not filed: %v", err)
	}
	if _, err := pii.Erase(ctx, st, cl, billing.Meta{Actor: "owner", CommandID: "forget"}, now); err != nil {
		t.Fatal(err)
	}
	if err := filer.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(signeddoc.Path(dir, pid)); !os.IsNotExist(err) {
		t.Fatalf("the erased client's signed PDF is still there: %v", err)
	}
	rep, err := signeddoc.Audit(ctx, st, dir, pid)
	if err != nil || !rep.Erased || !rep.Verified() {
		t.Fatalf("audit after erasure: %+v, %v", rep, err)
	}
}
