// Package storeurl opens the event store a configuration names: the
// embedded SQLite store in a data folder (the default), PostgreSQL
// (postgres:// or postgresql://) or a KurrentDB/EventStoreDB cluster
// (kurrentdb://, esdb://, with +discover). It is the one place that knows
// every backend, so commands and the app take a URL and stay backend-blind.
package storeurl

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"remit/eventstore"
	"remit/eventstore/idempotency"
	"remit/eventstore/kurrent"
	"remit/eventstore/pii"
	"remit/eventstore/postgres"
	"remit/eventstore/sqlite"
	"remit/internal/fsperm"
	"remit/projections/rmdb"
	"remit/web/auth/authdb"
)

// Kind names a backend.
type Kind string

// Backends.
const (
	Embedded Kind = "sqlite"
	Postgres Kind = "postgres"
	Kurrent  Kind = "kurrentdb"
)

// KindOf says which backend a store URL names ("" is the embedded store).
func KindOf(url string) (Kind, error) {
	switch {
	case url == "" || strings.HasPrefix(url, "sqlite:"):
		return Embedded, nil
	case strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://"):
		return Postgres, nil
	case kurrent.IsConnString(url):
		return Kurrent, nil
	}
	return "", fmt.Errorf("unknown store %q: use a data folder (the default), postgres://… or kurrentdb://… / esdb://…", Redact(url))
}

// Redact hides credentials in a store URL for logs and messages.
func Redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		cred := rest[:at]
		if user, _, hasPass := strings.Cut(cred, ":"); hasPass {
			return scheme + "://" + user + ":***@" + rest[at+1:]
		}
	}
	return url
}

// Options configure Open.
type Options struct {
	// DataDir is the embedded store's folder (used when the URL is "" or
	// "sqlite:DIR", which overrides it).
	DataDir string
	// ReadOnly opens the embedded store without its writer lock (other
	// backends ignore it: they are shared by design).
	ReadOnly bool
	// Clock stamps recorded-at where the store does it; nil: time.Now.
	Clock func() time.Time
	// KeysDir is the folder of clients' personal-data keys (embedded store
	// and KurrentDB); "" is DataDir/keys. A folder outside the data folder
	// keeps a copy of the data folder alone from revealing personal data.
	KeysDir string
}

// keysDir is where the keys of the data folder dir live.
func (o Options) keysDir(dir string) string {
	if o.KeysDir != "" {
		return o.KeysDir
	}
	return filepath.Join(dir, pii.KeyDir)
}

// checkKeysMoved refuses a --keys folder while the data folder still holds
// keys: the clients whose keys stayed behind would read as erased.
func (o Options) checkKeysMoved(dir string) error {
	if o.KeysDir == "" || dir == "" {
		return nil
	}
	old := filepath.Join(dir, pii.KeyDir)
	if abs, err := filepath.Abs(old); err == nil {
		if other, err := filepath.Abs(o.KeysDir); err == nil && abs == other {
			return nil
		}
	}
	entries, err := os.ReadDir(old)
	if err != nil || len(entries) == 0 {
		return nil
	}
	return fmt.Errorf("the data folder still holds personal-data keys in %s: move them into %s first (mv %s/* %s/), then start again", old, o.KeysDir, old, o.KeysDir)
}

// Open opens the store url names.
func Open(ctx context.Context, url string, opts Options) (eventstore.Store, error) {
	kind, err := KindOf(url)
	if err != nil {
		return nil, err
	}
	switch kind {
	case Postgres, Kurrent:
		var s eventstore.Store
		var err error
		if kind == Postgres {
			s, err = postgres.Open(ctx, url, postgres.Options{Clock: opts.Clock, ApplicationName: "remit"})
		} else {
			s, err = kurrent.Open(ctx, url, kurrent.Options{})
		}
		if err != nil {
			return nil, err
		}
		keys, err := sharedKeys(ctx, kind, url, opts)
		if err != nil {
			s.Close()
			return nil, err
		}
		if keys == nil {
			return s, nil
		}
		return wrap(s, keys), nil
	}
	dir := opts.DataDir
	if rest, ok := strings.CutPrefix(url, "sqlite:"); ok && rest != "" {
		dir = rest
	}
	if err := opts.checkKeysMoved(dir); err != nil {
		return nil, err
	}
	if !opts.ReadOnly {
		// Whatever an earlier version, a copy or the operator left more
		// open than 0600/0700 is closed before anything is written.
		if err := fsperm.Tighten(dir); err != nil {
			return nil, err
		}
		if err := fsperm.Tighten(opts.keysDir(dir)); err != nil {
			return nil, err
		}
	}
	s, err := sqlite.Open(dir, sqlite.Options{ReadOnly: opts.ReadOnly, Clock: opts.Clock})
	if err != nil {
		return nil, err
	}
	// Clients' personal fields are sealed with per-client keys kept in
	// DATA/keys (or Options.KeysDir), outside the log, so `remit client
	// forget` can erase them.
	keys, err := pii.OpenKeyStoreIn(opts.keysDir(dir))
	if err != nil {
		s.Close()
		return nil, err
	}
	return wrap(s, keys), nil
}

// wrap seals personal data with keys.
func wrap(s eventstore.Store, keys pii.Keys) *pii.Store {
	return pii.Wrap(s, pii.NewSealer(keys))
}

