package cli

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"remit/domain"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/eventstore/storetest"
	"remit/integrations/mail"
)

// flakyMailer fails its first fail sends, then records what it sends.
type flakyMailer struct {
	fail int
	sent []mail.Message
}

func (m *flakyMailer) Send(_ context.Context, msg mail.Message) error {
	if m.fail > 0 {
		m.fail--
		return errors.New("the mail server is down")
	}
	m.sent = append(m.sent, msg)
	return nil
}

// TestAnchorJobEmailsALineItFailedToEmailOnTheNextRun: serve's daily
// anchoring anchors the head once; when emailing the new line fails, the
// next run (the head anchored already) still emails it, so the auditor
// is not left without it.
func TestAnchorJobEmailsALineItFailedToEmailOnTheNextRun(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustAppend(t, s, "client-1", eventstore.Any, storetest.Event("ClientRenamed", 1))
	s.Close()
	key := filepath.Join(t.TempDir(), "anchor.key")
	if _, err := newKeyPair(key); err != nil {
		t.Fatal(err)
	}
	anchors := filepath.Join(t.TempDir(), "anchors.jsonl")
	m := &flakyMailer{fail: 1}
	job := anchorJob(storeOpts{dir: dir}, key, anchors, time.Now, &anchorMail{to: "auditor@audit.example", from: "billing@firm.example", mailer: m})

	if err := job(t.Context(), domain.Date{}); err == nil || !strings.Contains(err.Error(), "not emailed") {
		t.Fatalf("first run with the mail server down: %v, want anchored but not emailed", err)
	}
	if err := job(t.Context(), domain.Date{}); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if len(m.sent) != 1 {
		t.Fatalf("%d emails after the mail server came back, want the anchor line that was not emailed", len(m.sent))
	}
	if err := job(t.Context(), domain.Date{}); err != nil || len(m.sent) != 1 {
		t.Fatalf("third run: %v, %d emails, want the line emailed once", err, len(m.sent))
	}
}
