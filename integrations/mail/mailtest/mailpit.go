// Package mailtest runs a real SMTP capture server, mailpit
// (github.com/axllent/mailpit), on loopback for tests, and reads back what it
// received through its HTTP API. Tests that need it skip with a message when
// the mailpit binary is not installed (scripts/test.sh installs it).
package mailtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Mailpit is a mailpit process the test started. It is stopped when the test
// ends.
type Mailpit struct {
	tb       testing.TB
	bin      string
	SMTPPort int
	HTTPPort int
	cmd      *exec.Cmd
	done     chan struct{}
}

// Binary finds the mailpit binary on PATH or in $(go env GOPATH)/bin.
func Binary() (string, bool) {
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p, true
	}
	for _, dir := range []string{os.Getenv("GOBIN"), filepath.Join(os.Getenv("HOME"), "go", "bin")} {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, "mailpit")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, true
		}
	}
	return "", false
}

// Start runs mailpit on two free loopback ports, or skips the test when
// mailpit is not installed.
func Start(tb testing.TB) *Mailpit {
	tb.Helper()
	bin, ok := Binary()
	if !ok {
		tb.Skip("mailpit is not installed: run scripts/test.sh, or go install github.com/axllent/mailpit@v1.27.11")
	}
	m := &Mailpit{tb: tb, bin: bin, SMTPPort: freePort(tb), HTTPPort: freePort(tb)}
	m.Restart()
	tb.Cleanup(m.Stop)
	return m
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Restart starts mailpit again on the same ports after Stop (its messages
// are kept in memory, so a restarted mailpit starts empty) and waits until
// it answers.
func (m *Mailpit) Restart() {
	m.tb.Helper()
	if m.cmd != nil {
		m.tb.Fatal("mailpit is running")
	}
	cmd := exec.Command(m.bin,
		"--listen", "127.0.0.1:"+strconv.Itoa(m.HTTPPort),
		"--smtp", "127.0.0.1:"+strconv.Itoa(m.SMTPPort),
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure",
		"--quiet")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		m.tb.Fatalf("start mailpit: %v", err)
	}
	m.cmd, m.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(m.done) }()

	// Readiness: poll the API and the SMTP port until both answer. There is
	// no event to wait on in another process.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if m.ready() {
			return
		}
		select {
		case <-m.done:
			m.cmd = nil
			m.tb.Fatal("mailpit exited at start")
		case <-ctx.Done():
			m.tb.Fatal("mailpit did not answer within 30s")
		case <-tick.C:
		}
	}
}

func (m *Mailpit) ready() bool {
	c, err := net.DialTimeout("tcp", m.SMTPAddr(), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	resp, err := http.Get(m.api("/api/v1/messages"))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop stops mailpit; nothing listens on its ports afterwards.
func (m *Mailpit) Stop() {
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	<-m.done
	m.cmd = nil
}

// SMTPAddr is the SMTP server's host:port.
func (m *Mailpit) SMTPAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(m.SMTPPort)) }

func (m *Mailpit) api(path string) string {
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(m.HTTPPort)) + path
}

// Summary is one message as mailpit lists it.
type Summary struct {
	ID        string    `json:"ID"`
	MessageID string    `json:"MessageID"`
	Subject   string    `json:"Subject"`
	From      Addr      `json:"From"`
	To        []Addr    `json:"To"`
	Created   time.Time `json:"Created"`
}

// Addr is a mailpit address.
type Addr struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// Message is one message as mailpit shows it.
type Message struct {
	ID          string       `json:"ID"`
	MessageID   string       `json:"MessageID"`
	From        Addr         `json:"From"`
	To          []Addr       `json:"To"`
	Subject     string       `json:"Subject"`
	Text        string       `json:"Text"`
	HTML        string       `json:"HTML"`
	Attachments []Attachment `json:"Attachments"`
}

// Attachment is one attachment of a message.
type Attachment struct {
	PartID      string `json:"PartID"`
	FileName    string `json:"FileName"`
	ContentType string `json:"ContentType"`
	Size        int    `json:"Size"`
}

// Messages lists every message mailpit holds, newest first.
func (m *Mailpit) Messages() []Summary {
	m.tb.Helper()
	var out struct {
		Messages []Summary `json:"messages"`
	}
	m.get("/api/v1/messages?limit=1000", &out)
	return out.Messages
}

// Message reads one message by mailpit's ID.
func (m *Mailpit) Message(id string) Message {
	m.tb.Helper()
	var out Message
	m.get("/api/v1/message/"+id, &out)
	return out
}

// Part downloads an attachment's bytes.
func (m *Mailpit) Part(id, partID string) []byte {
	m.tb.Helper()
	resp, err := http.Get(m.api("/api/v1/message/" + id + "/part/" + partID))
	if err != nil {
		m.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		m.tb.Fatalf("mailpit part %s/%s: %d %v", id, partID, resp.StatusCode, err)
	}
	return b
}

// ByMessageID counts the messages mailpit holds per Message-ID (mailpit
// shows it without angle brackets).
func (m *Mailpit) ByMessageID() map[string]int {
	m.tb.Helper()
	out := map[string]int{}
	for _, s := range m.Messages() {
		out[s.MessageID]++
	}
	return out
}

func (m *Mailpit) get(path string, v any) {
	m.tb.Helper()
	resp, err := http.Get(m.api(path))
	if err != nil {
		m.tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		m.tb.Fatalf("mailpit GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		m.tb.Fatal(fmt.Errorf("mailpit GET %s: %w", path, err))
	}
}
