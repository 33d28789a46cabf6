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
)

// TestRunnerRebuildsAfterAnErasureWhileItWasDown: read-model snapshots
// hold a client's personal data; the client is forgotten by another
// process; a runner starting from those snapshots rebuilds every read
// model from the log (which reads erased) and rewrites the snapshots.
func TestRunnerRebuildsAfterAnErasureWhileItWasDown(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	snaps := filepath.Join(dir, "projections")
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
	run := func() *projections.Models {
		t.Helper()
		m := projections.NewModels()
		r, err := projections.NewRunner(st, m.Projections(), projections.RunnerOptions{Dir: snaps})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		return m
	}
	snapshotText := func() string {
		t.Helper()
		files, _ := filepath.Glob(filepath.Join(snaps, "*.json"))
		var b strings.Builder
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(raw)
		}
		return b.String()
	}
	run()
	if !strings.Contains(snapshotText(), "Quokka Bakery") {
		t.Fatal("the snapshots do not hold the client's name: the test proves nothing")
	}

	if _, err := pii.Erase(ctx, st, res.ID, billing.Meta{Actor: "cli"}, at); err != nil {
		t.Fatal(err)
	}
	m := run()
	if text := snapshotText(); strings.Contains(text, "Quokka") || strings.Contains(text, "zelda@") {
		t.Error("after the erasure the snapshots still hold the client's personal data")
	}
	sum, err := m.Summary(res.ID, domain.MustDate(2026, 3, 2))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(sum)
	if strings.Contains(string(got), "Quokka") || !strings.Contains(string(got), pii.Erased) {
		t.Errorf("the summary after the erasure: %s", got)
	}
}
