package fsperm_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"remit/internal/fsperm"
)

func mode(tb testing.TB, path string) fs.FileMode {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestModesWhateverTheUmask: under a umask that takes nothing away, a
// folder made 0755 beforehand and files left 0644 become 0700 and 0600,
// and a SQLite file is made 0600 before the driver sees it.
func TestModesWhateverTheUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	root := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(filepath.Join(root, "outbox"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"link.key", "outbox/a.eml", "events.db-wal"} {
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := fsperm.Tighten(root); err != nil {
		t.Fatal(err)
	}
	if err := fsperm.SQLite(filepath.Join(root, "events.db")); err != nil {
		t.Fatal(err)
	}
	if err := fsperm.Dir(filepath.Join(root, "logos")); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]fs.FileMode{"": 0o700, "outbox": 0o700, "logos": 0o700, "link.key": 0o600, "outbox/a.eml": 0o600,
		"events.db": 0o600, "events.db-wal": 0o600} {
		if got := mode(t, filepath.Join(root, path)); got != want {
			t.Errorf("%s: %o, want %o", path, got, want)
		}
	}
	if err := fsperm.Tighten(filepath.Join(root, "missing")); err != nil {
		t.Errorf("a folder that does not exist: %v", err)
	}
}