// OpenIdempotency opens the HTTP API's idempotency records beside the store
// url names: a table of the same PostgreSQL database (shared by every node
// on it), else a file of the data folder (the embedded store's, or
// DataDir's for KurrentDB). Options.Clock dates them.
func OpenIdempotency(ctx context.Context, url string, opts Options, ttl time.Duration) (idempotency.Store, error) {
	kind, err := KindOf(url)
	if err != nil {
		return nil, err
	}
	iopts := idempotency.Options{TTL: ttl, Now: opts.Clock}
	// Each opener returns a typed nil with its error; answered as it is, it
	// would be a non-nil Store that panics when closed.
	if kind == Postgres {
		s, err := idempotency.OpenPostgres(ctx, url, iopts)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	dir := opts.DataDir
	if rest, ok := strings.CutPrefix(url, "sqlite:"); ok && rest != "" {
		dir = rest
	}
	if dir == "" {
		return nil, fmt.Errorf("idempotency records: no data folder for %s", Redact(url))
	}
	s, err := idempotency.OpenSQLite(dir, iopts)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// OpenSignIn opens the sign-in state (sessions, the login limiter,
// single-use links, pending ledger OAuth flows) beside the store url names,
// as OpenIdempotency does: tables of the same PostgreSQL database (shared
// by every node on it), else DataDir/auth.db (the embedded store's data
// folder, or DataDir's for KurrentDB: nodes on KurrentDB share sign-ins
// only through a shared data folder). Options.Clock dates the sweeps.
func OpenSignIn(ctx context.Context, url string, opts Options) (*authdb.DB, error) {
	kind, err := KindOf(url)
	if err != nil {
		return nil, err
	}
	aopts := authdb.Options{Now: opts.Clock}
	if kind == Postgres {
		return authdb.OpenPostgres(ctx, url, aopts)
	}
	dir := opts.DataDir
	if rest, ok := strings.CutPrefix(url, "sqlite:"); ok && rest != "" {
		dir = rest
	}
	if dir == "" {
		return nil, fmt.Errorf("sign-in state: no data folder for %s", Redact(url))
	}
	return authdb.OpenSQLite(dir, aopts)
}

// sharedKeys returns the key store of a shared log. On PostgreSQL the keys
// live in a table of the same database (pii.PGKeyTable), so every process
// on it shares them, and personal fields are always sealed; keys of a log
// migrated from an embedded store are imported from DATA/keys first. On
// KurrentDB the keys stay in DATA/keys, and sealing is on only when that
// folder exists (a log migrated from an embedded store, or an operator
// who made it): every process must then use the same folder (a shared
// volume), or one process's clients read as erased in another.
func sharedKeys(ctx context.Context, kind Kind, url string, opts Options) (pii.Keys, error) {
	dataDir := opts.DataDir
	if kind == Postgres {
		keys, err := pii.OpenPGKeyStore(ctx, url)
		if err != nil {
			return nil, err
		}
		if dataDir != "" {
			if _, err := keys.ImportFrom(filepath.Join(dataDir, pii.KeyDir)); err != nil {
				keys.Close()
				return nil, err
			}
		}
		return keys, nil
	}
	if dataDir == "" && opts.KeysDir == "" {
		return nil, nil
	}
	dir := opts.keysDir(dataDir)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, nil
	}
	keys, err := pii.OpenKeyStoreIn(dir)
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// Unwrap returns the store as written (sealed personal fields), with its own
// extras such as Verify and HashAt.
func Unwrap(s eventstore.Store) eventstore.Store {
	if w, ok := s.(interface{ Unwrap() eventstore.Store }); ok {
		return w.Unwrap()
	}
	return s
}

// Verifier is a store that keeps a hash chain (embedded and PostgreSQL).
type Verifier interface {
	Verify(ctx context.Context) (sqlite.VerifyReport, error)
	HashAt(ctx context.Context, position uint64) ([]byte, error)
}

// ReadModelsFile is the embedded read-model database's file name in the
// data folder.
const ReadModelsFile = "readmodels.db"

// OpenReadModels opens the read-model database for the store url names: the
// same PostgreSQL database (tables rm_*, shared by every node on it) when
// the store is PostgreSQL or readModelsURL is a postgres:// URL, else the
// SQLite file readmodels.db in the data folder (the embedded store's, or
// DataDir's for KurrentDB).
func OpenReadModels(ctx context.Context, url, readModelsURL string, opts Options) (*rmdb.DB, error) {
	kind, err := KindOf(url)
	if err != nil {
		return nil, err
	}
	if readModelsURL != "" {
		if k, err := KindOf(readModelsURL); err != nil || k != Postgres {
			return nil, fmt.Errorf("read models: %s is not a postgres:// URL", Redact(readModelsURL))
		}
		return rmdb.OpenPostgres(ctx, readModelsURL, "")
	}
	if kind == Postgres {
		return rmdb.OpenPostgres(ctx, url, "")
	}
	dir := opts.DataDir
	if rest, ok := strings.CutPrefix(url, "sqlite:"); ok && rest != "" {
		dir = rest
	}
	if dir == "" {
		return nil, fmt.Errorf("read models: no data folder for %s", Redact(url))
	}
	return rmdb.OpenSQLite(filepath.Join(dir, ReadModelsFile))
}
