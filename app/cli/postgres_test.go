package cli_test

import (
	"strings"
	"testing"

	"remit/app/cli"
	"remit/eventstore/postgres/pgtest"
)

// TestMigrateToPostgres copies an embedded store into a real PostgreSQL
// database and then works on it with --store: verify, replay, reconcile.
func TestMigrateToPostgres(t *testing.T) {
	dir, _, _ := mustBilledStore(t)
	pg := pgtest.MustDatabase(t)

	code, out, errOut := run(t, "migrate", "--from", dir, "--to", pg)
	if code != cli.ExitOK || !strings.Contains(out, "copied and verified 7 events") {
		t.Fatalf("migrate: exit %d\n%s\n%s", code, out, errOut)
	}
	head := strings.TrimPrefix(strings.Split(out, "\n")[1], "head: ")
	if code, out, _ := run(t, "migrate", "--from", dir, "--to", pg); code != cli.ExitUsage {
		t.Fatalf("migrate into a non-empty target: exit %d\n%s", code, out)
	}
	if code, out, _ := run(t, "audit", "verify", "--store", pg, "--expect-head", head); code != cli.ExitOK || !strings.Contains(out, "OK: 7 events verified") {
		t.Fatalf("verify on postgres: exit %d\n%s", code, out)
	}
	// The embedded store's head hash is the same: positions and hashes were preserved.
	if _, out, _ := run(t, "audit", "verify", "--data", dir); !strings.Contains(out, head) {
		t.Fatalf("embedded head differs from the migrated one %s:\n%s", head, out)
	}
	snap := t.TempDir()
	if code, out, errOut := run(t, "replay", "--store", pg, "--data", snap); code != cli.ExitOK || !strings.Contains(out, "invoices in all: 2") {
		t.Fatalf("replay on postgres: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := run(t, "reconcile", "--store", pg, "--data", snap); code != cli.ExitOK {
		t.Fatalf("reconcile on postgres: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := run(t, "info", "--store", "mysql://x"); code != cli.ExitUsage || !strings.Contains(errOut, "unknown store") {
		t.Fatalf("unknown store scheme: exit %d %s", code, errOut)
	}
}
