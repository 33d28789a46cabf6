package cli_test

import (
	"strings"
	"testing"

	"remit/app/cli"
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
