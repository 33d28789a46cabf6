package test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/eventstore/storetest"
)

// MustBuild builds the remit binary into a temporary folder.
func MustBuild(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "remit")
	out, err := exec.Command("go", "build", "-o", bin, "remit/cmd/remit").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runBin runs the binary and returns its exit code and combined output.
func runBin(tb testing.TB, bin string, args ...string) (int, string) {
	tb.Helper()
	cmd := exec.CommandContext(context.Background(), bin, args...)
	cmd.Env = append(os.Environ(), "REMIT_DATA=")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		tb.Fatalf("run %v: %v", args, err)
	}
	return 0, string(out)
}

func TestBinaryStoreLifecycle(t *testing.T) {
	bin := MustBuild(t)
	dir := filepath.Join(t.TempDir(), "data")

	if code, out := runBin(t, bin, "info", "--data", dir); code != 0 || !strings.Contains(out, "events:   0") {
		t.Fatalf("info on a new folder: exit %d\n%s", code, out)
	}
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustAppend(t, s, "client-1", eventstore.NoStream, storetest.Events("ClientCreated", 0, 3)...)

	// While this process holds the folder, a second writer is refused with
	// exit 2, and a read-only verify works.
	if code, out := runBin(t, bin, "info", "--data", dir); code != 2 || !strings.Contains(out, "another Remit process") {
		t.Fatalf("info beside a writer: exit %d\n%s", code, out)
	}
	if code, out := runBin(t, bin, "audit", "verify", "--data", dir); code != 0 || !strings.Contains(out, "OK: 3 events verified") {
		t.Fatalf("verify beside a writer: exit %d\n%s", code, out)
	}
	s.Close()

	if code, out := runBin(t, bin, "info", "--data", dir); code != 0 || !strings.Contains(out, "events:   3 (head position 3)") {
		t.Fatalf("info after close: exit %d\n%s", code, out)
	}
	if code, out := runBin(t, bin, "audit", "verify", "--data", dir, "--expect-head", "9:"+strings.Repeat("0", 64)); code != 1 {
		t.Fatalf("verify with a head beyond the log: exit %d\n%s", code, out)
	}
	if code, out := runBin(t, bin, "frobnicate"); code != 2 {
		t.Fatalf("unknown command: exit %d\n%s", code, out)
	}
	if code, out := runBin(t, bin, "version"); code != 0 || !strings.HasPrefix(out, "remit ") {
		t.Fatalf("version: exit %d\n%s", code, out)
	}
}
