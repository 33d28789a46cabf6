package cli_test

import (
	"context"
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
)

// TestProposalsRemindAsOf: `remit proposals remind --as-of` three days
// after a proposal was sent records its first reminder; running it again
// for that day does nothing; a date that is not one exits 2.
func TestProposalsRemindAsOf(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := billing.New(billing.Config{Store: s, Now: time.Now, NewID: uuid.New})
	must := func(r billing.Result, err error) uuid.UUID {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	meta := func() billing.Meta { return billing.Meta{Actor: "test", CommandID: uuid.NewString()} }
	must(svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "UTC"}, meta()))
	ana := uuid.New()
	cl := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Acme", Kind: client.KindBusiness, PrimaryContactID: ana,
		Contacts: []client.Contact{{ID: ana, Name: "Ana", Email: "ana@acme.test"}}}, meta()))
	p := must(svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: cl, Title: "Books", Lines: []proposal.Line{{
		Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(100), Quantity: decimal.NewFromInt(1),
		BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever},
	}}}, meta()))
	must(svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: p, ContactIDs: []uuid.UUID{ana}}, meta()))
	s.Close()

	asOf := domain.DateOf(time.Now(), time.UTC).AddDays(3)
	code, out, errOut := run(t, "proposals", "remind", "--data", dir, "--as-of", asOf.String())
	if code != cli.ExitOK || !strings.Contains(out, "1 reminders sent") {
		t.Fatalf("proposals remind --as-of %s: exit %d\n%s%s", asOf, code, out, errOut)
	}
	code, out, errOut = run(t, "proposals", "remind", "--data", dir, "--as-of", asOf.String())
	if code != cli.ExitOK || !strings.Contains(out, "0 reminders sent, 0 expired") {
		t.Fatalf("re-run: exit %d, want 0 and nothing sent\n%s%s", code, out, errOut)
	}
	if code, _, errOut = run(t, "proposals", "remind", "--data", dir, "--as-of", "3 March"); code != cli.ExitUsage || !strings.Contains(errOut, "--as-of") {
		t.Fatalf("a bad date: exit %d, %s; want 2 naming --as-of", code, errOut)
	}
}
