package cli

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"remit/domain"
	"remit/eventstore/sqlite"
	"remit/eventstore/storeurl"
	"remit/integrations/mail"
	"remit/internal/fsperm"
	"remit/processes/billingrun"
	"remit/processes/emailer"

	"github.com/spf13/cobra"
)

// An anchor is one signed checkpoint of the hash chain: the head's position
// and hash at a time, signed with an Ed25519 key kept outside the data
// folder. The chain itself has no secret (anyone who can write the data
// folder can change an event and recompute every later hash); an anchor
// cannot be recomputed without the key, so a history re-chained or cut
// short behind an anchor no longer matches it. Anchors are kept one JSON
// object a line in an anchors file.
type anchor struct {
	Position  uint64    `json:"position"`
	Hash      string    `json:"hash"`
	At        time.Time `json:"at"`
	PublicKey string    `json:"public_key"` // base64 of the signer's Ed25519 public key
	Signature string    `json:"signature"`  // base64 Ed25519 signature over signedBytes
}

// signedBytes is what an anchor's signature covers.
func (a anchor) signedBytes() []byte {
	return fmt.Appendf(nil, "remit audit anchor v1\nposition %d\nhash %s\nat %s\n", a.Position, a.Hash, a.At.UTC().Format(time.RFC3339Nano))
}

// verify checks the anchor's signature with pub, or with the key the line
// names when pub is nil.
func (a anchor) verify(pub ed25519.PublicKey) error {
	named, err := base64.StdEncoding.DecodeString(a.PublicKey)
	if err != nil || len(named) != ed25519.PublicKeySize {
		return errors.New("its public key is not an Ed25519 key")
	}
	if pub == nil {
		pub = named
	} else if !bytes.Equal(pub, named) {
		return errors.New("it was signed with another key than --public-key")
	}
	sig, err := base64.StdEncoding.DecodeString(a.Signature)
	if err != nil || !ed25519.Verify(pub, a.signedBytes(), sig) {
		return errors.New("its signature does not verify (the line was altered or forged)")
	}
	return nil
}

// newKeyPair writes an Ed25519 private key to path (PKCS #8 PEM, 0600,
// refusing to overwrite) and its public key to path.pub.
func newKeyPair(path string) (ed25519.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	if err := writeNew(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return nil, err
	}
	if err := writeNew(path+".pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})); err != nil {
		return nil, err
	}
	return pub, nil
}

// writeNew writes a new 0600 file, refusing an existing one.
func writeNew(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fsperm.FileMode)
	if errors.Is(err, fs.ErrExist) {
		return usageErr("%s exists already: not overwriting it", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return fsperm.File(path)
}

func readPEM(path, typ string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErr("read the key: %v", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != typ {
		return nil, usageErr("%s holds no PEM %s", path, typ)
	}
	return blk.Bytes, nil
}

func readPrivateKey(path string) (ed25519.PrivateKey, error) {
	der, err := readPEM(path, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	priv, ok := k.(ed25519.PrivateKey)
	if err != nil || !ok {
		return nil, usageErr("%s is not an Ed25519 private key (make one with remit audit anchor --new-key)", path)
	}
	return priv, nil
}

func readPublicKey(path string) (ed25519.PublicKey, error) {
	der, err := readPEM(path, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	pub, ok := k.(ed25519.PublicKey)
	if err != nil || !ok {
		return nil, usageErr("%s is not an Ed25519 public key", path)
	}
	return pub, nil
}

// inside reports whether path is inside the folder dir (symbolic links
// resolved as far as they exist).
func inside(path, dir string) bool {
	abs := func(p string) string {
		p, _ = filepath.Abs(p)
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return r
		}
		if r, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
			return filepath.Join(r, filepath.Base(p))
		}
		return p
	}
	rel, err := filepath.Rel(abs(dir), abs(path))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// refuseKeyInData refuses a signing key kept in the data folder: whoever
// can write the folder could then re-sign a rewritten history.
func refuseKeyInData(key string, so storeOpts) error {
	if so.url == "" && inside(key, so.dir) {
		return usageErr("the anchor key %s is inside the data folder %s: keep it elsewhere, or anyone who can rewrite the log can re-sign it", key, so.dir)
	}
	return nil
}

// readAnchors reads an anchors file; a missing file has none.
func readAnchors(path string) ([]anchor, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var as []anchor
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var a anchor
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return nil, problemErr("%s line %d is not an anchor: %v", path, n, err)
		}
		as = append(as, a)
	}
	return as, sc.Err()
}

// appendAnchor appends one line to the anchors file (0600).
func appendAnchor(path string, a anchor) ([]byte, error) {
	line, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	line = append(line, '\n')
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, fsperm.FileMode)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return line, fsperm.File(path)
}

