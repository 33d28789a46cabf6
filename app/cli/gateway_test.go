package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/app/cli"
	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/eventstore/sqlite"
	"remit/integrations/payments/sandbox"
	"remit/integrations/payments/stripe/stripemock"
)

// mustCollectionDue sets up a firm with one client whose card is on file and
// an invoice to be collected on 10 March 2026, and closes the store.
func mustCollectionDue(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	svc := billing.New(billing.Config{Store: s, Now: time.Now, NewID: uuid.New})
	meta := billing.Meta{Actor: "user:test"}
	must := mustOK(tb)
	must(svc.SetUpFirm(ctx, testFirm, meta))
	cl := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Acme Pty Ltd", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@acme.example"}}}, meta)).ID
	pm := must(svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: cl, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "stripe", GatewayToken: "pm_card_visa", Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2034,
	}}, meta)).ID
	inv := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: cl, PaymentMethodID: pm, IssueDate: domain.MustDate(2026, 3, 10),
		Lines: []billing.InstantLine{{Description: "Tax return", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(500), TaxRate: decimal.NewFromInt(10)}}}, meta)).ID
	must(svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: inv, PaymentMethodID: pm, Date: domain.MustDate(2026, 3, 10)}, meta))
	return dir
}

func TestBillGatewayFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"ErrUnknownGateway", nil, []string{"--gateway", "paypal"}, `--gateway "paypal": choose sandbox or stripe`},
		{"ErrStripeWithoutKey", nil, []string{"--gateway", "stripe"}, "needs --stripe-key"},
		{"ErrStripeWithoutKeyFromEnv", map[string]string{"REMIT_GATEWAY": "stripe"}, nil, "needs --stripe-key"},
		{"ErrPublishableKeyFromEnv", map[string]string{"REMIT_GATEWAY": "stripe", "REMIT_STRIPE_KEY": "pk_live_1"}, nil, "never a publishable key"},
		{"ErrStripeKeyWithSandbox", nil, []string{"--stripe-key", "sk_test_1"}, "need --gateway stripe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, cmd := range []string{"bill", "serve"} {
				dir := t.TempDir()
				args := append([]string{cmd, "--data", dir}, tc.args...)
				code, _, errOut := runEnv(tc.env, args...)
				if code != cli.ExitUsage || !strings.Contains(errOut, tc.want) {
					t.Errorf("%s: exit %d, %q; want exit 2 saying %q", cmd, code, errOut, tc.want)
				}
				if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err == nil {
					t.Errorf("%s: bad usage created a store", cmd)
				}
			}
		})
	}
}

// TestBillCollectsThroughStripe: remit bill --collect --gateway stripe
// charges through Stripe (here Stripe's own mock server), not the sandbox,
// and records the answer.
func TestBillCollectsThroughStripe(t *testing.T) {
	url := stripemock.MustStart(t)
	dir := mustCollectionDue(t)
	code, out, errOut := runEnv(map[string]string{"REMIT_STRIPE_KEY": "sk_test_123"},
		"bill", "--data", dir, "--as-of", "2026-03-10", "--collect", "--gateway", "stripe", "--stripe-url", url)
	t.Logf("%s%s", out, errOut)
	if code != cli.ExitOK || !strings.Contains(out, "collection for 2026-03-10: 1 due:") {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "0 paid, 0 rejected, 0 pending") {
		t.Errorf("the charge was not answered:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, sandbox.FileName)); err == nil {
		t.Errorf("the sandbox gateway was used: %s exists", sandbox.FileName)
	}
}
