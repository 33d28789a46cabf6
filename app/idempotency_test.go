package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"remit/app"
	"remit/eventstore/postgres/pgtest"
)

// TestIdempotencyRecordsSharedOnPostgres: two nodes on one PostgreSQL
// database share the idempotency records, so a retry that lands on the
// other node gets the first answer back.
func TestIdempotencyRecordsSharedOnPostgres(t *testing.T) {
	url := pgtest.MustDatabase(t)
	ctx := context.Background()
	open := func() *app.App {
		t.Helper()
		a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), StoreURL: url, Addr: "127.0.0.1:0", NoAuth: true, NoOutbox: true, NoBillingRun: true, NoLedgerSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}
	one, two := open(), open()
	post := func(a *app.App, path, body, key string) (int, http.Header, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, a.URL()+path, bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Remit-Actor", "staff@firm.test")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, out
	}
	if code, _, out := post(one, "/api/firm", `{"name":"Ledger & Co","base_currency":"AUD","time_zone":"Australia/Sydney"}`, ""); code != http.StatusCreated {
		t.Fatalf("set up the firm: %d %s", code, out)
	}
	body := `{"name":"Acme","kind":"business","contacts":[{"name":"Alice","email":"alice@acme.example"}]}`
	code, _, first := post(one, "/api/clients", body, "create-acme")
	if code != http.StatusCreated {
		t.Fatalf("create on node one: %d %s", code, first)
	}
	code, h, again := post(two, "/api/clients", body, "create-acme")
	if code != http.StatusCreated || h.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again, first) {
		t.Fatalf("retry on node two: %d replayed=%q %s, want the first answer %s", code, h.Get("Idempotent-Replayed"), again, first)
	}
	if code, _, out := post(two, "/api/clients", `{"name":"Other","kind":"business"}`, "create-acme"); code != http.StatusUnprocessableEntity {
		t.Fatalf("the key reused for another body on node two: %d %s, want 422", code, out)
	}
}