// anchorHead verifies the whole chain and signs its head, appending the
// anchor to the anchors file unless the last anchor there is of the same
// head already. It returns the line appended ("" when nothing was).
func anchorHead(ctx context.Context, so storeOpts, keyPath, anchorsPath string, now time.Time) (string, error) {
	priv, err := readPrivateKey(keyPath)
	if err != nil {
		return "", err
	}
	s, err := so.open(ctx, true)
	if err != nil {
		return "", err
	}
	defer s.Close()
	v, err := verifierOf(s)
	if err != nil {
		return "", err
	}
	rep, err := v.Verify(ctx)
	if err != nil {
		return "", problemErr("not anchoring a broken log: %v", err)
	}
	if rep.Events == 0 {
		return "", &exitError{code: ExitUsage, err: errEmptyLog}
	}
	prev, err := readAnchors(anchorsPath)
	if err != nil {
		return "", err
	}
	if err := checkAnchors(ctx, v, rep, prev, nil); err != nil {
		return "", err
	}
	if n := len(prev); n > 0 && prev[n-1].Position == rep.Head && prev[n-1].Hash == rep.HeadHash {
		return "", nil
	}
	a := anchor{Position: rep.Head, Hash: rep.HeadHash, At: now.UTC(), PublicKey: base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))}
	a.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(priv, a.signedBytes()))
	line, err := appendAnchor(anchorsPath, a)
	return string(line), err
}

// errEmptyLog is anchorHead's refusal of an empty log.
var errEmptyLog = errors.New("the log is empty: nothing to anchor")

// hashAt is the part of a chained store checkAnchors needs.
type hashAt interface {
	HashAt(ctx context.Context, position uint64) ([]byte, error)
}

// checkAnchors checks every anchor against a log whose chain walked to rep:
// each signature verifies (with pub, or the key its line names when pub is
// nil), and each anchored position still exists with exactly that hash.
func checkAnchors(ctx context.Context, v hashAt, rep sqlite.VerifyReport, as []anchor, pub ed25519.PublicKey) error {
	for i, a := range as {
		if err := a.verify(pub); err != nil {
			return problemErr("anchor %d (position %d): %v", i+1, a.Position, err)
		}
		if rep.Head < a.Position {
			return problemErr("the log ends at position %d but anchor %d of %s signed position %d: events were removed from its end (truncated)", rep.Head, i+1, a.At.Format(time.RFC3339), a.Position)
		}
		h, err := v.HashAt(ctx, a.Position)
		if err != nil {
			return err
		}
		if hex.EncodeToString(h) != a.Hash {
			return problemErr("the event at position %d no longer has the hash anchor %d of %s signed: history at or before position %d was rewritten (re-chained)", a.Position, i+1, a.At.Format(time.RFC3339), a.Position)
		}
	}
	return nil
}

