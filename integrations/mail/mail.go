// Package mail is Remit's mailer port and its two adapters: Files, the
// default, which writes each message as <dir>/<id>.eml, and SMTP, which hands
// it to any SMTP server with retries and exponential backoff.
//
// A Message is rendered to RFC 5322 bytes by Message.Bytes: multipart/mixed
// around a multipart/alternative (text and HTML) and any attachments, with
// MIME boundaries derived from the Message-ID, so the same message always
// renders to the same bytes. Both adapters are built on the standard library
// (mime/multipart, net/smtp): the protocol surface Remit needs is small, and
// net/smtp reports the server's reply codes as *textproto.Error, which is what
// telling a temporary failure (4xx, a dropped connection) from a permanent one
// (5xx) needs.
//
// Errors: a failure the server says is final is a *PermanentError
// (IsPermanent); anything else may succeed later.
package mail

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Mailer delivers messages. Delivering the same message (same ID) twice
// should, where the transport allows, deliver it once; where it cannot (SMTP)
// the Message-ID lets the receiving side recognise the copy.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// OnceByID is a Mailer that delivers a message at most once by its ID, so
// handing it the same message again, after a crash, delivers nothing more
// (Files: a message whose file exists is not written again). The outbox
// then records an email only after delivering it, in one synced commit
// instead of two.
type OnceByID interface {
	Mailer
	DeliversOnceByID() bool
}

// GroupSender is a Mailer that delivers several messages at once for less
// than one at a time (Files: each folder is synced once for all its new
// files). SendAll returns one error per message, as Send would.
type GroupSender interface {
	Mailer
	SendAll(ctx context.Context, msgs []Message) []error
}

// Address is a named email address.
type Address struct {
	Name  string
	Email string
}

// String formats the address for a header, quoting the name as needed.
func (a Address) String() string { return (&mail.Address{Name: a.Name, Address: a.Email}).String() }

// Attachment is a file attached to a message.
type Attachment struct {
	Filename    string
	ContentType string // e.g. "application/pdf"
	Data        []byte
}

// Message is one email. ID names it in the outbox (the .eml file's name);
// MessageID is its Message-ID header, angle brackets included.
type Message struct {
	ID          string
	MessageID   string
	From        Address
	To          Address
	Subject     string
	Date        time.Time
	Text        string
	HTML        string
	Attachments []Attachment
}

// Bytes renders the message as RFC 5322 bytes with CRLF line endings.
func (m Message) Bytes() ([]byte, error) {
	if m.To.Email == "" || m.From.Email == "" {
		return nil, &PermanentError{Err: errors.New("mail: a message needs a sender and a recipient")}
	}
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("Message-ID", m.MessageID)
	h("Date", m.Date.Format(time.RFC1123Z))
	h("From", m.From.String())
	h("To", m.To.String())
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("MIME-Version", "1.0")

	seed := sha256.Sum256([]byte(m.MessageID))
	boundary := func(part string) string { return "remit-" + part + "-" + hex.EncodeToString(seed[:12]) }

	mixed := multipart.NewWriter(&b)
	if err := mixed.SetBoundary(boundary("mixed")); err != nil {
		return nil, err
	}
	h("Content-Type", "multipart/mixed; boundary="+mixed.Boundary())
	b.WriteString("\r\n")

	altHeader := textproto.MIMEHeader{}
	var alt bytes.Buffer
	aw := multipart.NewWriter(&alt)
	if err := aw.SetBoundary(boundary("alt")); err != nil {
		return nil, err
	}
	altHeader.Set("Content-Type", "multipart/alternative; boundary="+aw.Boundary())
	for _, p := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		if p.body == "" {
			continue
		}
		w, err := aw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(crlf(p.body))); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	w, err := mixed.CreatePart(altHeader)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(alt.Bytes()); err != nil {
		return nil, err
	}

	for _, a := range m.Attachments {
		w, err := mixed.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType(a.ContentType, map[string]string{"name": a.Filename})},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename})},
			"Content-Transfer-Encoding": {"base64"},
		})
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(a.Data)
		for len(enc) > 76 {
			fmt.Fprintf(w, "%s\r\n", enc[:76])
			enc = enc[76:]
		}
		fmt.Fprintf(w, "%s\r\n", enc)
	}
	if err := mixed.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// PermanentError is a delivery failure that retrying will not cure: the
// server refused the message for good (a 5xx reply) or the message is
// malformed.
type PermanentError struct {
	Err error
}

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a permanent delivery failure.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
