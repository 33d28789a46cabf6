package mail_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"remit/integrations/mail"
	"remit/integrations/mail/mailtest"
)

func message(id string) mail.Message {
	return mail.Message{
		ID:        id,
		MessageID: "<" + id + "@ledger.example>",
		From:      mail.Address{Name: "Ledger & Co", Email: "accounts@ledger.example"},
		To:        mail.Address{Name: "Ana Lima", Email: "ana@harbour.example"},
		Subject:   "Invoice INV-000042 — 1,100.00 AUD",
		Date:      time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC),
		Text:      "Hello Ana,\nyour invoice INV-000042 is attached.\n",
		HTML:      "<p>Hello Ana,</p><p>your invoice <b>INV-000042</b> is attached.</p>",
		Attachments: []mail.Attachment{
			{Filename: "INV-000042.pdf", ContentType: "application/pdf", Data: bytes.Repeat([]byte("%PDF-1.4 data "), 40)},
		},
	}
}

// parts parses a rendered message: its headers, and each leaf part's
// content type and decoded body.
func parts(t *testing.T, raw []byte) (*netmail.Message, map[string][]byte) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	var walk func(ct string, body io.Reader)
	walk = func(ct string, body io.Reader) {
		typ, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(typ, "multipart/") {
			b, _ := io.ReadAll(body)
			out[typ] = b
			return
		}
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextPart() // decodes quoted-printable
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			walk(p.Header.Get("Content-Type"), p)
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Body)
	return msg, out
}

func TestMessageBytes(t *testing.T) {
	m := message("e1")
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := m.Bytes()
	if !bytes.Equal(raw, again) {
		t.Error("the same message rendered to different bytes")
	}
	msg, ps := parts(t, raw)
	if got := msg.Header.Get("Message-ID"); got != "<e1@ledger.example>" {
		t.Errorf("Message-ID = %q", got)
	}
	dec := new(mime.WordDecoder)
	if subj, _ := dec.DecodeHeader(msg.Header.Get("Subject")); subj != m.Subject {
		t.Errorf("Subject = %q, want %q", subj, m.Subject)
	}
	if to, _ := msg.Header.AddressList("To"); len(to) != 1 || to[0].Address != "ana@harbour.example" || to[0].Name != "Ana Lima" {
		t.Errorf("To = %v", to)
	}
	if !strings.Contains(string(ps["text/plain"]), "invoice INV-000042 is attached") {
		t.Errorf("text part = %q", ps["text/plain"])
	}
	if !strings.Contains(string(ps["text/html"]), "<b>INV-000042</b>") {
		t.Errorf("html part = %q", ps["text/html"])
	}
	if _, ok := ps["application/pdf"]; !ok {
		t.Errorf("no PDF attachment among %v", ps)
	}
}

func TestFilesWritesOnceAtomically(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	f := mail.Files{Dir: dir}
	m := message("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	if err := f.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(f.Path(m.ID))
	if err != nil {
		t.Fatal(err)
	}
	m.Subject = "changed"
	if err := f.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(f.Path(m.ID))
	if !bytes.Equal(first, second) {
		t.Error("re-sending the same id rewrote the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("outbox holds %d files, want 1 (no temporary files left)", len(entries))
	}
	if err := f.Send(context.Background(), message("../escape")); !mail.IsPermanent(err) {
		t.Errorf("a path in the id: err = %v, want a permanent error", err)
	}
}

// TestFilesSendAll: a group is written one file per message, a message
// already written is left as it is, and a bad id fails alone.
func TestFilesSendAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	f := mail.Files{Dir: dir}
	ids := []string{"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a01", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a02", "../escape", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a03"}
	written := message(ids[1])
	written.Subject = "written before"
	if err := f.Send(context.Background(), written); err != nil {
		t.Fatal(err)
	}
	var msgs []mail.Message
	for _, id := range ids {
		msgs = append(msgs, message(id))
	}
	errs := f.SendAll(context.Background(), msgs)
	if len(errs) != len(msgs) {
		t.Fatalf("%d errors for %d messages", len(errs), len(msgs))
	}
	for i, err := range errs {
		if bad := i == 2; bad != mail.IsPermanent(err) || !bad && err != nil {
			t.Errorf("message %s: err = %v", ids[i], err)
		}
	}
	for i, id := range ids {
		if i == 2 {
			continue
		}
		got, err := os.ReadFile(f.Path(id))
		if err != nil {
			t.Fatal(err)
		}
		m := msgs[i]
		if i == 1 {
			m = written
		}
		if want, _ := m.Bytes(); !bytes.Equal(got, want) {
			t.Errorf("%s holds another message than the one first sent", id)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("outbox holds %d files, want 3", len(entries))
	}
}

// TestFilesConcurrentSendsWriteOneWholeFile: sends of one message id racing
// each other (past the check that its file exists) leave one whole file,
// the first written, never one replaced by a later send, and no temporary
// file; each send succeeds.
func TestFilesConcurrentSendsWriteOneWholeFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	f := mail.Files{Dir: dir}
	const sends = 8
	id := "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
	want := map[string]bool{}
	errs := make(chan error, sends)
	start := make(chan struct{})
	for i := range sends {
		m := message(id)
		m.Subject = "version " + strconv.Itoa(i)
		b, err := m.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		want[string(b)] = true
		go func() {
			<-start
			errs <- f.Send(context.Background(), m)
		}()
	}
	close(start)
	for range sends {
		if err := <-errs; err != nil {
			t.Errorf("a racing send: %v", err)
		}
	}
	got, err := os.ReadFile(f.Path(id))
	if err != nil {
		t.Fatal(err)
	}
	if !want[string(got)] {
		t.Errorf("the file is none of the messages sent whole:\n%s", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("outbox holds %d files, want 1 (no temporary files left)", len(entries))
	}
}

func TestParseSMTPURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want mail.SMTPConfig
		bad  bool
	}{
		{url: "smtp://127.0.0.1:1025", want: mail.SMTPConfig{Host: "127.0.0.1", Port: 1025}},
		{url: "smtp://bob:s3cret@mail.example.com", want: mail.SMTPConfig{Host: "mail.example.com", StartTLS: true, Username: "bob", Password: "s3cret"}},
		{url: "smtp://mail.example.com:25?starttls=false", want: mail.SMTPConfig{Host: "mail.example.com", Port: 25}},
		{url: "http://mail.example.com", bad: true},
		{url: "smtp://mail.example.com:99999", bad: true},
		{url: "smtp://mail.example.com?starttls=maybe", bad: true},
	} {
		got, err := mail.ParseSMTPURL(tc.url)
		if (err != nil) != tc.bad {
			t.Errorf("%s: err = %v", tc.url, err)
			continue
		}
		if !tc.bad && (got.Host != tc.want.Host || got.Port != tc.want.Port || got.StartTLS != tc.want.StartTLS ||
			got.Username != tc.want.Username || got.Password != tc.want.Password) {
			t.Errorf("%s: got %+v, want %+v", tc.url, got, tc.want)
		}
	}
}

