package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"remit/app/cli"
	"remit/eventstore/sqlite"
)

// TestServeStaffEmailMustBeAnAddress: a --staff-email (or REMIT_STAFF_EMAIL)
// that is not an email address is bad usage, said before anything opens.
func TestServeStaffEmailMustBeAnAddress(t *testing.T) {
	for name, env := range map[string]map[string]string{"Flag": nil, "Env": {"REMIT_STAFF_EMAIL": "billing team"}} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}
			if env == nil {
				args = append(args, "--staff-email", "billing team")
			}
			code, _, errOut := runEnv(env, args...)
			if code != cli.ExitUsage || !strings.Contains(errOut, `--staff-email "billing team": give an email address`) {
				t.Errorf("exit %d, %q; want exit 2 naming --staff-email", code, errOut)
			}
			if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err == nil {
				t.Error("bad usage created a store")
			}
		})
	}
}
