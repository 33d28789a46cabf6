package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"remit/app/cli"
)

func TestLedgerConnectStatusAndReconcile(t *testing.T) {
	dir, _, _ := mustBilledStore(t)
	connect := []string{"ledger", "connect", "xero", "--data", dir, "--tenant", "tenant-1", "--client-id", "app", "--client-secret", "s3cret",
		"--revenue-account", "200", "--tax-type", "10=OUTPUT", "--history"}

	if code, _, errOut := run(t, "ledger", "connect", "sage", "--data", dir); code != cli.ExitUsage || !strings.Contains(errOut, "xero or qbo") {
		t.Errorf("unknown provider: exit %d %s", code, errOut)
	}
	if code, _, errOut := run(t, connect...); code != cli.ExitUsage || !strings.Contains(errOut, "clearing") {
		t.Errorf("no clearing account: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "ledger", "xero.json")); err == nil {
		t.Error("a refused connection wrote the secrets file")
	}
	if code, out, _ := run(t, "ledger", "status", "--data", dir); code != cli.ExitOK || !strings.Contains(out, "No ledger is connected") {
		t.Errorf("status before connecting: exit %d %s", code, out)
	}

	code, out, errOut := run(t, append(connect, "--clearing-account", "610")...)
	if code != cli.ExitOK || !strings.Contains(out, "Connected xero (tenant-1)") {
		t.Fatalf("connect: exit %d\n%s\n%s", code, out, errOut)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "ledger", "xero.json"))
	if err != nil || !strings.Contains(string(raw), "s3cret") {
		t.Errorf("secrets file: %v %s", err, raw)
	}
	code, out, _ = run(t, "ledger", "status", "--data", dir)
	if code != cli.ExitOK || !strings.Contains(out, "xero: connected, tenant tenant-1") || !strings.Contains(out, "10%=OUTPUT") {
		t.Errorf("status: exit %d\n%s", code, out)
	}

	// Nothing was pushed (no remit serve ran): every invoice and the payment differ.
	code, out, _ = run(t, "reconcile", "--ledger", "--data", dir)
	if code != cli.ExitProblem || strings.Count(out, "ledger difference:") != 3 || !strings.Contains(out, "never pushed") {
		t.Errorf("reconcile --ledger: exit %d\n%s", code, out)
	}
	if code, out, _ := run(t, "reconcile", "--data", dir); code != cli.ExitOK {
		t.Errorf("reconcile without --ledger: exit %d\n%s", code, out)
	}
}

func TestLedgerConnectSkipsHistoryByDefault(t *testing.T) {
	dir, _, _ := mustBilledStore(t)
	code, out, errOut := run(t, "ledger", "connect", "qbo", "--data", dir, "--tenant", "realm-9", "--client-id", "app", "--client-secret", "s",
		"--revenue-account", "4000", "--clearing-account", "1200")
	if code != cli.ExitOK {
		t.Fatalf("connect: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run(t, "reconcile", "--ledger", "--data", dir)
	if code != cli.ExitOK || !strings.Contains(out, "ledger: checked 0 invoices") {
		t.Errorf("reconcile --ledger: exit %d\n%s", code, out)
	}
}
