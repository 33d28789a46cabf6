package api_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"remit/billing"
	"remit/eventstore/sqlite"
	"remit/internal/logtest"
	"remit/projections"
	"remit/web/api"
)

// TestInternalErrorIsLoggedNotShown breaks the store under the server and
// checks that the client gets a generic 500 problem while the operator's
// log gets the details.
func TestInternalErrorIsLoggedNotShown(t *testing.T) {
	st, err := sqlite.Open(t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	models := projections.NewModels(mustReadModels(t))
	runner, err := projections.NewRunner(context.Background(), st, models, projections.RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var logs logtest.Buffer
	srv := api.NewServer(api.Config{Addr: "127.0.0.1:0", Store: st, Billing: billing.New(billing.Config{Store: st}), Models: models, Runner: runner,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	resp, err := http.Post(srv.URL()+"/api/clients", "application/json", strings.NewReader(`{"name":"Acme","kind":"business"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d %s, want a 500 problem", resp.StatusCode, body.String())
	}
	if strings.Contains(body.String(), "closed") || strings.Contains(body.String(), "firm") {
		t.Fatalf("the problem leaks internal details: %s", body.String())
	}
	if !strings.Contains(logs.String(), "closed") {
		t.Fatalf("the log lacks the details: %s", logs.String())
	}
}
