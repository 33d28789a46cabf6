package pii_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"remit/eventstore/pii"
	"remit/eventstore/postgres/pgtest"
)

// TestOldRequestRecords: the idempotency records old logs hold (sealed
// whole under day keys, before they moved out of the log) read as they
// are, and the day keys left in the key folder are destroyed at open.
func TestOldRequestRecords(t *testing.T) {
	dir := t.TempDir()
	keyDir := filepath.Join(dir, pii.KeyDir)
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	dayKey := filepath.Join(keyDir, "requests-2026-03-02.key")
	if err := os.WriteFile(dayKey, make([]byte, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := pii.OpenKeyStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keys.Close() })
	if _, err := os.Stat(dayKey); !os.IsNotExist(err) {
		t.Errorf("the day key of old idempotency records is still there: %v", err)
	}
	old := `{"method":"POST","path":"/api/clients","sealed":"pii:req:v1:2026-03-02:c2VhbGVk"}`
	got, err := pii.NewSealer(keys).Open("APIRequestCompleted", []byte(old))
	if err != nil || string(got) != old {
		t.Errorf("open of an old request record = %s, %v; want it as it is", got, err)
	}
}

// TestPostgresDropsOldRequestKeys: the day keys of old idempotency records
// in the key table are destroyed when a key store opens; client keys stay.
func TestPostgresDropsOldRequestKeys(t *testing.T) {
	url := pgtest.MustDatabase(t)
	ctx := context.Background()
	keys, err := pii.OpenPGKeyStore(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	client := uuid.New()
	if _, err := keys.Key(client, true); err != nil {
		t.Fatal(err)
	}
	keys.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO `+pii.PGKeyTable+` (name, key) VALUES ('requests-2026-03-02', $1)`, make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	keys, err = pii.OpenPGKeyStore(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+pii.PGKeyTable+` WHERE name LIKE 'requests-%'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d day keys of old idempotency records left (%v), want 0", n, err)
	}
	if k, err := keys.Key(client, false); err != nil || k == nil {
		t.Errorf("the client's key: %v, %v; want it kept", k, err)
	}
}
