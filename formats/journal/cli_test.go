package journal_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"remit/app/cli"
)

// remit runs the real remit command in-process.
func remit(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Main(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errOut})
	return code, out.String(), errOut.String()
}

// TestExportJournalCommand: `remit export journal` writes both formats to a
// file or standard output, and the files pass the real checkers.
func TestExportJournalCommand(t *testing.T) {
	need(t, "hledger")
	need(t, "bean-check")
	w := MustWorld(t)
	dir := t.TempDir()

	file := filepath.Join(dir, "books.journal")
	code, out, errOut := remit(t, "export", "journal", "--data", w.dir, "--format", "hledger", "-o", file)
	if code != 0 || !strings.HasPrefix(out, "wrote ") || !strings.Contains(out, "AUD, JPY, USD") || !strings.Contains(out, file) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if res, ok := run(t, "hledger", "-f", file, "check", "--strict", "ordereddates"); !ok {
		t.Fatalf("hledger check of the exported file:\n%s", res)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".books.journal.*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}

	code, out, errOut = remit(t, "export", "journal", "--data", w.dir, "--format", "beancount")
	if code != 0 || !strings.Contains(out, `option "operating_currency" "AUD"`) {
		t.Fatalf("beancount to stdout: exit %d, stderr %q, stdout starts %.200q", code, errOut, out)
	}
	bean := filepath.Join(dir, "books.beancount")
	os.WriteFile(bean, []byte(out), 0o644)
	if res, ok := run(t, "bean-check", bean); !ok {
		t.Fatalf("bean-check of the exported file:\n%s", res)
	}

	// The default format is hledger; --as-of keeps the earlier transactions.
	code, full, _ := remit(t, "export", "journal", "--data", w.dir)
	code2, part, errOut := remit(t, "export", "journal", "--data", w.dir, "--as-of", "2026-01-31")
	if code != 0 || code2 != 0 || !strings.Contains(full, "\ndecimal-mark .\n") || len(part) >= len(full) || strings.Contains(part, "\n2026-02-") {
		t.Errorf("as-of export: exits %d/%d, %d vs %d bytes, stderr %q", code, code2, len(part), len(full), errOut)
	}
}

// TestExportJournalBadUsage: bad flags exit 2 with a message and write
// nothing.
func TestExportJournalBadUsage(t *testing.T) {
	w := MustWorld(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "books.journal")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"format", []string{"--format", "ledger", "-o", file}, "hledger or beancount"},
		{"as-of", []string{"--as-of", "31/01/2026", "-o", file}, "is not a date (YYYY-MM-DD)"},
		{"as-of position", []string{"--as-of", "1523", "-o", file}, "is not a date"},
		{"output folder", []string{"-o", filepath.Join(dir, "missing", "books.journal")}, "no folder"},
		{"output is a folder", []string{"-o", dir}, "is a folder"},
		{"unknown flag", []string{"--currency", "AUD"}, "unknown flag"},
		{"argument", []string{"everything"}, "unknown command"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := remit(t, append([]string{"export", "journal", "--data", w.dir}, c.args...)...)
			if code != 2 || !strings.Contains(errOut, c.want) || out != "" {
				t.Errorf("exit %d, stderr %q (want %q), stdout %.100q", code, errOut, c.want, out)
			}
		})
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("a refused export wrote its file")
	}
	empty := t.TempDir()
	if code, _, errOut := remit(t, "export", "journal", "--data", empty); code != 2 || !strings.Contains(errOut, "no Remit store") {
		t.Errorf("empty data folder: exit %d, stderr %q", code, errOut)
	}
}