// checkTail is serve's check at start: the last anchor's signature
// verifies and the log still has that anchor's position with its hash.
func checkTail(ctx context.Context, so storeOpts, anchorsPath string) error {
	as, err := readAnchors(anchorsPath)
	if err != nil || len(as) == 0 {
		return err
	}
	last := as[len(as)-1]
	if so.url == "" {
		if _, err := os.Stat(filepath.Join(so.dir, sqlite.FileName)); err != nil {
			return problemErr("refusing to serve: %s signs position %d but %s holds no store", anchorsPath, last.Position, so.dir)
		}
	}
	s, err := so.open(ctx, true)
	if err != nil {
		return err
	}
	defer s.Close()
	v, ok := storeurl.Unwrap(s).(storeurl.Verifier)
	if !ok {
		return usageErr("--anchors: this store keeps no hash chain of its own (KurrentDB)")
	}
	head, err := s.Head(ctx)
	if err != nil {
		return err
	}
	if err := checkAnchors(ctx, v, sqlite.VerifyReport{Head: head}, as[len(as)-1:], nil); err != nil {
		return problemErr("refusing to serve a broken log: %v (run remit audit verify --anchors %s)", err, anchorsPath)
	}
	return nil
}

// anchorJob is serve's daily job: anchor the head (idempotent: a head
// anchored already is not anchored again), and email the new line to the
// auditor when send is set. A line whose email failed is emailed again on
// the next run (by this process): the head is anchored already then, so
// nothing else would send it.
func anchorJob(so storeOpts, keyPath, anchorsPath string, now func() time.Time, send *anchorMail) func(context.Context, domain.Date) error {
	var mu sync.Mutex
	var unsent []string // anchored lines not emailed yet, oldest first
	return func(ctx context.Context, _ domain.Date) error {
		mu.Lock()
		defer mu.Unlock()
		line, err := anchorHead(ctx, so, keyPath, anchorsPath, now())
		if err != nil && !errors.Is(err, errEmptyLog) {
			return fmt.Errorf("anchor the audit head: %w", err)
		}
		if send == nil {
			return nil
		}
		if line != "" {
			unsent = append(unsent, line)
		}
		for len(unsent) > 0 {
			if err := send.send(ctx, unsent[0], now()); err != nil {
				return fmt.Errorf("anchored, but not emailed (tried again on the next run): %w", err)
			}
			unsent = unsent[1:]
		}
		return nil
	}
}

// anchorMail sends new anchor lines to an auditor through Remit's mail
// transport (emailer.MailerFor: SMTP, or .eml files in DATA/outbox).
type anchorMail struct {
	to, from string
	mailer   mail.Mailer
}

// newAnchorMail checks the addresses and opens the transport.
func newAnchorMail(to, from, smtpURL, dataDir string) (*anchorMail, error) {
	if _, err := netmail.ParseAddress(to); err != nil {
		return nil, usageErr("--email %q: give an email address (%v)", to, err)
	}
	if from == "" {
		from = "remit@localhost"
	}
	if _, err := netmail.ParseAddress(from); err != nil {
		return nil, usageErr("--mail-from %q: give an email address (%v)", from, err)
	}
	m, err := emailer.MailerFor(smtpURL, dataDir)
	if err != nil {
		return nil, usageErr("--smtp: %v", err)
	}
	return &anchorMail{to: to, from: from, mailer: m}, nil
}

