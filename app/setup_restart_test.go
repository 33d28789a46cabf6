package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"remit/app"
	"remit/internal/logtest"
)

// TestSetupLinkAfterRestart: remit serve on the embedded store (one
// process per data folder) restarted before anyone used its setup link
// prints a new one: the live link was made by the process that stopped
// (another pid, so another default node name), and no other node can be
// printing it.
func TestSetupLinkAfterRestart(t *testing.T) {
	dir := t.TempDir()
	start := func(node string) string {
		t.Helper()
		var logs bytes.Buffer
		a, err := app.Open(context.Background(), app.Config{DataDir: dir, Addr: "127.0.0.1:0", NoOutbox: true, NoBillingRun: true, NoLedgerSync: true,
			PublicURL: "http://remit.example", NodeName: node, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		return logs.String()
	}
	if got := start("host pid 1"); !strings.Contains(got, "/setup/") {
		t.Fatalf("first start printed no setup link: %s", got)
	}
	if got := start("host pid 2"); !strings.Contains(got, "/setup/") {
		t.Fatalf("the restart printed no setup link: %s", got)
	}
}

// TestStartRunBeforeSetUpSaysSkipped: the billing run a new server starts
// with, before the firm is set up, logs that it was skipped, not a run
// "as of" an empty date that issued nothing.
func TestStartRunBeforeSetUpSaysSkipped(t *testing.T) {
	logs := &logtest.Buffer{}
	a, err := app.Open(context.Background(), app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", NoOutbox: true, NoLedgerSync: true,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), "billing run") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := logs.String()
	if !strings.Contains(got, "billing run skipped: the firm is not set up yet") || strings.Contains(got, `as_of=""`) {
		t.Errorf("the start's billing run, before set-up, logged:\n%s", got)
	}
}
