package xero

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/oauth2"

	"remit/integrations/accounting"
	"remit/integrations/accounting/secretfile"
)

// Token is the connection's OAuth 2.0 state. Xero's access tokens live 30
// minutes; its refresh tokens are single use: every refresh answers a new
// one, and the old one stops working soon after, so a rotated refresh token
// that is not saved loses the connection.
type Token struct {
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
}

// TokenStore keeps the connection's tokens where the caller wants them (a
// file, an encrypted column). Save is called with every rotated token before
// the token is used.
type TokenStore interface {
	Load(ctx context.Context) (Token, error)
	Save(ctx context.Context, t Token) error
}

// FileConfig is the JSON document <data>/ledger/xero.json: the connection's
// settings and its current tokens, in one file readable by its owner only.
type FileConfig struct {
	TenantID     string `json:"tenant_id"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	// BaseURL and TokenURL are empty for Xero itself.
	BaseURL  string `json:"base_url,omitempty"`
	TokenURL string `json:"token_url,omitempty"`
	Token
}

// FileTokenStore is a TokenStore in a JSON file (FileConfig's format),
// written with mode 0600 through secretfile.Update: the file is replaced
// whole, so a crash leaves the old token or the new one, never half of
// either, under a lock every writer of the file takes, in any process. Save
// keeps the file's other fields (the settings).
type FileTokenStore struct {
	Path string
}

// Load reads the tokens; a missing file is no tokens (not connected).
func (s FileTokenStore) Load(ctx context.Context) (Token, error) {
	fc, err := readFileConfig(s.Path)
	if errors.Is(err, os.ErrNotExist) {
		return Token{}, nil
	}
	return fc.Token, err
}

// Save writes t, keeping the settings already in the file. The token's
// keys are replaced as a whole (an empty one is removed), and so is the
// access-token expiry ledgersync writes under its own key.
func (s FileTokenStore) Save(ctx context.Context, t Token) error {
	err := secretfile.Update(s.Path, func(doc secretfile.Doc) error {
		return doc.Set(t, "access_token", "refresh_token", "expiry", "access_token_expires_at")
	})
	if err != nil {
		return fmt.Errorf("xero settings: %w", err)
	}
	return nil
}

func readFileConfig(path string) (FileConfig, error) {
	var fc FileConfig
	b, err := os.ReadFile(path)
	if err != nil {
		return fc, err
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return fc, fmt.Errorf("xero settings %s: %w", path, err)
	}
	return fc, nil
}

// WriteFileConfig writes fc to path (mode 0600; its folder 0700 when it has
// to be made), atomically, as the whole file.
func WriteFileConfig(path string, fc FileConfig) error {
	err := secretfile.Update(path, func(doc secretfile.Doc) error {
		clear(doc)
		return doc.Set(fc)
	})
	if err != nil {
		return fmt.Errorf("xero settings: %w", err)
	}
	return nil
}

// LoadFileConfig reads the connection settings from path (FileConfig's
// format) and returns a Config whose Tokens is a FileTokenStore on the same
// file. The caller may set HTTPClient and Now before calling New.
func LoadFileConfig(path string) (Config, error) {
	fc, err := readFileConfig(path)
	if err != nil {
		return Config{}, err
	}
	return Config{
		TenantID:     fc.TenantID,
		ClientID:     fc.ClientID,
		ClientSecret: fc.ClientSecret,
		BaseURL:      fc.BaseURL,
		TokenURL:     fc.TokenURL,
		Tokens:       FileTokenStore{Path: path},
	}, nil
}

// tokens hands out a valid access token, refreshing (and saving) it when it
// has expired or Xero refused it. Callers hold l.mu.
type tokens struct {
	cfg    oauth2.Config
	store  TokenStore
	client *http.Client
	now    func() time.Time

	loaded bool
	tok    Token
	// unsaved is true when a rotated token could not be saved: no call is
	// made with it until Save succeeds, because the refresh token on disk
	// no longer works.
	unsaved bool
}

// expiryMargin refreshes a token this long before Xero would refuse it.
const expiryMargin = time.Minute

func (t *tokens) access(ctx context.Context) (string, error) {
	if !t.loaded {
		tok, err := t.store.Load(ctx)
		if err != nil {
			return "", &accounting.Error{Temporary: true, Message: "could not read the Xero connection's tokens: " + err.Error()}
		}
		t.tok, t.loaded = tok, true
	}
	if t.unsaved {
		if err := t.save(ctx); err != nil {
			return "", err
		}
	}
	if t.tok.AccessToken != "" && (t.tok.Expiry.IsZero() || t.now().Add(expiryMargin).Before(t.tok.Expiry)) {
		return t.tok.AccessToken, nil
	}
	return t.refresh(ctx)
}

// refused is called after Xero answered 401 to used: refresh, unless
// another call already did.
func (t *tokens) refused(ctx context.Context, used string) (string, error) {
	if t.tok.AccessToken != used && t.tok.AccessToken != "" {
		return t.tok.AccessToken, nil
	}
	return t.refresh(ctx)
}

func (t *tokens) refresh(ctx context.Context) (string, error) {
	if t.tok.RefreshToken == "" {
		return "", &accounting.Error{Message: "Xero is not connected (there is no refresh token): connect Xero again"}
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, t.client)
	// A token with no access token is invalid, so the source refreshes.
	nt, err := t.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: t.tok.RefreshToken}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil {
			code := re.Response.StatusCode
			if code == http.StatusTooManyRequests || code >= 500 {
				return "", &accounting.Error{Temporary: true, Status: code, RetryAfter: retryAfter(re.Response.Header, t.now()),
					Message: "Xero could not refresh the connection's token; will retry"}
			}
			reason := re.ErrorCode
			if reason == "" {
				reason = http.StatusText(code)
			}
			return "", &accounting.Error{Status: code, Message: "Xero refused to refresh the connection's token (" + reason + "): connect Xero again"}
		}
		return "", &accounting.Error{Temporary: true, Message: "could not reach Xero's identity server: " + err.Error()}
	}
	t.tok = Token{AccessToken: nt.AccessToken, RefreshToken: nt.RefreshToken, Expiry: nt.Expiry}
	t.unsaved = true
	if err := t.save(ctx); err != nil {
		return "", err
	}
	return t.tok.AccessToken, nil
}

func (t *tokens) save(ctx context.Context) error {
	if err := t.store.Save(ctx, t.tok); err != nil {
		return &accounting.Error{Temporary: true, Message: "could not save Xero's rotated token (the connection is lost if it is not saved): " + err.Error()}
	}
	t.unsaved = false
	return nil
}

// ErrNotConnected is Open's answer when the data folder holds no Xero
// connection.
var ErrNotConnected = errors.New("xero: not connected (no " + filepath.Join("ledger", "xero.json") + " in the data folder)")

// FilePath is where a data folder keeps its Xero connection.
func FilePath(dataDir string) string { return filepath.Join(dataDir, "ledger", "xero.json") }

// Connect saves a connection in dataDir: the organisation, the app's
// credentials and a refresh token from Xero's authorisation.
func Connect(dataDir string, fc FileConfig) error {
	if fc.TenantID == "" || fc.ClientID == "" || fc.ClientSecret == "" || fc.RefreshToken == "" {
		return errors.New("xero: tenant id, client id, client secret and refresh token are required")
	}
	return WriteFileConfig(FilePath(dataDir), fc)
}

// Open returns the Ledger of the connection saved in dataDir (rotated
// tokens are saved back there), or ErrNotConnected. httpClient may be nil.
func Open(dataDir string, httpClient *http.Client) (*Ledger, error) {
	cfg, err := LoadFileConfig(FilePath(dataDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotConnected
	}
	if err != nil {
		return nil, err
	}
	cfg.HTTPClient = httpClient
	return New(cfg)
}
