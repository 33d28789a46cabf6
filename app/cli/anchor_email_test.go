package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"remit/app/cli"
	"remit/integrations/mail/mailtest"
)

// TestAuditAnchorEmailsTheAuditor: remit audit anchor --email sends the
// new anchor line to the auditor through the SMTP server Remit is
// configured with; the line the auditor gets is the line appended, and a
// head anchored already sends nothing. A bad address is refused (exit 2)
// before anything is anchored.
func TestAuditAnchorEmailsTheAuditor(t *testing.T) {
	mp := mailtest.Start(t)
	dir := t.TempDir()
	mustFill(t, dir, 2)
	key := newAnchorKey(t)
	anchors := filepath.Join(t.TempDir(), "anchors.jsonl")
	args := []string{"audit", "anchor", "--data", dir, "--key", key, "--anchors", anchors, "--smtp", "smtp://" + mp.SMTPAddr(), "--mail-from", "billing@firm.example"}

	if code, _, errOut := run(t, append(args, "--email", "not an address")...); code != cli.ExitUsage || !strings.Contains(errOut, "--email") {
		t.Fatalf("a bad --email: exit %d %q, want 2 naming --email", code, errOut)
	}
	code, out, errOut := run(t, append(args, "--email", "auditor@audit.example")...)
	if code != cli.ExitOK || !strings.Contains(out, "emailed to auditor@audit.example") {
		t.Fatalf("anchor --email: exit %d\n%s\n%s", code, out, errOut)
	}
	line := strings.SplitN(out, "\n", 2)[0]
	msgs := mp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d emails, want the one anchor", len(msgs))
	}
	m := mp.Message(msgs[0].ID)
	if len(m.To) != 1 || m.To[0].Address != "auditor@audit.example" || m.From.Address != "billing@firm.example" || !strings.Contains(m.Subject, "anchor") {
		t.Fatalf("email to %v from %v, subject %q", m.To, m.From, m.Subject)
	}
	if !strings.Contains(m.Text, line) {
		t.Errorf("the email does not carry the anchored line %s:\n%s", line, m.Text)
	}
	if len(m.Attachments) != 1 || !strings.HasSuffix(m.Attachments[0].FileName, ".jsonl") {
		t.Errorf("attachments %+v, want the anchor as a .jsonl file", m.Attachments)
	}
	if code, out, _ := run(t, append(args, "--email", "auditor@audit.example")...); code != cli.ExitOK || !strings.Contains(out, "anchored already") {
		t.Fatalf("the same head again: exit %d %s", code, out)
	}
	if n := len(mp.Messages()); n != 1 {
		t.Errorf("%d emails after anchoring the same head again, want still 1", n)
	}
}
