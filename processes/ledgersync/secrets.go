package ledgersync

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"remit/domain/ledger"
	"remit/integrations/accounting/secretfile"
)

// Secrets are a connection's credentials: never in the event log, kept in
// <data>/ledger/<provider>.json with mode 0600 (the folder 0700). The
// adapters read the same file (integrations/accounting/xero.Open, qbo.Open) and
// save rotated tokens back into it; every writer goes through
// integrations/accounting/secretfile, and Save keeps the keys it does not know.
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

// Save writes a provider's secrets (mode 0600), keeping the keys the
// adapters keep in the same file (a rotated token's expiry, a sandbox URL):
// only the keys given here change. It goes through secretfile.Update, under
// the lock every writer of the file takes.
func (s *SecretStore) Save(provider string, sec Secrets) error {
	p, err := s.path(provider)
	if err != nil {
		return err
	}
	err = secretfile.Update(p, func(doc secretfile.Doc) error {
		var old string
		_ = json.Unmarshal(doc["refresh_token"], &old)
		if sec.RefreshToken != "" && sec.RefreshToken != old {
			// A new refresh token: an access token of the old one must not be used.
			for _, k := range []string{"access_token", "expiry", "access_token_expires_at"} {
				delete(doc, k)
			}
		}
		return doc.Set(sec)
	})
	if err != nil {
		return fmt.Errorf("ledger secrets: %w", err)
	}
	return nil
}
