// Package peers finds the published specs and validators that nobody here
// wrote — Xero's OpenAPI spec, the OASIS UBL 2.1 schemas and the EN 16931
// rules — kept outside the project in RelDir, and the tools that run them;
// and it decides, in one place, what a test does when one is missing: it
// skips with a message saying what to install, unless the environment sets
// REMIT_REQUIRE_PEERS=1 (as CI does), when it fails, so a clone without the
// peers cannot silently run a smaller suite.
package peers

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RelDir is where the peers live, relative to the repository root.
const RelDir = "../shared/peers"

// RequireEnv names the environment variable that turns a missing peer from
// a skip into a failure when it is "1".
const RequireEnv = "REMIT_REQUIRE_PEERS"

// ErrMissing is wrapped by Path's error when a peer is not there.
var ErrMissing = errors.New("peers: not found")

// Required reports whether a missing peer fails the test rather than
// skipping it. It is the only reader of RequireEnv.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Path returns the absolute path of a peer (elem joined below RelDir from
// the repository root, the nearest folder above the working directory that
// holds go.mod), or an error wrapping ErrMissing when it is not there.
func Path(elem ...string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w: no go.mod above the working directory", ErrMissing)
		}
		dir = parent
	}
	p := filepath.Join(append([]string{dir, filepath.FromSlash(RelDir)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w: %s (expected at %s from the repository root): %v", ErrMissing, p, filepath.Join(append([]string{RelDir}, elem...)...), err)
	}
	return p, nil
}

// Need returns the absolute path of a peer, or stops tb (see Missing) when
// it is not there.
func Need(tb testing.TB, elem ...string) string {
	tb.Helper()
	p, err := Path(elem...)
	if err != nil {
		Missing(tb, "%v", err)
	}
	return p
}

// NeedTool returns the path of the command that runs a peer, or stops tb
// (see Missing) when it is not installed; install says how to install it.
func NeedTool(tb testing.TB, command, install string) string {
	tb.Helper()
	p, err := exec.LookPath(command)
	if err != nil {
		Missing(tb, "%s is missing: %s (scripts/test.sh installs it)", command, install)
	}
	return p
}

// NeedFile returns path, a file a peer needs that is not a command (such as
// a jar), or stops tb (see Missing) when it is not there.
func NeedFile(tb testing.TB, path, install string) string {
	tb.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(tb, "%s is missing: %s (scripts/test.sh installs it)", path, install)
	}
	return path
}

// Missing stops tb because a peer is missing: it skips with the message,
// or fails with it when Required.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		tb.Fatalf("%s (%s=1: the peers' suites must run)", msg, RequireEnv)
		return
	}
	tb.Skip(msg)
}
