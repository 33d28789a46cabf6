package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"remit/app/cli"
	"remit/billing"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/eventstore/storetest"
)

// run runs the real program in-process and returns its exit code and output.
func run(tb testing.TB, args ...string) (int, string, string) {
	tb.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

// testFirm is the firm the commands' tests set up: Ledger & Co, in AUD, in
// Sydney, with 14 days' terms.
var testFirm = billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14}

// mustOK returns a function that fails tb when a billing command is refused,
// and otherwise hands back its result.
func mustOK(tb testing.TB) func(billing.Result, error) billing.Result {
	return func(r billing.Result, err error) billing.Result {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return r
	}
}

func mustFill(tb testing.TB, dir string, n int) {
	tb.Helper()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < n; i++ {
		storetest.MustAppend(tb, s, "client-1", eventstore.Any, storetest.Event("ClientRenamed", i))
	}
}

func TestAuditVerify(t *testing.T) {
	dir := t.TempDir()
	mustFill(t, dir, 5)

	code, out, _ := run(t, "audit", "verify", "--data", dir)
	if code != cli.ExitOK || !strings.Contains(out, "OK: 5 events verified") {
		t.Fatalf("intact store: exit %d, output %q", code, out)
	}
	head := strings.TrimPrefix(strings.Split(out, "\n")[1], "head: ")

	t.Run("ExpectHeadUnchanged", func(t *testing.T) {
		if code, out, errOut := run(t, "audit", "verify", "--data", dir, "--expect-head", head); code != cli.ExitOK {
			t.Fatalf("exit %d: %s %s", code, out, errOut)
		}
	})
	t.Run("BadExpectHeadIsUsage", func(t *testing.T) {
		if code, _, errOut := run(t, "audit", "verify", "--data", dir, "--expect-head", "x"); code != cli.ExitUsage || !strings.Contains(errOut, "--expect-head") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
	t.Run("MissingStoreIsUsage", func(t *testing.T) {
		if code, _, errOut := run(t, "audit", "verify", "--data", filepath.Join(dir, "nope")); code != cli.ExitUsage || !strings.Contains(errOut, "no Remit store") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})

	// Tamper with one event's data, as someone editing the file would.
	db, err := sql.Open("sqlite3", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE events SET envelope = replace(envelope, CAST('{"n":2}' AS BLOB), CAST('{"n":9}' AS BLOB)) WHERE position = 3`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, out, _ = run(t, "audit", "verify", "--data", dir)
	if code != cli.ExitProblem || !strings.Contains(out, "position 3") {
		t.Fatalf("tampered store: exit %d, output %q", code, out)
	}
}

func TestAuditVerifyDetectsTruncatedTail(t *testing.T) {
	dir := t.TempDir()
	mustFill(t, dir, 4)
	_, out, _ := run(t, "audit", "verify", "--data", dir)
	head := strings.TrimPrefix(strings.Split(out, "\n")[1], "head: ")
	db, err := sql.Open("sqlite3", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM events WHERE position = 4`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// The chain itself is intact (the tail is gone), so only the recorded head
	// reveals it.
	if code, _, _ := run(t, "audit", "verify", "--data", dir); code != cli.ExitOK {
		t.Fatalf("shortened chain: exit %d", code)
	}
	if code, _, errOut := run(t, "audit", "verify", "--data", dir, "--expect-head", head); code != cli.ExitProblem || !strings.Contains(errOut, "removed from its end") {
		t.Fatalf("expect-head after truncation: exit %d: %s", code, errOut)
	}
}

func TestInfoCreatesAndReports(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	code, out, errOut := run(t, "info", "--data", dir)
	if code != cli.ExitOK || !strings.Contains(out, "events:   0") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	mustFill(t, dir, 3)
	if code, out, _ := run(t, "info", "--data", dir); code != cli.ExitOK || !strings.Contains(out, "events:   3 (head position 3)") {
		t.Fatalf("exit %d: %s", code, out)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{{"nope"}, {"audit", "verify", "--bogus"}, {"version", "extra"}} {
		if code, _, errOut := run(t, args...); code != cli.ExitUsage || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	if code, out, _ := run(t, "version"); code != cli.ExitOK || !strings.HasPrefix(out, "remit ") {
		t.Errorf("version: exit %d %q", code, out)
	}
}

func TestInfoRefusesFolderInUse(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	code, _, errOut := run(t, "info", "--data", dir)
	if code != cli.ExitUsage || !strings.Contains(errOut, "another Remit process") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Read-only verify works beside the writer.
	if code, _, errOut := run(t, "audit", "verify", "--data", dir); code != cli.ExitOK {
		t.Fatalf("verify beside a writer: exit %d %s", code, errOut)
	}
}
