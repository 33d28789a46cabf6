package pii_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"remit/billing"
	"remit/domain/client"
	"remit/eventstore"
	"remit/eventstore/pii"
	"remit/eventstore/postgres/pgtest"
	"remit/eventstore/storeurl"
)

// TestPostgresSharesKeysAcrossProcesses opens one PostgreSQL log twice,
// with two data folders (two remit processes on two machines): personal
// fields are sealed with a key kept in remit_pii_keys, readable by both;
// a forget through one is an erasure for both, and the table keeps only a
// tombstone.
func TestPostgresSharesKeysAcrossProcesses(t *testing.T) {
	url := pgtest.MustDatabase(t)
	ctx := context.Background()
	open := func() eventstore.Store {
		t.Helper()
		s, err := storeurl.Open(ctx, url, storeurl.Options{DataDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open(), open()
	svc := billing.New(billing.Config{Store: a, Now: func() time.Time { return now }})
	if _, err := svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney"}, billing.Meta{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	res, err := svc.CreateClient(ctx, billing.ClientRequest{Name: "Quokka Bakery", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Zelda Quist", Email: "zelda@quokka.example"}}}, billing.Meta{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.ID
	stream := client.StreamName(id)
	read := func(s eventstore.Store) string {
		t.Helper()
		recs, err := s.ReadStream(ctx, stream, 0, eventstore.Forward, 0)
		if err != nil {
			t.Fatal(err)
		}
		var all strings.Builder
		for _, r := range recs {
			all.Write(r.Data)
		}
		return all.String()
	}
	if raw := read(storeurl.Unwrap(a)); strings.Contains(raw, "Quokka") || strings.Contains(raw, "zelda@") {
		t.Fatalf("the log holds personal data in clear: %s", raw)
	}
	if got := read(b); !strings.Contains(got, "Quokka Bakery") || !strings.Contains(got, "zelda@quokka.example") {
		t.Fatalf("the other process cannot read the client: %s", got)
	}

	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	var keyLen int
	if err := db.QueryRow(ctx, `SELECT coalesce(octet_length(key), 0) FROM `+pii.PGKeyTable+` WHERE name = $1`, id.String()).Scan(&keyLen); err != nil || keyLen != 32 {
		t.Fatalf("the client's key row: %d bytes, %v", keyLen, err)
	}

	if _, err := pii.Erase(ctx, b, id, billing.Meta{Actor: "test"}, now); err != nil {
		t.Fatal(err)
	}
	got := read(a)
	if strings.Contains(got, "Quokka") || strings.Contains(got, "zelda@") || !strings.Contains(got, pii.Erased) {
		t.Errorf("after a forget in the other process this one reads %s", got)
	}
	var hasKey bool
	var forgotten *time.Time
	if err := db.QueryRow(ctx, `SELECT key IS NOT NULL, forgotten_at FROM `+pii.PGKeyTable+` WHERE name = $1`, id.String()).Scan(&hasKey, &forgotten); err != nil {
		t.Fatal(err)
	}
	if hasKey || forgotten == nil {
		t.Errorf("after the forget the row has a key %v, tombstone %v", hasKey, forgotten)
	}
	_, err = svc.AddContact(ctx, billing.ContactRequest{ClientID: id, Contact: client.Contact{Name: "New Person", Email: "new@quokka.example"}}, billing.Meta{Actor: "test"})
	if !errors.Is(err, pii.ErrForgotten) {
		t.Errorf("new personal data for a forgotten client: %v, want ErrForgotten", err)
	}
}

// TestPostgresImportsKeysOfAMigratedLog checks that keys in a data folder
// (from an embedded store whose log was migrated) reach the table, and
// that a tombstone there is not undone by an old key file.
func TestPostgresImportsKeysOfAMigratedLog(t *testing.T) {
	url := pgtest.MustDatabase(t)
	ctx := context.Background()
	dir := t.TempDir()
	files, err := pii.OpenKeyStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	kept, gone := uuid.New(), uuid.New()
	want, err := files.Key(kept, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := files.Forget(gone); err != nil {
		t.Fatal(err)
	}
	s, err := storeurl.Open(ctx, url, storeurl.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	keys, err := pii.OpenPGKeyStore(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	if got, err := keys.Key(kept, false); err != nil || string(got) != string(want) {
		t.Errorf("imported key = %x, %v; want %x", got, err, want)
	}
	if _, err := keys.Key(gone, true); !errors.Is(err, pii.ErrForgotten) {
		t.Errorf("a forgotten client's key: %v, want ErrForgotten", err)
	}
}

// TestPostgresImportPrefersTheKeyTable: a key folder holding both a row of
// its KeysFile and a leftover key file of an earlier version for one
// client, with different keys, imports the row's key, as opening the
// folder locally does (the table wins over the file).
func TestPostgresImportPrefersTheKeyTable(t *testing.T) {
	url := pgtest.MustDatabase(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), pii.KeyDir)
	files, err := pii.OpenKeyStoreIn(dir)
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	want, err := files.Key(id, true)
	if err != nil {
		t.Fatal(err)
	}
	files.Close()
	stale := make([]byte, 32)
	for i := range stale {
		stale[i] = byte(i + 1)
	}
	if err := os.WriteFile(filepath.Join(dir, id.String()+".key"), stale, 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := pii.OpenPGKeyStore(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	if _, err := keys.ImportFrom(dir); err != nil {
		t.Fatal(err)
	}
	if got, err := keys.Key(id, false); err != nil || string(got) != string(want) {
		t.Errorf("imported key = %x, %v; want the table's %x (the stale file's is %x)", got, err, want, stale)
	}
	local, err := pii.OpenKeyStoreIn(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	if got, err := local.Key(id, false); err != nil || string(got) != string(want) {
		t.Errorf("opened locally, key = %x, %v; want the table's %x", got, err, want)
	}
}
