package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/eventstore"
	"remit/internal/atomicfile"
	"remit/web/auth/authdb"
)

// LinkKeyFile is the name of the client-link signing key in the data folder.
const LinkKeyFile = "link.key"

// Purpose is what a client link lets its holder do; a link for one purpose
// is refused for every other.
type Purpose string

// Client link purposes.
const (
	PurposeAcceptProposal Purpose = "accept-proposal" // view and accept one proposal
	PurposePaymentMethod  Purpose = "payment-method"  // add or replace a payment method
	PurposeViewInvoice    Purpose = "view-invoice"    // view one invoice
	PurposePayInvoice     Purpose = "pay-invoice"     // pay one invoice
)

// Link is what a client link grants: one purpose, for one client (and the
// one proposal or invoice it is about, when the purpose has one), until
// Expires.
type Link struct {
	ClientID uuid.UUID `json:"c"`
	Purpose  Purpose   `json:"p"`
	// Resource is the proposal or invoice the link is about; uuid.Nil for
	// payment-method links.
	Resource uuid.UUID `json:"r,omitzero"`
	// Signatory is the proposal signatory the link is for (signed into the
	// token, so it cannot be changed); uuid.Nil: whoever holds the link.
	Signatory uuid.UUID `json:"s,omitzero"`
	Expires   time.Time `json:"e"`
	// Nonce makes two links for the same thing differ.
	Nonce string `json:"n"`
	// Issued is when the link was made (Sign sets it when zero). A link
	// issued before the client's links were last revoked is refused
	// (CheckNotRevoked).
	Issued time.Time `json:"i,omitzero"`
}

// ErrLinkInvalid is matched by every refused link: tampered, expired, for
// another purpose or client. Its message says no more than that.
var ErrLinkInvalid = domain.Forbidden("This link is not valid: it may have expired. Ask for a new one.")

// LinkSigner signs and checks client links with an HMAC-SHA256 key kept
// outside the event log.
type LinkSigner struct {
	key []byte
}

// NewLinkSigner returns a signer with key (at least 32 bytes).
func NewLinkSigner(key []byte) (*LinkSigner, error) {
	if len(key) < 32 {
		return nil, errors.New("auth: a link key needs at least 32 bytes")
	}
	return &LinkSigner{key: append([]byte(nil), key...)}, nil
}

// LoadLinkSigner reads the key from dir/link.key, making a random one (mode
// 0600) on first use.
func LoadLinkSigner(dir string) (*LinkSigner, error) {
	path := filepath.Join(dir, LinkKeyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		if err := atomicfile.WriteNew(path, key, 0o600); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		key, err = os.ReadFile(path) // another process may have won the race
	}
	if err != nil {
		return nil, fmt.Errorf("read link key: %w", err)
	}
	return NewLinkSigner(key)
}

// LoadSharedLinkSigner returns the signer whose key every node on db
// shares (the PostgreSQL store's sign-in tables). The first node to start
// stores the key: dir/link.key when that file exists (a data folder from
// a single-node setup, so the links it sent keep working), else a random
// one. From then on the database's key wins and the file is not read.
func LoadSharedLinkSigner(ctx context.Context, db *authdb.DB, dir string) (*LinkSigner, error) {
	fresh, err := os.ReadFile(filepath.Join(dir, LinkKeyFile))
	if err != nil || len(fresh) < 32 {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read link key: %w", err)
		}
		fresh = make([]byte, 32)
		_, _ = rand.Read(fresh)
	}
	key, err := db.LinkKey(ctx, fresh)
	if err != nil {
		return nil, err
	}
	return NewLinkSigner(key)
}

// Sign returns the link's token: base64url(JSON) "." base64url(HMAC). The
// nonce is filled in when empty.
func (s *LinkSigner) Sign(l Link) string {
	if l.Nonce == "" {
		l.Nonce = randomString(12)
	}
	if l.Issued.IsZero() {
		l.Issued = time.Now()
	}
	l.Issued = l.Issued.UTC()
	l.Expires = l.Expires.UTC().Truncate(time.Second)
	payload, _ := json.Marshal(l)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac(p))
}

func (s *LinkSigner) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("remit-link-v1:" + payload))
	return m.Sum(nil)
}

// Verify checks token and returns its link when it is signed with this
// key, not expired at now, and for purpose. Anything else is ErrLinkInvalid.
func (s *LinkSigner) Verify(token string, purpose Purpose, now time.Time) (Link, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return Link{}, ErrLinkInvalid
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(p)) {
		return Link{}, ErrLinkInvalid
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return Link{}, ErrLinkInvalid
	}
	var l Link
	if err := json.Unmarshal(payload, &l); err != nil || l.ClientID == uuid.Nil {
		return Link{}, ErrLinkInvalid
	}
	if l.Purpose != purpose || !now.Before(l.Expires) {
		return Link{}, ErrLinkInvalid
	}
	return l, nil
}

// VerifyFor is Verify, also requiring the link to be for client (and for
// resource, when not uuid.Nil).
func (s *LinkSigner) VerifyFor(token string, purpose Purpose, client, resource uuid.UUID, now time.Time) (Link, error) {
	l, err := s.Verify(token, purpose, now)
	if err != nil {
		return Link{}, err
	}
	if l.ClientID != client || (resource != uuid.Nil && l.Resource != resource) {
		return Link{}, ErrLinkInvalid
	}
	return l, nil
}

// RevokeClientLinks ends every link sent to the client so far: it appends
// client.ClientLinksRevoked (the next link generation), and a link issued
// before it is refused when opened (CheckNotRevoked).
func RevokeClientLinks(ctx context.Context, store eventstore.Store, clientID uuid.UUID, meta billing.Meta, now time.Time) (billing.Result, error) {
	if meta.CommandID == "" {
		meta.CommandID = uuid.NewString()
	}
	d := billing.Decider[client.State, client.Command]{Evolve: client.Evolve, Decide: client.Decide}
	out, err := billing.Handle(ctx, billing.Env{Store: store, Catalog: catalog.New()}, d, client.StreamName(clientID), client.Command(client.RevokeLinks{ClientID: clientID, Now: now}), meta)
	if err != nil {
		return billing.Result{}, err
	}
	out.Result.ID = clientID
	return out.Result, nil
}

// LinksRevokedAt returns when the client's links were last revoked (the
// zero time when never, or for a client that does not exist).
func LinksRevokedAt(ctx context.Context, store eventstore.Store, clientID uuid.UUID) (time.Time, error) {
	recs, err := store.ReadStream(ctx, client.StreamName(clientID), 0, eventstore.Forward, 0)
	if err != nil {
		return time.Time{}, fmt.Errorf("read client %s: %w", clientID, err)
	}
	var at time.Time
	for _, r := range recs {
		if r.Type != "ClientLinksRevoked" {
			continue
		}
		var e client.ClientLinksRevoked
		if err := json.Unmarshal(r.Data, &e); err != nil {
			return time.Time{}, fmt.Errorf("decode %s@%d: %w", r.Stream, r.Revision, err)
		}
		at = e.At
	}
	return at, nil
}

// CheckNotRevoked refuses (ErrLinkInvalid) a verified link issued no later
// than the last revocation of its client's links. Links from before links
// carried their issue time count as issued at the start of time.
func CheckNotRevoked(ctx context.Context, store eventstore.Store, l Link) error {
	at, err := LinksRevokedAt(ctx, store, l.ClientID)
	if err != nil {
		return err
	}
	if !at.IsZero() && !l.Issued.After(at) {
		return ErrLinkInvalid
	}
	return nil
}
