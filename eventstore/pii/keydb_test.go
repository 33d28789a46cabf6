package pii_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"

	"remit/eventstore/pii"
)

// mustKeys opens the key store in dir and closes it at the end of the test.
func mustKeys(tb testing.TB, dir string) *pii.KeyStore {
	tb.Helper()
	k, err := pii.OpenKeyStoreIn(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { k.Close() })
	return k
}

// TestKeyFilesMoveIntoTheTable: a key folder written by an earlier version
// (one file per key, a file per tombstone) is moved into the table on the
// first open: every client reads with the same key, a forgotten client
// stays forgotten, and no key file is left behind.
func TestKeyFilesMoveIntoTheTable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	kept, gone, both := uuid.New(), uuid.New(), uuid.New()
	want := bytes.Repeat([]byte{7}, 32)
	files := map[string][]byte{
		kept.String() + ".key":       want,
		gone.String() + ".forgotten": []byte("forgotten\n"),
		both.String() + ".key":       bytes.Repeat([]byte{9}, 32), // a tombstone beside a key: the tombstone wins
		both.String() + ".forgotten": []byte("forgotten\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	keys := mustKeys(t, dir)
	if got, err := keys.Key(kept, false); err != nil || !bytes.Equal(got, want) {
		t.Errorf("the moved key = %x, %v; want %x", got, err, want)
	}
	for _, id := range []uuid.UUID{gone, both} {
		if got, err := keys.Key(id, true); !errors.Is(err, pii.ErrForgotten) || got != nil {
			t.Errorf("a client forgotten in the files: key %x, %v; want ErrForgotten", got, err)
		}
	}
	for name := range files {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s is still there after the move: %v", name, err)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, pii.KeysFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", pii.KeysFile, fi.Mode().Perm())
	}
	// Opened again (or by another process), the keys are the same.
	again := mustKeys(t, dir)
	if got, err := again.Key(kept, true); err != nil || !bytes.Equal(got, want) {
		t.Errorf("after reopening, the key = %x, %v; want %x", got, err, want)
	}
}

// TestForgetLeavesNoKeyBytes: once a client is forgotten, their key's bytes
// are in none of the key folder's files (the database, its -wal), while
// other clients' keys still read.
func TestForgetLeavesNoKeyBytes(t *testing.T) {
	dir := t.TempDir()
	keys := mustKeys(t, dir)
	gone, kept := uuid.New(), uuid.New()
	key, err := keys.Key(gone, true)
	if err != nil {
		t.Fatal(err)
	}
	other, err := keys.Key(kept, true)
	if err != nil {
		t.Fatal(err)
	}
	if !folderHolds(t, dir, key) {
		t.Fatal("the key is in no file of the key folder: the test proves nothing")
	}
	if err := keys.Forget(gone); err != nil {
		t.Fatal(err)
	}
	if folderHolds(t, dir, key) {
		t.Error("the forgotten key's bytes are still in the key folder")
	}
	if got, err := keys.Key(kept, false); err != nil || !bytes.Equal(got, other) {
		t.Errorf("another client's key after the forget: %x, %v", got, err)
	}
	if got, err := keys.Key(gone, true); !errors.Is(err, pii.ErrForgotten) || got != nil {
		t.Errorf("the forgotten client's key: %x, %v; want ErrForgotten", got, err)
	}
}

func folderHolds(t *testing.T, dir string, b []byte) bool {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, b) {
			return true
		}
	}
	return false
}

// TestConcurrentNewKeys: clients created at the same moment (sharing one
// commit) each get their own key, the same one on every later read, in
// this process and another.
func TestConcurrentNewKeys(t *testing.T) {
	dir := t.TempDir()
	keys := mustKeys(t, dir)
	ids := make([]uuid.UUID, 64)
	got := make([][]byte, len(ids))
	var wg sync.WaitGroup
	for i := range ids {
		ids[i] = uuid.New()
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Asked again, the new client has the same key.
			a, errA := keys.Key(ids[i], true)
			b, errB := keys.Key(ids[i], true)
			if errA != nil || errB != nil || !bytes.Equal(a, b) {
				t.Errorf("client %d: %x %v / %x %v", i, a, errA, b, errB)
			}
			got[i] = a
		}()
	}
	wg.Wait()
	other := mustKeys(t, dir)
	seen := map[string]bool{}
	for i, id := range ids {
		k, err := other.Key(id, false)
		if err != nil || !bytes.Equal(k, got[i]) {
			t.Errorf("client %d read by another process: %x, %v; want %x", i, k, err, got[i])
		}
		if seen[string(k)] {
			t.Errorf("client %d shares its key with another client", i)
		}
		seen[string(k)] = true
	}
}
