package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/app"
	"remit/eventstore/postgres/pgtest"
	"remit/web/auth"
)

// TestClientLinksSharedOnPostgres: two `remit serve` on one PostgreSQL
// store, each with its own data folder, open each other's client links;
// the first node's DATA/link.key (from a single-node setup) becomes the
// shared key, so links it emailed before keep working on both.
func TestClientLinksSharedOnPostgres(t *testing.T) {
	url := pgtest.MustDatabase(t)
	ctx := context.Background()
	oldKey := bytes.Repeat([]byte{7}, 32)
	dirOne := t.TempDir()
	if err := os.WriteFile(filepath.Join(dirOne, auth.LinkKeyFile), oldKey, 0o600); err != nil {
		t.Fatal(err)
	}
	open := func(dir string) *app.App {
		t.Helper()
		a, err := app.Open(ctx, app.Config{DataDir: dir, StoreURL: url, Addr: "127.0.0.1:0", NoOutbox: true, NoBillingRun: true, NoLedgerSync: true, NoAuth: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}
	one, two := open(dirOne), open(t.TempDir())
	if one.ClientLinks() == nil || two.ClientLinks() == nil {
		t.Fatal("client links are off")
	}
	now := time.Now()
	l := auth.Link{ClientID: uuid.New(), Purpose: auth.PurposePaymentMethod, Expires: now.Add(time.Hour)}
	for _, c := range []struct {
		name     string
		from, to *auth.LinkSigner
	}{{"one to two", one.ClientLinks(), two.ClientLinks()}, {"two to one", two.ClientLinks(), one.ClientLinks()}} {
		if _, err := c.to.Verify(c.from.Sign(l), auth.PurposePaymentMethod, now); err != nil {
			t.Errorf("a link made %s: %v", c.name, err)
		}
	}
	old, _ := auth.NewLinkSigner(oldKey)
	if _, err := two.ClientLinks().Verify(old.Sign(l), auth.PurposePaymentMethod, now); err != nil {
		t.Errorf("a link signed with node one's old link.key, on node two: %v", err)
	}
}
