package secretfile_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"remit/integrations/accounting/secretfile"
)

// increment adds one to the counter under key, the way every writer of the
// file works: read, change one key, write back.
func increment(path, key string) error {
	return secretfile.Update(path, func(d secretfile.Doc) error {
		var n int
		if raw, ok := d[key]; ok {
			if err := json.Unmarshal(raw, &n); err != nil {
				return err
			}
		}
		d[key] = json.RawMessage(strconv.Itoa(n + 1))
		return nil
	})
}

func counter(t *testing.T, path, key string) int {
	t.Helper()
	d, err := secretfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(string(d[key]))
	if err != nil {
		t.Fatalf("%s = %s: %v", key, d[key], err)
	}
	return n
}

// TestConcurrentWritersLoseNoUpdate: two writers updating the same file at
// once each see the other's last write, so no update is lost.
func TestConcurrentWritersLoseNoUpdate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger", "xero.json")
	const writers, each = 2, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		wg.Go(func() {
			for range each {
				if err := increment(path, "n"); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := counter(t, path, "n"); got != writers*each {
		t.Fatalf("counter = %d after %d updates: %d lost", got, writers*each, writers*each-got)
	}
}

// TestConcurrentProcessesLoseNoUpdate is the same across processes (the
// CLI beside `remit serve`): it runs this test binary twice at once as
// writers.
func TestConcurrentProcessesLoseNoUpdate(t *testing.T) {
	if path := os.Getenv("SECRETFILE_WRITER"); path != "" {
		for range 25 {
			if err := increment(path, "n"); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	path := filepath.Join(t.TempDir(), "qbo.json")
	var cmds []*exec.Cmd
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestConcurrentProcessesLoseNoUpdate$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SECRETFILE_WRITER="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	if got := counter(t, path, "n"); got != 50 {
		t.Fatalf("counter = %d after 50 updates from two processes", got)
	}
}

func TestUpdateKeepsOtherKeysAndMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger", "qbo.json")
	if err := secretfile.Update(path, func(d secretfile.Doc) error {
		return d.Set(map[string]string{"client_id": "c", "refresh_token": "r1", "access_token": "a1"})
	}); err != nil {
		t.Fatal(err)
	}
	if err := secretfile.Update(path, func(d secretfile.Doc) error {
		return d.Set(struct {
			RefreshToken string `json:"refresh_token"`
			AccessToken  string `json:"access_token,omitempty"`
		}{RefreshToken: "r2"}, "access_token")
	}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		ClientID     string `json:"client_id"`
		RefreshToken string `json:"refresh_token"`
		AccessToken  *string
	}
	d, err := secretfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.ClientID != "c" || got.RefreshToken != "r2" || d["access_token"] != nil {
		t.Fatalf("file %v: want client_id kept, refresh_token r2, no access_token", d)
	}
	for _, p := range []string{path, filepath.Dir(path)} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]fs.FileMode{true: 0o700, false: 0o600}[fi.IsDir()]; fi.Mode().Perm() != want {
			t.Errorf("%s mode %o, want %o", p, fi.Mode().Perm(), want)
		}
	}
}

func TestUpdateErrorKeepsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "xero.json")
	if err := secretfile.Update(path, func(d secretfile.Doc) error { return d.Set(map[string]int{"n": 1}) }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := secretfile.Update(path, func(d secretfile.Doc) error { delete(d, "n"); return boom }); !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	if counter(t, path, "n") != 1 {
		t.Fatal("a failed update changed the file")
	}
	if _, err := secretfile.Read(filepath.Join(t.TempDir(), "none.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Read of a missing file = %v, want fs.ErrNotExist", err)
	}
}
