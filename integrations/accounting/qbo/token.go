package qbo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"remit/integrations/accounting"
	"remit/integrations/accounting/secretfile"
)

// Token is one OAuth 2.0 grant from Intuit: a short-lived access token (an
// hour) and the refresh token that buys the next one. Intuit rotates the
// refresh token on every refresh, so the new one must be stored before the
// old one is forgotten.
type Token struct {
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token"`
	Expiry       time.Time `json:"expiry,omitzero"`
	// RefreshTokenExpiry is when the refresh token stops working (about 100
	// days after the last refresh); the firm must reconnect after it.
	RefreshTokenExpiry time.Time `json:"refresh_token_expiry,omitzero"`
}

// TokenStore keeps a connection's tokens across restarts. SaveToken is called
// after every refresh, before the new access token is used.
type TokenStore interface {
	LoadToken(ctx context.Context) (Token, error)
	SaveToken(ctx context.Context, t Token) error
}

// Connection is what connecting QuickBooks Online leaves in the data folder:
// the Intuit app's credentials and the current tokens. The company (realm id)
// is not a secret and lives with the connection's settings (ledgersync's
// TenantID).
type Connection struct {
	ClientID     string
	ClientSecret string
	Token        Token
}

// secretsFile is the JSON of <data>/ledger/qbo.json, the same keys as
// ledgersync.Secrets so either side can read what the other wrote, plus the
// refresh token's expiry. Keys this package does not know are kept.
type secretsFile struct {
	ClientID           string    `json:"client_id"`
	ClientSecret       string    `json:"client_secret"`
	RefreshToken       string    `json:"refresh_token,omitempty"`
	AccessToken        string    `json:"access_token,omitempty"`
	AccessTokenExp     time.Time `json:"access_token_expires_at,omitzero"`
	RefreshTokenExpiry time.Time `json:"refresh_token_expires_at,omitzero"`
}

// FileStore keeps the Connection in one JSON file readable by its owner only
// (0600, folder 0700), <data>/ledger/qbo.json, in ledgersync's secrets
// format. It implements TokenStore: a refresh rewrites the file through
// secretfile.Update (atomically and under a lock shared with every other
// writer), so a crash never leaves a half-written refresh token and no
// writer loses another's change.
type FileStore struct {
	Path string
	mu   sync.Mutex
}

// NewFileStore returns the store of the data folder dataDir.
func NewFileStore(dataDir string) *FileStore {
	return &FileStore{Path: filepath.Join(dataDir, "ledger", "qbo.json")}
}

// Load reads the connection; an error wrapping os.ErrNotExist means
// QuickBooks Online is not connected.
func (f *FileStore) Load() (Connection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sf, err := f.load()
	return Connection{ClientID: sf.ClientID, ClientSecret: sf.ClientSecret, Token: Token{AccessToken: sf.AccessToken,
		RefreshToken: sf.RefreshToken, Expiry: sf.AccessTokenExp, RefreshTokenExpiry: sf.RefreshTokenExpiry}}, err
}

func (f *FileStore) load() (secretsFile, error) {
	var sf secretsFile
	b, err := os.ReadFile(f.Path)
	if err != nil {
		return sf, fmt.Errorf("qbo: read connection: %w", err)
	}
	if err := json.Unmarshal(b, &sf); err != nil {
		return sf, fmt.Errorf("qbo: read connection %s: %w", f.Path, err)
	}
	return sf, nil
}

// Save writes the connection.
func (f *FileStore) Save(c Connection) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.update(func(sf *secretsFile) {
		*sf = secretsFile{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RefreshToken: c.Token.RefreshToken,
			AccessToken: c.Token.AccessToken, AccessTokenExp: c.Token.Expiry, RefreshTokenExpiry: c.Token.RefreshTokenExpiry}
	})
}

// update changes the file's known keys through secretfile.Update (mode 0600,
// <data>/ledger made 0700, under the lock every writer of the file takes),
// keeping the keys this package does not know.
func (f *FileStore) update(change func(*secretsFile)) error {
	err := secretfile.Update(f.Path, func(doc secretfile.Doc) error {
		var sf secretsFile
		if err := doc.Decode(&sf); err != nil {
			return err
		}
		change(&sf)
		// Keys omitted when empty are removed, so no old value is kept.
		return doc.Set(sf, "refresh_token", "access_token", "access_token_expires_at", "refresh_token_expires_at")
	})
	if err != nil {
		return fmt.Errorf("qbo: save connection: %w", err)
	}
	return nil
}

// LoadToken implements TokenStore.
func (f *FileStore) LoadToken(context.Context) (Token, error) {
	c, err := f.Load()
	return c.Token, err
}

// SaveToken implements TokenStore, keeping the rest of the file. The file
// must exist (the connection was made).
func (f *FileStore) SaveToken(_ context.Context, t Token) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := os.Stat(f.Path); err != nil {
		return fmt.Errorf("qbo: read connection: %w", err)
	}
	return f.update(func(sf *secretsFile) {
		sf.AccessToken, sf.RefreshToken, sf.AccessTokenExp, sf.RefreshTokenExpiry = t.AccessToken, t.RefreshToken, t.Expiry, t.RefreshTokenExpiry
	})
}

