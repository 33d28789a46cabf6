package projections_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/eventstore/pii"
	"remit/eventstore/storeurl"
	"remit/projections"
	"remit/projections/rmdb"
)

// TestModelsRunnerRebuildsAfterAnErasureWhileItWasDown: the read-model
// database holds a client's personal data; the client is forgotten while
// no runner runs; a runner starting on that database fills a new
// generation of every read model from the log (which reads erased) and
// drops the old ones, whose pages SQLite overwrites (secure_delete): the
// file no longer holds the data, not even in free pages.
func TestModelsRunnerRebuildsAfterAnErasureWhileItWasDown(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "readmodels.db")
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	st, err := storeurl.Open(ctx, "", storeurl.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := billing.New(billing.Config{Store: st, Now: func() time.Time { return at }})
	if _, err := svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney"}, billing.Meta{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	res, err := svc.CreateClient(ctx, billing.ClientRequest{Name: "Quokka Bakery", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Zelda Quist", Email: "zelda@quokka.example"}}}, billing.Meta{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	run := func() projections.ClientSummary {
		t.Helper()
		db, err := rmdb.OpenSQLite(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		m := projections.NewModels(db)
		r, err := projections.NewRunner(ctx, st, m, projections.RunnerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		sum, err := m.Summary(t.Context(), res.ID, domain.MustDate(2026, 3, 2))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil { // checkpoints the WAL into the file
			t.Fatal(err)
		}
		return sum
	}
	fileText := func() string {
		t.Helper()
		raw, err := os.ReadFile(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	run()
	if !strings.Contains(fileText(), "Quokka Bakery") {
		t.Fatal("the read-model file does not hold the client's name: the test proves nothing")
	}

	if _, err := pii.Erase(ctx, st, res.ID, billing.Meta{Actor: "cli"}, at); err != nil {
		t.Fatal(err)
	}
	sum := run()
	if text := fileText(); strings.Contains(text, "Quokka") || strings.Contains(text, "zelda@") {
		t.Error("after the erasure the read-model file still holds the client's personal data")
	}
	got, _ := json.Marshal(sum)
	if strings.Contains(string(got), "Quokka") || !strings.Contains(string(got), pii.Erased) {
		t.Errorf("the summary after the erasure: %s", got)
	}
}
