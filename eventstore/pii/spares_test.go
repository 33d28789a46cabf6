package pii_test

import (
	"bytes"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/mattn/go-sqlite3"

	"remit/eventstore/pii"
)

// mustNewClientID waits for the key store to have a spare ready and takes it.
func mustNewClientID(tb testing.TB, k *pii.KeyStore) uuid.UUID {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if id, ok := k.NewClientID(); ok {
			return id
		}
		if time.Now().After(deadline) {
			tb.Fatal("no spare client id made within a minute")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestNewClientIDsHaveDurableKeys: every id NewClientID hands out is new,
// its key is already in the file (another opener of the folder reads the
// same key), and it keeps that key after Close, which deletes only the
// spares never handed out.
func TestNewClientIDsHaveDurableKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	k, err := pii.OpenKeyStoreIn(dir)
	if err != nil {
		t.Fatal(err)
	}
	other := mustKeys(t, dir) // another process on the same folder
	const n = 300             // more than one batch of spares
	keys := map[uuid.UUID][]byte{}
	for range n {
		id := mustNewClientID(t, k)
		if _, dup := keys[id]; dup {
			t.Fatalf("%s handed out twice", id)
		}
		key, err := other.Key(id, false)
		if err != nil || len(key) != 32 {
			t.Fatalf("the key of spare %s read from the file: %x, %v; want a 32-byte key", id, key, err)
		}
		if mine, err := k.Key(id, true); err != nil || !bytes.Equal(mine, key) {
			t.Fatalf("the key of spare %s: %x, %v; want the one in the file, %x", id, mine, err, key)
		}
		keys[id] = key
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	for id, want := range keys {
		if got, err := other.Key(id, false); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("after Close, the key of %s: %x, %v; want %x", id, got, err, want)
		}
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, pii.KeysFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRow(`SELECT count(*) FROM client_keys`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != n {
		t.Errorf("after Close the file holds %d keys; want the %d handed out (unused spares deleted)", rows, n)
	}
}
