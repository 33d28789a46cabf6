package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"remit/app"
	"remit/domain/client"
	"remit/eventstore"
)

// TestConcurrentNewClientsReadBackAndKeepTheirPersonalData: clients created
// at once over the API, without an Idempotency-Key (named by the key store's
// spare ids, whose keys were made ahead), are each a distinct client, shown
// by a GET right after the POST's answer, and their personal data still
// opens from the log after the server is closed (which deletes the spares
// it did not hand out) and opened again.
func TestConcurrentNewClientsReadBackAndKeepTheirPersonalData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *app.App {
		t.Helper()
		a, err := app.Open(ctx, app.Config{DataDir: dir, Addr: "127.0.0.1:0", NoAuth: true, NoOutbox: true, NoBillingRun: true, NoLedgerSync: true})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := open()
	do := func(method, path, body string) (int, []byte) {
		req, err := http.NewRequest(method, a.URL()+path, strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return 0, nil
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Remit-Actor", "staff@firm.test")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, nil
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out
	}
	if code, out := do(http.MethodPost, "/api/firm", `{"name":"Ledger & Co","base_currency":"AUD","time_zone":"Australia/Sydney"}`); code != http.StatusCreated {
		t.Fatalf("set up the firm: %d %s", code, out)
	}
	const n = 48
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			code, out := do(http.MethodPost, "/api/clients", fmt.Sprintf(`{"name":"Client %d","kind":"business","contacts":[{"name":"Alice %d","email":"alice%d@client.example"}]}`, i, i, i))
			if code != http.StatusCreated {
				t.Errorf("create client %d: %d %s", i, code, out)
				return
			}
			var c struct{ ID, Name string }
			if err := json.Unmarshal(out, &c); err != nil || c.Name != fmt.Sprintf("Client %d", i) {
				t.Errorf("create client %d answered %s (%v)", i, out, err)
				return
			}
			ids[i] = c.ID
			// Read-your-writes: the POST's answer means a GET shows it.
			code, out = do(http.MethodGet, "/api/clients/"+c.ID, "")
			if code != http.StatusOK || !bytes.Contains(out, []byte(fmt.Sprintf(`"name":"Client %d"`, i))) {
				t.Errorf("GET client %d right after its POST: %d %s", i, code, out)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	seen := map[string]bool{}
	for i, id := range ids {
		if seen[id] {
			t.Fatalf("client %d has the id %s of another", i, id)
		}
		seen[id] = true
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	a = open()
	defer a.Close()
	for i, id := range ids {
		recs, err := a.Store.ReadStream(ctx, client.StreamName(uuid.MustParse(id)), 0, eventstore.Forward, 1)
		if err != nil || len(recs) != 1 {
			t.Fatalf("read client %d's stream after a restart: %v (%d events)", i, err, len(recs))
		}
		if want := fmt.Sprintf(`"Client %d"`, i); !bytes.Contains(recs[0].Data, []byte(want)) {
			t.Errorf("client %d's first event after a restart: %s, want its name %s in clear", i, recs[0].Data, want)
		}
	}
	code, out := do(http.MethodGet, "/api/clients?limit=100", "")
	if code != http.StatusOK || bytes.Count(out, []byte(`"name":"Client `)) != n {
		t.Errorf("list after a restart: %d, %d clients named, want %d: %s", code, bytes.Count(out, []byte(`"name":"Client `)), n, out)
	}
}
