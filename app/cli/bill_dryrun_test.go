package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"remit/app/cli"
	"remit/domain"
	"remit/eventstore/sqlite"
	"remit/integrations/payments/sandbox"
)

// TestBillDryRun: `remit bill --dry-run --as-of DATE` prints the invoice the
// run would issue (client, line, total, method, collection date, no number)
// and the payment it would collect, and writes nothing (the log's head is
// unchanged); the run for that date then issues it. A bad --as-of, or
// --dry-run with --collect, exits 2 with a message.
func TestBillDryRun(t *testing.T) {
	dir := t.TempDir()
	asOf := domain.DateOf(time.Now(), time.UTC).AddDays(40)
	mustCardClientWithService(t, dir, sandbox.TokenCardSucceeds, asOf)
	head := func() uint64 {
		t.Helper()
		s, err := sqlite.Open(dir, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		h, err := s.Head(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	before := head()
	code, out, errOut := run(t, "bill", "--data", dir, "--as-of", asOf.String(), "--dry-run")
	if code != cli.ExitOK {
		t.Fatalf("bill --dry-run: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"dry run of the billing run for " + asOf.String(), "invoice numbers are given when issued",
		"1 invoices would be issued", "Brick Pty Ltd: issued " + asOf.String(), "visa ending 0002, collected " + asOf.String(),
		"1 x AUD 300.00, tax 10% = AUD 330.00", "total AUD 330.00 (net AUD 300.00, tax AUD 30.00)",
		"1 payments would be collected", "Brick Pty Ltd: the new invoice, AUD 330.00 from visa ending 0002 on " + asOf.String(),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("bill --dry-run output lacks %q:\n%s", want, out)
		}
	}
	if h := head(); h != before {
		t.Fatalf("bill --dry-run moved the log's head from %d to %d", before, h)
	}
	code, out, errOut = run(t, "bill", "--data", dir, "--as-of", asOf.String())
	if code != cli.ExitOK || !strings.Contains(out, "1 issued") {
		t.Fatalf("bill after the dry run: exit %d, want 1 issued\n%s%s", code, out, errOut)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ErrBadAsOf", []string{"--as-of", "2026-13-45", "--dry-run"}, "--as-of \"2026-13-45\": give a date as YYYY-MM-DD"},
		{"ErrDryRunWithCollect", []string{"--dry-run", "--collect"}, "--dry-run writes and charges nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, append([]string{"bill", "--data", dir}, tc.args...)...)
			if code != cli.ExitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("bill %v: exit %d, want %d with %q\n%s%s", tc.args, code, cli.ExitUsage, tc.want, out, errOut)
			}
		})
	}
}
