package cli_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/app/cli"
	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/integrations/payments/sandbox"
	"remit/projections"
	"remit/projections/rmdb"
)

// TestBillAsOfInTheFutureRetriesFromTheAsOfDate: `remit bill --as-of` a
// date after today, with a declined card, schedules the retry by the firm's
// policy counted from the as-of date (3 days after the rejection), not from
// the wall clock; and running it again changes nothing and exits 0.
func TestBillAsOfInTheFutureRetriesFromTheAsOfDate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	asOf := domain.DateOf(time.Now(), time.UTC).AddDays(62) // well after today, whatever today is
	mustCardClientWithService(t, dir, sandbox.TokenCardDeclined, asOf)

	code, out, errOut := run(t, "bill", "--data", dir, "--as-of", asOf.String(), "--collect")
	if code != cli.ExitOK || !strings.Contains(out, "1 rejected") || !strings.Contains(out, "1 retries scheduled") {
		t.Fatalf("bill --as-of %s: exit %d\n%s%s", asOf, code, out, errOut)
	}
	for i := range 2 {
		code, out, errOut = run(t, "bill", "--data", dir, "--as-of", asOf.String(), "--collect")
		if code != cli.ExitOK || !strings.Contains(out, "0 issued") || !strings.Contains(out, "0 due") {
			t.Fatalf("re-run %d of bill --as-of %s: exit %d, want 0 and nothing to do\n%s%s", i+1, asOf, code, out, errOut)
		}
	}

	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, err := s.ReadAll(ctx, 1, eventstore.Forward, 0, eventstore.Filter{StreamPrefixes: []string{"invoice-"}})
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.New()
	var retries []domain.Date
	var issued domain.Date
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			t.Fatal(err)
		}
		switch e := e.(type) {
		case invoice.InvoiceIssued:
			issued = e.IssueDate
		case invoice.InvoiceRetryScheduled:
			retries = append(retries, e.Date)
		}
	}
	if issued != asOf || len(retries) != 1 || retries[0] != asOf.AddDays(3) {
		t.Fatalf("invoice issued %s, retries %v; want issued %s and one retry on %s", issued, retries, asOf, asOf.AddDays(3))
	}
}

// mustCardClientWithService sets up a Sydney firm and one client whose card
// (the sandbox token) pays for a monthly automatic service starting on
// start.
func mustCardClientWithService(t *testing.T, dir, token string, start domain.Date) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	svc := billing.New(billing.Config{Store: s, Now: time.Now, NewID: uuid.New})
	meta := billing.Meta{Actor: "user:test"}
	must := mustOK(t)
	must(svc.SetUpFirm(ctx, testFirm, meta))
	cl := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Brick Pty Ltd", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@brick.example"}}}, meta)).ID
	must(svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: cl, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: token, Brand: "visa", Last4: "0002", ExpiryMonth: 12, ExpiryYear: 2034,
	}}, meta))
	must(svc.ActivateService(ctx, billing.ServiceRequest{ClientID: cl, Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(300), Quantity: decimal.NewFromInt(1),
		TaxRate: decimal.NewFromInt(10), Automatic: true,
		BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnDate, StartDate: start, End: domain.EndNever}}, meta))
}

// TestBillAsOfInTheFutureDatesThePaymentOnTheAsOfDate: a card collected by
// `remit bill --as-of <a future date> --collect` is a payment dated on that
// date, not the wall clock's today (before the invoice's issue date): on
// the invoice's payments and in the hledger journal export.
func TestBillAsOfInTheFutureDatesThePaymentOnTheAsOfDate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	asOf := domain.DateOf(time.Now(), time.UTC).AddDays(62)
	mustCardClientWithService(t, dir, sandbox.TokenCardSucceeds, asOf)

	code, out, errOut := run(t, "bill", "--data", dir, "--as-of", asOf.String(), "--collect")
	if code != cli.ExitOK || !strings.Contains(out, "1 paid") {
		t.Fatalf("bill --as-of %s: exit %d\n%s%s", asOf, code, out, errOut)
	}

	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rm, err := rmdb.OpenSQLite(filepath.Join(t.TempDir(), "rm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	models := projections.NewModels(rm)
	runner, err := projections.NewRunner(ctx, s, models, projections.RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Close()
	if err := runner.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := models.ListInvoices(ctx, projections.InvoiceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 {
		t.Fatalf("%d invoices, want 1", len(page.Items))
	}
	inv, err := models.Invoice(ctx, page.Items[0].ID, asOf)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Payments) != 1 || inv.Payments[0].Date != asOf {
		t.Errorf("invoice %s issued %s: payments %+v, want one dated %s", inv.Number, inv.IssueDate, inv.Payments, asOf)
	}
	s.Close()

	code, journal, errOut := run(t, "export", "journal", "--data", dir, "--format", "hledger")
	if code != cli.ExitOK {
		t.Fatalf("export journal: exit %d: %s", code, errOut)
	}
	var paid []string
	for _, line := range strings.Split(journal, "\n") {
		if strings.Contains(line, "payment collected") {
			paid = append(paid, line)
		}
	}
	if len(paid) != 1 || !strings.HasPrefix(paid[0], asOf.String()+" ") {
		t.Errorf("journal's payment transactions %q, want one dated %s\n%s", paid, asOf, journal)
	}
}
