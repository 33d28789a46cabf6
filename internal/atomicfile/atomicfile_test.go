package atomicfile_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"remit/internal/atomicfile"
)

func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.json")
	if err := atomicfile.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(path, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new" {
		t.Fatalf("read %q, %v; want new", got, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, %v; want 0644", fi.Mode().Perm(), err)
	}
	assertOnly(t, dir, "x.json")
}

func TestWriteFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.json")
	if err := atomicfile.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := atomicfile.Write(path, 0o600, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want boom", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Fatalf("after a failed write the file holds %q, want old", got)
	}
	assertOnly(t, dir, "x.json")
}

func TestWriteFileNoFolder(t *testing.T) {
	if err := atomicfile.WriteFile(filepath.Join(t.TempDir(), "none", "x"), nil, 0o600); err == nil {
		t.Fatal("WriteFile into a missing folder succeeded")
	}
}

// assertOnly fails unless dir holds exactly the named file (no temporary
// file left behind).
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, names) {
		t.Fatalf("folder holds %v, want only %v", got, names)
	}
}

func TestWriteNew(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	if err := atomicfile.WriteNew(path, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteNew(path, []byte("second"), 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("WriteNew over an existing file = %v, want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "first" {
		t.Fatalf("file holds %q, want first", got)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	assertOnly(t, dir, "key")
}

// TestWriteNewModeAndNoFolder: WriteNew gives the file the mode asked for
// whatever the umask, and into a missing folder it fails and makes nothing.
func TestWriteNewModeAndNoFolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shared")
	if err := atomicfile.WriteNew(path, []byte("x"), 0o640); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, %v; want 0640", fi.Mode().Perm(), err)
	}
	assertOnly(t, dir, "shared")
	if err := atomicfile.WriteNew(filepath.Join(dir, "none", "x"), nil, 0o600); err == nil {
		t.Fatal("WriteNew into a missing folder succeeded")
	}
	assertOnly(t, dir, "shared")
}

// TestWriteNewAll: each file is created with its own content, an existing
// one is refused with fs.ErrExist and kept, a file in a missing folder
// fails alone, and nothing else is left in the folders.
func TestWriteNewAll(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	if err := atomicfile.WriteNew(filepath.Join(dir, "b"), []byte("old b"), 0o600); err != nil {
		t.Fatal(err)
	}
	paths := []string{filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(other, "c"), filepath.Join(dir, "none", "d")}
	errs := atomicfile.WriteNewAll(paths, [][]byte{[]byte("a"), []byte("new b"), []byte("c"), []byte("d")}, 0o600)
	if len(errs) != len(paths) {
		t.Fatalf("%d errors for %d files", len(errs), len(paths))
	}
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("errors %v; want none for a and c", errs)
	}
	if !errors.Is(errs[1], fs.ErrExist) {
		t.Fatalf("existing b: %v, want fs.ErrExist", errs[1])
	}
	if errs[3] == nil {
		t.Fatal("a file in a missing folder was reported written")
	}
	for path, want := range map[string]string{paths[0]: "a", paths[1]: "old b", paths[2]: "c"} {
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Fatalf("%s holds %q, %v; want %q", path, got, err, want)
		}
	}
	assertOnly(t, dir, "a", "b")
	assertOnly(t, other, "c")
}
