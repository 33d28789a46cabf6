package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"remit/app/cli"
	"remit/domain"
	"remit/integrations/payments"
	"remit/integrations/payments/sandbox"
)

// TestPayoutsSync: `remit payouts sync` records the sandbox's payout of a
// charge made days ago, and running it again records nothing twice.
func TestPayoutsSync(t *testing.T) {
	dir := t.TempDir()
	past := time.Now().Add(-5 * 24 * time.Hour)
	gw, err := sandbox.Open(dir, sandbox.Options{Now: func() time.Time { return past }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gw.Charge(context.Background(), payments.ChargeRequest{IdempotencyKey: "k1", PaymentMethod: sandbox.TokenCardSucceeds, Amount: domain.MustMoney("110.00", "AUD")}); err != nil {
		t.Fatal(err)
	}
	gw.Close()
	code, out, errOut := run(t, "payouts", "sync", "--data", dir)
	if code != cli.ExitOK || !strings.Contains(out, "sandbox: 1 payouts listed, 1 recorded") {
		t.Fatalf("first sync: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, "payouts", "sync", "--data", dir)
	if code != cli.ExitOK || !strings.Contains(out, "1 payouts listed, 0 recorded") {
		t.Fatalf("second sync: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "payouts", "sync", "--data", dir, "--gateway", "paypal"); code != cli.ExitUsage || !strings.Contains(errOut, "--gateway") {
		t.Errorf("an unknown gateway: exit %d %s", code, errOut)
	}
}
