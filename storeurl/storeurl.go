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
	"remit/eventstore/kurrent"
	"remit/eventstore/postgres"
	"remit/eventstore/sqlite"
	"remit/pii"
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
		// A log migrated from an embedded store carries sealed personal
		// fields: their keys come along in the data folder.
		if fi, err := os.Stat(filepath.Join(opts.DataDir, pii.KeyDir)); err == nil && fi.IsDir() && opts.DataDir != "" {
			keys, err := pii.OpenKeyStore(opts.DataDir)
			if err != nil {
				s.Close()
				return nil, err
			}
			return pii.Wrap(s, pii.NewSealer(keys)), nil
		}
		return s, nil
	}
	dir := opts.DataDir
	if rest, ok := strings.CutPrefix(url, "sqlite:"); ok && rest != "" {
		dir = rest
	}
	s, err := sqlite.Open(dir, sqlite.Options{ReadOnly: opts.ReadOnly, Clock: opts.Clock})
	if err != nil {
		return nil, err
	}
	// Clients' personal fields are sealed with per-client keys kept in
	// DATA/keys, outside the log, so `remit client forget` can erase them.
	// (On PostgreSQL and KurrentDB several processes with their own data
	// folders share one log; they need one shared key store, which is not
	// built yet, so there personal fields are stored as they are.)
	keys, err := pii.OpenKeyStore(dir)
	if err != nil {
		s.Close()
		return nil, err
	}
	return pii.Wrap(s, pii.NewSealer(keys)), nil
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
