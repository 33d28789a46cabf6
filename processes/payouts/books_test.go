package payouts_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/eventstore/sqlite"
	"remit/formats/journal"
	"remit/integrations/payments/sandbox"
	"remit/processes/billingrun"
	"remit/processes/payouts"
)

// TestCollectedThenPaidOutSettlesTheClearingAccount runs the real flow
// offline: the collection run charges two invoices through the sandbox (a
// card and a bank debit), the sandbox pays them out with its fees, the
// payout sync records the payouts; the journal then books fees to
// Expenses:Payment-Fees and the nets to the bank, the clearing account is
// back at zero and reconciles, and hledger check --strict passes.
func TestCollectedThenPaidOutSettlesTheClearingAccount(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store, err := sqlite.Open(t.TempDir(), sqlite.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	gw, err := sandbox.Open(t.TempDir(), sandbox.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	svc := billing.New(billing.Config{Store: store, Now: clock, NewID: uuid.New})
	meta := func() billing.Meta { return billing.Meta{Actor: "test", CommandID: uuid.NewString()} }
	must := func(r billing.Result, err error) uuid.UUID {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	must(svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "UTC", InvoicePrefix: "INV-", PaymentTermsDays: 14}, meta()))
	cl := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Acme", Kind: client.KindBusiness, Contacts: []client.Contact{{Name: "Ada", Email: "ada@acme.test"}}}, meta()))
	today := domain.DateOf(now, time.UTC)
	for _, m := range []client.PaymentMethodDetails{
		{Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: sandbox.TokenCardSucceeds, Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2030},
		{Kind: client.MethodBankDebit, Gateway: "sandbox", GatewayToken: sandbox.TokenDebitSettles, Scheme: client.SchemeAUBECS, MaskedAccount: "062-000 ****6789", MandateReference: "MD-1"},
	} {
		pm := must(svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: cl, Method: m}, meta()))
		inv := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: cl, PaymentMethodID: pm, Lines: []billing.InstantLine{
			{Description: "Advice", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(100), TaxRate: decimal.NewFromInt(10)}}}, meta()))
		must(svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: inv, PaymentMethodID: pm, Date: today}, meta()))
	}
	for day := range 8 { // the card is collected at once, the debit settles 3 days later
		now = time.Date(2026, 3, 2+day, 9, 0, 0, 0, time.UTC)
		if _, err := billingrun.Collect(ctx, store, svc, gw, domain.DateOf(now, time.UTC), billingrun.CollectOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := payouts.Sync(ctx, payouts.Config{Store: store, Gateway: gw, Now: clock}); err != nil {
			t.Fatal(err)
		}
	}
	j, err := journal.Build(ctx, store, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diffs := append(j.Unbalanced(), j.CheckClearing()...); len(diffs) != 0 {
		t.Fatalf("the books do not reconcile:\n%s", strings.Join(diffs, "\n"))
	}
	sums := map[string]decimal.Decimal{}
	for _, tx := range j.Transactions {
		for _, p := range tx.Postings {
			sums[p.Account] = sums[p.Account].Add(p.Amount)
		}
	}
	// 110.00 by card (fee 2.23) and 110.00 by debit (fee 1.10).
	for account, want := range map[string]string{journal.AccountGateway: "0", journal.AccountPaymentFees: "3.33", journal.AccountBank: "216.67"} {
		if !sums[account].Equal(decimal.RequireFromString(want)) {
			t.Errorf("%s = %s, want %s", account, sums[account], want)
		}
	}
	if _, err := exec.LookPath("hledger"); err != nil {
		t.Skip("hledger is not installed: scripts/test.sh installs it")
	}
	var b bytes.Buffer
	if err := j.Write(&b, journal.Hledger); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "books.journal")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("hledger", "-f", path, "check", "--strict", "ordereddates").CombinedOutput(); err != nil {
		t.Fatalf("hledger check --strict: %v\n%s", err, out)
	}
}