// send emails one anchor line: in the body, to copy into a file of the
// auditor's, and attached as a one-line anchors file. Its Message-ID comes
// from the anchor, so a resent anchor is recognisably the same message.
func (m *anchorMail) send(ctx context.Context, line string, now time.Time) error {
	var a anchor
	if err := json.Unmarshal([]byte(strings.TrimSpace(line)), &a); err != nil {
		return err
	}
	_, host, _ := strings.Cut(m.from, "@")
	short := a.Hash
	if len(short) > 16 {
		short = short[:16]
	}
	msg := mail.Message{
		ID:        fmt.Sprintf("anchor-%d-%s", a.Position, short),
		MessageID: fmt.Sprintf("<anchor-%d-%s@%s>", a.Position, short, host),
		From:      mail.Address{Name: "Remit audit", Email: m.from},
		To:        mail.Address{Email: m.to},
		Subject:   fmt.Sprintf("Remit audit anchor: position %d", a.Position),
		Date:      now,
		Text: fmt.Sprintf(`Remit signed the head of its event log: position %d, hash %s, at %s.

Keep this line where whoever runs Remit cannot change it (append it to your anchors file):

%s
Then remit audit verify --anchors FILE --public-key KEY.pub fails on any history
rewritten or cut short behind it. The same line is attached as anchor-%d.jsonl.
`, a.Position, a.Hash, a.At.Format(time.RFC3339), line, a.Position),
		Attachments: []mail.Attachment{{Filename: fmt.Sprintf("anchor-%d.jsonl", a.Position), ContentType: "application/jsonl", Data: []byte(line)}},
	}
	return m.mailer.Send(ctx, msg)
}

