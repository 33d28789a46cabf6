package cli_test

import (
	"strings"
	"testing"

	"remit/app/cli"
)

// TestProjectionsRebuildRefusesAnUnknownName: a name that is not a
// projection is bad usage (exit 2), and the message lists the names.
func TestProjectionsRebuildRefusesAnUnknownName(t *testing.T) {
	code, _, errOut := run(t, "projections", "rebuild", "clientz", "--data", t.TempDir())
	if code != cli.ExitUsage {
		t.Fatalf("exit %d, want %d: %s", code, cli.ExitUsage, errOut)
	}
	for _, name := range []string{`"clientz"`, "clients", "services", "invoices", "activity", "ledger", "emails"} {
		if !strings.Contains(errOut, name) {
			t.Errorf("the message does not name %s: %s", name, errOut)
		}
	}
}

// TestProjectionsStatusOfAStoreNeverServed: a store whose read models were
// never filled shows the log head and every projection as having no tables
// yet; a --read-models that is not PostgreSQL is bad usage.
func TestProjectionsStatusOfAStoreNeverServed(t *testing.T) {
	dir, _, _ := mustBilledStore(t)
	code, out, errOut := run(t, "projections", "status", "--data", dir)
	if code != cli.ExitOK || !strings.Contains(out, "log head: position ") {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	for _, name := range []string{"clients", "services", "invoices", "activity", "ledger", "emails"} {
		if !strings.Contains(out, name) {
			t.Errorf("status does not list %s:\n%s", name, out)
		}
	}
	if code, _, errOut := run(t, "projections", "status", "--data", dir, "--read-models", "mysql://x"); code != cli.ExitUsage || !strings.Contains(errOut, "--read-models") {
		t.Errorf("--read-models mysql://x: exit %d %s", code, errOut)
	}
}