func smtpTo(mp *mailtest.Mailpit, wait func(context.Context, int, time.Duration) error) *mail.SMTP {
	cfg, _ := mail.ParseSMTPURL("smtp://" + mp.SMTPAddr())
	cfg.Wait = wait
	cfg.MaxAttempts = 4
	return mail.NewSMTP(cfg)
}

func TestSMTPDeliversToMailpit(t *testing.T) {
	mp := mailtest.Start(t)
	m := message("e2")
	if err := smtpTo(mp, nil).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	list := mp.Messages()
	if len(list) != 1 {
		t.Fatalf("mailpit holds %d messages, want 1", len(list))
	}
	got := mp.Message(list[0].ID)
	if got.MessageID != "e2@ledger.example" || got.Subject != m.Subject || len(got.To) != 1 || got.To[0].Address != "ana@harbour.example" ||
		got.From.Address != "accounts@ledger.example" {
		t.Errorf("mailpit got %+v", got)
	}
	if !strings.Contains(got.Text, "invoice INV-000042 is attached") || !strings.Contains(got.HTML, "<b>INV-000042</b>") {
		t.Errorf("bodies: text %q html %q", got.Text, got.HTML)
	}
	if len(got.Attachments) != 1 || got.Attachments[0].FileName != "INV-000042.pdf" {
		t.Fatalf("attachments = %+v", got.Attachments)
	}
	if pdf := mp.Part(got.ID, got.Attachments[0].PartID); !bytes.Equal(pdf, m.Attachments[0].Data) {
		t.Error("the attachment came back changed")
	}
}

func TestSMTPRetriesUntilTheServerIsBack(t *testing.T) {
	mp := mailtest.Start(t)
	mp.Stop()
	var waits []time.Duration
	wait := func(_ context.Context, attempt int, d time.Duration) error {
		waits = append(waits, d)
		if attempt == 3 {
			mp.Restart() // the server comes back before the third attempt
		}
		return nil
	}
	if err := smtpTo(mp, wait).Send(context.Background(), message("e3")); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 2 || waits[1] != 2*waits[0] {
		t.Errorf("waits = %v, want two, the second twice the first", waits)
	}
	if n := mp.ByMessageID()["e3@ledger.example"]; n != 1 {
		t.Errorf("mailpit holds %d copies, want 1", n)
	}
}

func TestSMTPGivesUpAfterMaxAttempts(t *testing.T) {
	mp := mailtest.Start(t)
	mp.Stop()
	tries := 1
	err := smtpTo(mp, func(context.Context, int, time.Duration) error { tries++; return nil }).Send(context.Background(), message("e4"))
	var ae *mail.AttemptsError
	if !errors.As(err, &ae) || ae.Attempts != 4 || tries != 4 || mail.IsPermanent(err) {
		t.Errorf("err = %v after %d tries; want a temporary failure after 4", err, tries)
	}
}

// refusingServer is an SMTP server that refuses every recipient for good.
func refusingServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				io.WriteString(c, "220 refuser ESMTP\r\n")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
					case strings.HasPrefix(cmd, "EHLO"):
						io.WriteString(c, "250 refuser\r\n")
					case strings.HasPrefix(cmd, "RCPT"):
						io.WriteString(c, "550 5.1.1 no such mailbox\r\n")
					case strings.HasPrefix(cmd, "QUIT"):
						io.WriteString(c, "221 bye\r\n")
						return
					default:
						io.WriteString(c, "250 ok\r\n")
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

func TestSMTPPermanentFailureIsNotRetried(t *testing.T) {
	cfg, err := mail.ParseSMTPURL("smtp://" + refusingServer(t))
	if err != nil {
		t.Fatal(err)
	}
	retried := false
	cfg.Wait = func(context.Context, int, time.Duration) error { retried = true; return nil }
	err = mail.NewSMTP(cfg).Send(context.Background(), message("e5"))
	if !mail.IsPermanent(err) || !strings.Contains(err.Error(), "no such mailbox") || retried {
		t.Errorf("err = %v (retried %v); want a permanent failure naming the reason, not retried", err, retried)
	}
}