func newAuditAnchorCmd(env Env) *cobra.Command {
	var so storeOpts
	var key, anchors, newKey, email, smtpURL, from string
	c := &cobra.Command{
		Use:   "anchor [--key FILE] [--anchors FILE] | --new-key FILE",
		Short: "Sign the hash chain's head with a key kept outside the data folder and append it to an anchors file",
		Long: `Verify the hash chain, sign its head (position, hash, time) with an Ed25519 private key
and append the signed anchor, one JSON line, to the anchors file; print the line.
Keep the key outside the data folder (a key inside it is refused) and the anchors file
where whoever can write the data folder cannot (or send the lines to an auditor):
remit audit verify --anchors FILE then fails on any history rewritten or cut short behind
an anchor, which the chain alone cannot show. --new-key FILE makes a key pair (FILE and
FILE.pub, 0600). --email ADDR also sends the new line to ADDR (an auditor) through
Remit's mail transport (--smtp, as remit serve's). Exits 0 when done, 1 when the log
is broken or the email could not be sent (the line is anchored and printed), 2 on bad usage.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			out := c.OutOrStdout()
			if newKey != "" {
				if err := refuseKeyInData(newKey, so); err != nil {
					return err
				}
				pub, err := newKeyPair(newKey)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "private key: %s\npublic key:  %s.pub (%s)\n", newKey, newKey, base64.StdEncoding.EncodeToString(pub))
				return nil
			}
			if key == "" || anchors == "" {
				return usageErr("both --key FILE and --anchors FILE are required (or --new-key FILE)")
			}
			if err := refuseKeyInData(key, so); err != nil {
				return err
			}
			var send *anchorMail
			if email != "" {
				var err error
				if send, err = newAnchorMail(email, from, smtpURL, so.dir); err != nil {
					return err
				}
			}
			now := time.Now()
			line, err := anchorHead(c.Context(), so, key, anchors, now)
			if err != nil {
				return err
			}
			if line == "" {
				fmt.Fprintln(out, "the head is anchored already")
				return nil
			}
			fmt.Fprint(out, line)
			if send != nil {
				if err := send.send(c.Context(), line, now); err != nil {
					return problemErr("anchored, but the email to %s failed: %v", email, err)
				}
				fmt.Fprintf(out, "emailed to %s\n", email)
			}
			return nil
		},
	}
	storeFlags(c, env, &so)
	c.Flags().StringVar(&key, "key", env.Getenv("REMIT_ANCHOR_KEY"), "Ed25519 private key (PEM), outside the data folder (env REMIT_ANCHOR_KEY)")
	c.Flags().StringVar(&anchors, "anchors", env.Getenv("REMIT_ANCHORS"), "anchors file to append to, JSON lines (env REMIT_ANCHORS)")
	c.Flags().StringVar(&newKey, "new-key", "", "make a new key pair: FILE (private) and FILE.pub")
	c.Flags().StringVar(&email, "email", env.Getenv("REMIT_ANCHOR_EMAIL"), "also email the new anchor line to this address, e.g. the firm's auditor (env REMIT_ANCHOR_EMAIL)")
	c.Flags().StringVar(&smtpURL, "smtp", env.Getenv("REMIT_SMTP_URL"), "SMTP server for --email, as remit serve's; empty writes an .eml file to DATA/outbox (env REMIT_SMTP_URL)")
	c.Flags().StringVar(&from, "mail-from", cmp.Or(env.Getenv("REMIT_MAIL_FROM"), "remit@localhost"), "sending address for --email (env REMIT_MAIL_FROM)")
	return c
}

// verifyAnchors is audit verify --anchors: the chain walked to rep, now
// every anchor in the file is checked against it.
func verifyAnchors(ctx context.Context, out io.Writer, v hashAt, rep sqlite.VerifyReport, anchorsFile, pubKey string) error {
	var pub ed25519.PublicKey
	if pubKey != "" {
		var err error
		if pub, err = readPublicKey(pubKey); err != nil {
			return err
		}
	}
	if _, err := os.Stat(anchorsFile); err != nil {
		return usageErr("--anchors: %v", err)
	}
	as, err := readAnchors(anchorsFile)
	if err != nil {
		return err
	}
	if err := checkAnchors(ctx, v, rep, as, pub); err != nil {
		return err
	}
	signer := "the keys their lines name (pin one with --public-key)"
	if pub != nil {
		signer = pubKey
	}
	fmt.Fprintf(out, "anchors: %d verified, signed by %s\n", len(as), signer)
	return nil
}

// anchorOpts are serve's anchoring flags.
type anchorOpts struct {
	key, anchors, email string
}

func anchorFlags(c *cobra.Command, env Env, o *anchorOpts) {
	c.Flags().StringVar(&o.key, "anchor-key", env.Getenv("REMIT_ANCHOR_KEY"), "Ed25519 private key (remit audit anchor --new-key), outside the data folder: anchor the audit head daily into --anchors (env REMIT_ANCHOR_KEY)")
	c.Flags().StringVar(&o.anchors, "anchors", env.Getenv("REMIT_ANCHORS"), "anchors file: the log's tail is checked against its last anchor at start, and refused when it does not match (env REMIT_ANCHORS)")
	c.Flags().StringVar(&o.email, "anchor-email", env.Getenv("REMIT_ANCHOR_EMAIL"), "email each new daily anchor line to this address, e.g. the firm's auditor, through --smtp (env REMIT_ANCHOR_EMAIL)")
}

// startup checks the log against the last anchor and returns the daily
// anchoring job when there is a key.
func (o anchorOpts) startup(ctx context.Context, so storeOpts, mo mailOpts) ([]billingrun.Job, error) {
	if o.key != "" && o.anchors == "" {
		return nil, usageErr("--anchor-key needs --anchors FILE to append to")
	}
	if o.email != "" && o.key == "" {
		return nil, usageErr("--anchor-email needs --anchor-key and --anchors: it sends the daily anchor")
	}
	if o.anchors == "" {
		return nil, nil
	}
	if err := checkTail(ctx, so, o.anchors); err != nil {
		return nil, err
	}
	if o.key == "" {
		return nil, nil
	}
	if err := refuseKeyInData(o.key, so); err != nil {
		return nil, err
	}
	if _, err := readPrivateKey(o.key); err != nil {
		return nil, err
	}
	var send *anchorMail
	if o.email != "" {
		var err error
		if send, err = newAnchorMail(o.email, mo.from, mo.smtp, so.dir); err != nil {
			return nil, err
		}
	}
	job := anchorJob(so, o.key, o.anchors, time.Now, send)
	// Anchoring is bookkeeping of the log, not billing: the run's summary
	// does not count it.
	return []billingrun.Job{func(ctx context.Context, asOf domain.Date) ([]billingrun.Done, error) { return nil, job(ctx, asOf) }}, nil
}
