package cli

import (
	"testing"

	"github.com/spf13/cobra"
)

// TestMemoryLimitFlag: remit serve's soft memory limit is 256 MiB unless
// REMIT_MEMORY_LIMIT or --memory-limit says otherwise, and GOMEMLIMIT's
// when that is set and they are not.
func TestMemoryLimitFlag(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want int64
	}{
		{"Default", nil, nil, DefaultMemoryLimitMiB},
		{"Env", map[string]string{"REMIT_MEMORY_LIMIT": "512"}, nil, 512},
		{"Flag", map[string]string{"REMIT_MEMORY_LIMIT": "512"}, []string{"--memory-limit", "128"}, 128},
		{"Off", nil, []string{"--memory-limit", "0"}, 0},
		{"GOMEMLIMIT", map[string]string{"GOMEMLIMIT": "1GiB"}, nil, 0},
		{"GOMEMLIMITAndFlag", map[string]string{"GOMEMLIMIT": "1GiB"}, []string{"--memory-limit", "200"}, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if oo := mustParseOps(t, c.env, c.args); oo.memoryLimitMiB != c.want {
				t.Errorf("memory limit %d MiB, want %d", oo.memoryLimitMiB, c.want)
			}
		})
	}
}

// TestSQLiteMemoryLimitFlag: remit serve sets no soft heap limit of SQLite
// unless REMIT_SQLITE_MEMORY_LIMIT or --sqlite-memory-limit gives one.
func TestSQLiteMemoryLimitFlag(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want int64
	}{
		{"Default", nil, nil, DefaultSQLiteMemoryLimitMiB},
		{"Env", map[string]string{"REMIT_SQLITE_MEMORY_LIMIT": "128"}, nil, 128},
		{"Flag", map[string]string{"REMIT_SQLITE_MEMORY_LIMIT": "128"}, []string{"--sqlite-memory-limit", "32"}, 32},
		{"Off", map[string]string{"REMIT_SQLITE_MEMORY_LIMIT": "128"}, []string{"--sqlite-memory-limit", "0"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if oo := mustParseOps(t, c.env, c.args); oo.sqliteLimitMiB != c.want {
				t.Errorf("SQLite memory limit %d MiB, want %d", oo.sqliteLimitMiB, c.want)
			}
		})
	}
}

// mustParseOps parses serve's operational flags from args, with env as the
// environment.
func mustParseOps(t *testing.T, env map[string]string, args []string) opsOpts {
	t.Helper()
	var oo opsOpts
	cmd := &cobra.Command{Use: "serve"}
	opsFlags(cmd, Env{Getenv: func(k string) string { return env[k] }}, &oo)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	return oo
}
