package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strconv"
	"time"
)

// SMTPConfig says how to reach an SMTP server.
type SMTPConfig struct {
	Host string
	Port int // default 587 with StartTLS, else 25
	// StartTLS requires the server to upgrade the connection with STARTTLS
	// before anything else is said; without it the session stays in the
	// clear (for a relay on the same host or a test server).
	StartTLS bool
	// TLSConfig is used for STARTTLS; nil verifies the server as Host.
	TLSConfig *tls.Config
	// Username and Password turn on AUTH PLAIN; empty means no auth. net/smtp
	// refuses to send them over a connection that is neither TLS nor to
	// localhost.
	Username, Password string
	// HelloName is the name given in EHLO; default "localhost".
	HelloName string
	// Timeout bounds one attempt (connect to QUIT); default 30s.
	Timeout time.Duration
	// MaxAttempts is how many times a temporary failure is tried in all;
	// default 5.
	MaxAttempts int
	// Backoff is the wait before the second attempt; it doubles after each
	// further failure, up to MaxBackoff. Defaults 2s and 1m.
	Backoff, MaxBackoff time.Duration
	// Wait waits d before a retry (attempt is the attempt about to be made,
	// from 2); nil waits on a timer. Tests inject it to act between tries.
	Wait func(ctx context.Context, attempt int, d time.Duration) error
}

// ParseSMTPURL reads an SMTP server from a URL, as given by --smtp or
// REMIT_SMTP_URL: smtp://[user:password@]host[:port][?starttls=true|false].
// STARTTLS is required by default unless the host is a loopback address.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTPConfig{}, fmt.Errorf("smtp url: %w", err)
	}
	if u.Scheme != "smtp" || u.Hostname() == "" {
		return SMTPConfig{}, fmt.Errorf("smtp url %q: want smtp://[user:password@]host[:port][?starttls=true|false]", u.Redacted())
	}
	c := SMTPConfig{Host: u.Hostname()}
	ip := net.ParseIP(c.Host)
	c.StartTLS = !(c.Host == "localhost" || (ip != nil && ip.IsLoopback()))
	if v := u.Query().Get("starttls"); v != "" {
		if c.StartTLS, err = strconv.ParseBool(v); err != nil {
			return SMTPConfig{}, fmt.Errorf("smtp url: starttls=%q is not true or false", v)
		}
	}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil || c.Port <= 0 || c.Port > 65535 {
			return SMTPConfig{}, fmt.Errorf("smtp url: bad port %q", p)
		}
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	return c, nil
}

// SMTP delivers messages to an SMTP server, retrying temporary failures with
// exponential backoff. A message the server refuses for good (5xx) is a
// *PermanentError at once.
type SMTP struct {
	cfg SMTPConfig
}

// NewSMTP returns an SMTP mailer with cfg's defaults filled in.
func NewSMTP(cfg SMTPConfig) *SMTP {
	if cfg.Port == 0 {
		cfg.Port = 25
		if cfg.StartTLS {
			cfg.Port = 587
		}
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 2 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.Wait == nil {
		cfg.Wait = func(ctx context.Context, _ int, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	return &SMTP{cfg: cfg}
}

// Addr returns the server's host:port.
func (s *SMTP) Addr() string { return net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port)) }

// AttemptsError is a temporary failure that outlasted every attempt.
type AttemptsError struct {
	Attempts int
	Err      error
}

func (e *AttemptsError) Error() string {
	return fmt.Sprintf("after %d attempts: %v", e.Attempts, e.Err)
}

// Unwrap returns the last attempt's error.
func (e *AttemptsError) Unwrap() error { return e.Err }

// Send delivers m, trying up to MaxAttempts times while failures are
// temporary.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	data, err := m.Bytes()
	if err != nil {
		return err
	}
	backoff := s.cfg.Backoff
	for attempt := 1; ; attempt++ {
		err := s.sendOnce(ctx, m, data)
		if err == nil || IsPermanent(err) || ctx.Err() != nil {
			return err
		}
		if attempt >= s.cfg.MaxAttempts {
			return &AttemptsError{Attempts: attempt, Err: err}
		}
		if werr := s.cfg.Wait(ctx, attempt+1, backoff); werr != nil {
			return errors.Join(err, werr)
		}
		backoff = min(backoff*2, s.cfg.MaxBackoff)
	}
}

// classify turns a 5xx reply into a *PermanentError and leaves the rest.
func classify(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return &PermanentError{Err: err}
	}
	return err
}

func (s *SMTP) sendOnce(ctx context.Context, m Message, data []byte) (err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr())
	if err != nil {
		return fmt.Errorf("smtp %s: %w", s.Addr(), err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: greeting: %w", s.Addr(), classify(err))
	}
	defer c.Close()
	step := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("smtp %s: %s: %w", s.Addr(), what, classify(err))
		}
		return nil
	}
	if err := step("EHLO", c.Hello(s.cfg.HelloName)); err != nil {
		return err
	}
	if s.cfg.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return &PermanentError{Err: fmt.Errorf("smtp %s: the server does not offer STARTTLS, which is required", s.Addr())}
		}
		tc := s.cfg.TLSConfig
		if tc == nil {
			tc = &tls.Config{ServerName: s.cfg.Host}
		}
		if err := step("STARTTLS", c.StartTLS(tc)); err != nil {
			return err
		}
	}
	if s.cfg.Username != "" {
		if err := step("AUTH", c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host))); err != nil {
			return err
		}
	}
	if err := step("MAIL FROM", c.Mail(m.From.Email)); err != nil {
		return err
	}
	if err := step("RCPT TO", c.Rcpt(m.To.Email)); err != nil {
		return err
	}
	w, err := c.Data()
	if err := step("DATA", err); err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return step("DATA", err)
	}
	if err := step("end of DATA", w.Close()); err != nil {
		return err
	}
	_ = c.Quit() // the message is accepted; a failed QUIT changes nothing
	return nil
}

// Name returns "smtp", the transport recorded on sent emails.
func (*SMTP) Name() string { return "smtp" }