// FuncStore is a TokenStore for a caller that keeps the secrets itself (such
// as ledgersync, through Settings.SaveSecrets): it starts from a token and
// calls save with every refreshed one.
type FuncStore struct {
	mu   sync.Mutex
	tok  Token
	save func(Token) error
}

// NewFuncStore returns a FuncStore holding initial.
func NewFuncStore(initial Token, save func(Token) error) *FuncStore {
	return &FuncStore{tok: initial, save: save}
}

// LoadToken implements TokenStore.
func (s *FuncStore) LoadToken(context.Context) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok, nil
}

// SaveToken implements TokenStore.
func (s *FuncStore) SaveToken(_ context.Context, t Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tok = t
	if s.save == nil {
		return nil
	}
	return s.save(t)
}

// tokens hands out a valid access token, refreshing it through Intuit's
// token endpoint when it is about to expire or QBO refused it, and persists
// every rotated refresh token before using the new access token.
type tokens struct {
	mu    sync.Mutex
	oauth oauth2.Config
	store TokenStore
	hc    *http.Client
	now   func() time.Time

	cur    Token
	loaded bool
}

// expirySlack refreshes a little early so a token never expires in flight.
const expirySlack = time.Minute

func (t *tokens) valid(tok Token) bool {
	return tok.AccessToken != "" && (tok.Expiry.IsZero() || t.now().Add(expirySlack).Before(tok.Expiry))
}

func (t *tokens) loadLocked(ctx context.Context) error {
	if t.loaded {
		return nil
	}
	tok, err := t.store.LoadToken(ctx)
	if err != nil {
		return &accounting.Error{Message: "QuickBooks Online is not connected: " + err.Error()}
	}
	t.cur, t.loaded = tok, true
	return nil
}

// access returns a valid access token.
func (t *tokens) access(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.loadLocked(ctx); err != nil {
		return "", err
	}
	if t.valid(t.cur) {
		return t.cur.AccessToken, nil
	}
	return t.refreshLocked(ctx, t.cur.AccessToken)
}

// refresh replaces the access token QBO refused (stale), unless another
// request already did.
func (t *tokens) refresh(ctx context.Context, stale string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.loadLocked(ctx); err != nil {
		return "", err
	}
	if t.cur.AccessToken != stale && t.valid(t.cur) {
		return t.cur.AccessToken, nil
	}
	return t.refreshLocked(ctx, stale)
}

func (t *tokens) refreshLocked(ctx context.Context, stale string) (string, error) {
	// Another process sharing the store (the CLI beside `remit serve`) may
	// have refreshed already; its refresh token is the only valid one now.
	if stored, err := t.store.LoadToken(ctx); err == nil && stored.RefreshToken != "" && stored.RefreshToken != t.cur.RefreshToken {
		t.cur = stored
		if stored.AccessToken != stale && t.valid(stored) {
			return stored.AccessToken, nil
		}
	}
	if t.cur.RefreshToken == "" {
		return "", &accounting.Error{Message: "QuickBooks Online has no refresh token: connect QuickBooks again"}
	}
	octx := context.WithValue(ctx, oauth2.HTTPClient, t.hc)
	got, err := t.oauth.TokenSource(octx, &oauth2.Token{RefreshToken: t.cur.RefreshToken}).Token()
	if err != nil {
		return "", refreshError(err)
	}
	next := Token{AccessToken: got.AccessToken, RefreshToken: got.RefreshToken, Expiry: got.Expiry}
	if next.RefreshToken == "" {
		next.RefreshToken = t.cur.RefreshToken
	}
	if s := fmt.Sprint(got.Extra("x_refresh_token_expires_in")); s != "" && s != "<nil>" {
		if secs, err := strconv.ParseFloat(s, 64); err == nil && secs > 0 {
			next.RefreshTokenExpiry = t.now().Add(time.Duration(secs) * time.Second)
		}
	}
	// Keep the new grant in memory even if saving fails: the old refresh
	// token is already spent, so memory is the only copy left.
	t.cur = next
	if err := t.store.SaveToken(ctx, next); err != nil {
		return "", &accounting.Error{Message: "QuickBooks Online token refreshed but not saved: " + err.Error()}
	}
	return next.AccessToken, nil
}

// refreshError says whether a failed refresh is worth retrying: Intuit's
// invalid_grant (a revoked or expired refresh token) needs the firm to
// reconnect; a 5xx or an unreachable endpoint does not.
func refreshError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		st := re.Response.StatusCode
		if st == http.StatusTooManyRequests || st >= 500 {
			return &accounting.Error{Temporary: true, Status: st, RetryAfter: retryAfter(re.Response.Header.Get("Retry-After")),
				Message: "QuickBooks Online token refresh failed, will retry"}
		}
		code := re.ErrorCode
		if code == "" {
			code = "refused"
		}
		return &accounting.Error{Status: st, Message: "QuickBooks Online refused the refresh token (" + code + "): connect QuickBooks again"}
	}
	return &accounting.Error{Temporary: true, Message: "QuickBooks Online token endpoint unreachable: " + err.Error()}
}
