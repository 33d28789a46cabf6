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
	"remit/domain/firm"
	"remit/eventstore"
	"remit/eventstore/sqlite"
)

// TestDunningRunRefusesBadUsage: `remit dunning run` exits 2 with a message
// naming what is wrong (a bad --as-of, a firm not set up) and appends nothing.
func TestDunningRunRefusesBadUsage(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := run(t, "dunning", "run", "--data", dir, "--as-of", "3 March"); code != cli.ExitUsage || !strings.Contains(errOut, "--as-of") {
		t.Fatalf("a bad date: exit %d, %s; want 2 naming --as-of", code, errOut)
	}
	if code, _, errOut := run(t, "dunning", "run", "--data", dir); code != cli.ExitUsage || !strings.Contains(errOut, "set up the firm before running the dunning job") {
		t.Fatalf("no firm: exit %d, %s; want 2 asking to set up the firm", code, errOut)
	}
}

// TestDunningRunDigestAfterWriteOff: the firm's one overdue invoice is
// written off by `remit dunning run` itself; the staff's daily digest of
// the same run reads the read models after that write-off (as serve's job
// does), so with nothing failed or overdue left it records no digest.
func TestDunningRunDigestAfterWriteOff(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	today := domain.DateOf(time.Now(), time.UTC)
	asOf := today.AddDays(60) // long overdue (14 days' terms)
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := billing.New(billing.Config{Store: s, Now: time.Now, NewID: uuid.New})
	meta := billing.Meta{Actor: "user:test"}
	must := mustOK(t)
	must(svc.SetUpFirm(ctx, testFirm, meta))
	must(svc.ChangeDunningPolicy(ctx, firm.DunningPolicy{
		RetryAfterDays: []int{3}, FinalAction: firm.FinalLeave, StaffEmails: []string{"ar@ledger.example"}, DailyDigest: true,
	}, meta))
	cl := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Brick Pty Ltd", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@brick.example"}}}, meta)).ID
	inv := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: cl, Lines: []billing.InstantLine{{
		Description: "Year-end accounts", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(500), TaxRate: decimal.NewFromInt(10),
	}}}, meta)).ID
	must(svc.ExhaustDunning(ctx, billing.DunningExhaustion{InvoiceID: inv, LastAttempt: uuid.New(), Date: today, FinalAction: firm.FinalLeave, WriteOffOn: asOf}, meta))
	s.Close()

	code, out, errOut := run(t, "dunning", "run", "--data", dir, "--as-of", asOf.String())
	if code != cli.ExitOK || !strings.Contains(out, "1 written off") {
		t.Fatalf("dunning run --as-of %s: exit %d, want 0 and 1 written off\n%s%s", asOf, code, out, errOut)
	}
	s, err = sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, err := s.ReadAll(ctx, 1, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Type == "FirmDunningDigestSent" {
			t.Fatalf("the run's digest counted the invoice it had just written off:\n%s", r.Data)
		}
	}
}
