// Package stripemock starts Stripe's own mock server (github.com/stripe/stripe-mock)
// for tests: it answers Stripe's API on loopback from Stripe's OpenAPI
// specification and fixtures, and rejects requests the real API would.
package stripemock

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// MustStart starts stripe-mock on a loopback port the system chooses and
// returns its URL; the server stops when the test ends. Without the binary
// the test is skipped (scripts/test.sh installs it).
func MustStart(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		gopath, _ := exec.Command("go", "env", "GOPATH").Output()
		bin = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "stripe-mock")
		if _, err := os.Stat(bin); err != nil {
			tb.Skip("stripe-mock is not installed: go install github.com/stripe/stripe-mock@v0.203.0 (scripts/test.sh does)")
		}
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:", "-https-addr", "127.0.0.1:")
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start stripe-mock: %v", err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "Listening for HTTP at address: "); ok {
				addr <- a
			}
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			tb.Fatal("stripe-mock exited without listening")
		}
		return "http://" + a
	case <-time.After(30 * time.Second):
		tb.Fatal("stripe-mock did not start listening within 30 s")
	}
	return ""
}
