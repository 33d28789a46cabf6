package ledgersync_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"remit/integrations/accounting/xero"
	"remit/processes/ledgersync"
)

// TestSecretsWritersLoseNoUpdate runs two writers of the Xero secrets file at
// once, as `remit serve` and a CLI command can: ledger sync saving the app's
// credentials and the adapter saving a renewed token. Each changes only its
// own keys, and the file ends with the last value of each. A lost update
// shows only when the two finish close together, so it runs a few rounds.
func TestSecretsWritersLoseNoUpdate(t *testing.T) {
	for round := range 6 {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) { writeSecretsConcurrently(t, 20) })
	}
}

func writeSecretsConcurrently(t *testing.T, n int) {
	dir := t.TempDir()
	secrets := ledgersync.NewSecretStore(dir)
	tokens := xero.FileTokenStore{Path: xero.FilePath(dir)}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	wg.Go(func() {
		for i := range n {
			errs <- secrets.Save("xero", ledgersync.Secrets{TenantID: "t-1", ClientID: "app", ClientSecret: fmt.Sprint("secret-", i)})
		}
	})
	wg.Go(func() {
		for i := range n {
			errs <- tokens.Save(context.Background(), xero.Token{AccessToken: fmt.Sprint("access-", i), RefreshToken: "refresh"})
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sec, err := secrets.Load("xero")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokens.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprint("secret-", n-1); sec.ClientSecret != want || sec.ClientID != "app" || sec.TenantID != "t-1" {
		t.Errorf("secrets %+v: want client secret %s (a token save lost it?)", sec, want)
	}
	if want := fmt.Sprint("access-", n-1); tok.AccessToken != want || tok.RefreshToken != "refresh" {
		t.Errorf("token %+v: want access token %s (a secrets save lost it?)", tok, want)
	}
}
