package ledgersync

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"remit/domain/ledger"
)

// Secrets are a connection's credentials: never in the event log, kept in
// <data>/ledger/<provider>.json with mode 0600 (the folder 0700). The
// adapters read the same file (integrations/accounting/xero.Open, qbo.Open) and
// save rotated tokens back into it; Save keeps the keys it does not know.
type Secrets struct {
	// TenantID repeats the connection's tenant (realm) id for the adapter,
	// which opens the file on its own.
	TenantID     string `json:"tenant_id,omitempty"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	// RefreshToken and AccessToken are the OAuth 2.0 tokens; the adapter
	// refreshes the access token and saves the new pair (Settings.SaveSecrets).
	RefreshToken   string    `json:"refresh_token,omitempty"`
	AccessToken    string    `json:"access_token,omitempty"`
	AccessTokenExp time.Time `json:"access_token_expires_at,omitzero"`
}

// SecretStore reads and writes the secrets files of one data folder.
type SecretStore struct{ dir string }

// NewSecretStore returns the secret store of a data folder.
func NewSecretStore(dataDir string) *SecretStore {
	return &SecretStore{dir: filepath.Join(dataDir, "ledger")}
}

func (s *SecretStore) path(provider string) (string, error) {
	if !slices.Contains(ledger.Providers(), provider) {
		return "", fmt.Errorf("ledger secrets: unknown provider %q", provider)
	}
	return filepath.Join(s.dir, provider+".json"), nil
}

// Load reads a provider's secrets; a provider with none yields the zero
// Secrets and no error. A file readable by others is refused.
func (s *SecretStore) Load(provider string) (Secrets, error) {
	p, err := s.path(provider)
	if err != nil {
		return Secrets{}, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Secrets{}, nil
	}
	if err != nil {
		return Secrets{}, fmt.Errorf("ledger secrets: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return Secrets{}, fmt.Errorf("ledger secrets: %s is readable by others (mode %o): chmod 600 it", p, fi.Mode().Perm())
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		return Secrets{}, fmt.Errorf("ledger secrets: %w", err)
	}
	var sec Secrets
	if err := json.Unmarshal(raw, &sec); err != nil {
		return Secrets{}, fmt.Errorf("ledger secrets: %s: %w", p, err)
	}
	return sec, nil
}

// Save writes a provider's secrets atomically (a temporary file renamed
// over the old one), mode 0600.
func (s *SecretStore) Save(provider string, sec Secrets) error {
	p, err := s.path(provider)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("ledger secrets: %w", err)
	}
	// Keep what the adapters keep in the same file (a rotated token's
	// expiry, a sandbox URL): only the keys given here change.
	doc := map[string]json.RawMessage{}
	if old, err := os.ReadFile(p); err == nil {
		_ = json.Unmarshal(old, &doc)
	}
	mine, err := json.Marshal(sec)
	if err != nil {
		return err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(mine, &fields); err != nil {
		return err
	}
	if rt, ok := fields["refresh_token"]; ok && string(rt) != string(doc["refresh_token"]) {
		// A new refresh token: an access token of the old one must not be used.
		for _, k := range []string{"access_token", "expiry", "access_token_expires_at"} {
			delete(doc, k)
		}
	}
	maps.Copy(doc, fields)
	raw, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(s.dir, "."+provider+"-*.tmp")
	if err != nil {
		return fmt.Errorf("ledger secrets: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("ledger secrets: %w", err)
	}
	if _, err := f.Write(raw); err != nil {
		f.Close()
		return fmt.Errorf("ledger secrets: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("ledger secrets: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("ledger secrets: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("ledger secrets: %w", err)
	}
	return nil
}
