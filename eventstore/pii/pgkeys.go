package pii

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"crypto/rand"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PGKeyTable is the table of the PostgreSQL key store. It lives beside the
// event table but outside it: the log never holds a key, and a row can be
// emptied, which an event cannot.
const PGKeyTable = "remit_pii_keys"

// pgKeyCacheTTL bounds how long a process opens sealed fields with a key it
// read without asking the table again (a replay opens many). A Forget in
// another process is seen at once by whoever reads its ClientErased event
// (the Store evicts the key before opening the batch that holds it, and
// the projections runner rebuilds after it); other reads see it within
// this. Sealing never uses the cache.
const pgKeyCacheTTL = 10 * time.Second

const pgKeySchema = `
CREATE TABLE IF NOT EXISTS ` + PGKeyTable + ` (
	name         text        PRIMARY KEY,
	key          bytea       CHECK (key IS NULL OR octet_length(key) = 32),
	created_at   timestamptz NOT NULL DEFAULT now(),
	forgotten_at timestamptz,
	CHECK (key IS NULL OR forgotten_at IS NULL)
);
COMMENT ON TABLE ` + PGKeyTable + ` IS 'Remit: per-client keys of sealed personal data (name = client id). A forgotten client keeps a row with key NULL and forgotten_at set (a tombstone).'`

// PGKeyStore keeps the keys in a table of the PostgreSQL database that holds
// the log, so every remit process on that database shares them: a key made
// by one is used by all, and a Forget by one holds for all. Forget empties
// the row's key and stamps it forgotten (a tombstone, so no new key is
// ever made for the client), then VACUUMs the table so the old row version
// does not linger in its pages. It is safe for concurrent use.
type PGKeyStore struct {
	pool *pgxpool.Pool

	mu    sync.Mutex
	cache map[string]cachedKey
	now   func() time.Time
}

type cachedKey struct {
	key []byte
	at  time.Time
}

// OpenPGKeyStore connects to the database at url (postgres://…) and makes
// the key table if it is missing.
func OpenPGKeyStore(ctx context.Context, url string) (*PGKeyStore, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("key store: parse connection string: %w", err)
	}
	cfg.MaxConns = 4
	if _, set := cfg.ConnConfig.RuntimeParams["application_name"]; !set {
		cfg.ConnConfig.RuntimeParams["application_name"] = "remit-keys"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	if _, err := pool.Exec(ctx, pgKeySchema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("key store: create %s: %w", PGKeyTable, err)
	}
	k := &PGKeyStore{pool: pool, cache: map[string]cachedKey{}, now: time.Now}
	if err := k.dropRequestKeys(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return k, nil
}

// Close closes the connections.
func (k *PGKeyStore) Close() error {
	k.pool.Close()
	return nil
}

// ctx bounds each query: the Keys methods take none (sealing happens inside
// an append), so a stuck database fails the append rather than hanging it.
func queryCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

func (k *PGKeyStore) cached(name string) ([]byte, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	c, ok := k.cache[name]
	if !ok || k.now().Sub(c.at) > pgKeyCacheTTL {
		return nil, false
	}
	return c.key, true
}

func (k *PGKeyStore) remember(name string, key []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.cache[name] = cachedKey{key: key, at: k.now()}
}

// Evict drops the client's key from this process's cache.
func (k *PGKeyStore) Evict(id uuid.UUID) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.cache, id.String())
}

// named returns the key called name; forgotten reports a tombstone.
func (k *PGKeyStore) named(name string, create bool) (key []byte, forgotten bool, err error) {
	// Sealing (create) always asks the table, so no process seals new
	// personal data for a client another process has just forgotten.
	if !create {
		if key, ok := k.cached(name); ok {
			return key, false, nil
		}
	}
	ctx, cancel := queryCtx()
	defer cancel()
	read := func() error {
		var at *time.Time
		err := k.pool.QueryRow(ctx, `SELECT key, forgotten_at FROM `+PGKeyTable+` WHERE name = $1`, name).Scan(&key, &at)
		if errors.Is(err, pgx.ErrNoRows) {
			key, forgotten = nil, false
			return nil
		}
		forgotten = at != nil
		return err
	}
	if err := read(); err != nil {
		return nil, false, fmt.Errorf("key store: %w", err)
	}
	if key == nil && !forgotten && create {
		fresh := make([]byte, 32)
		_, _ = rand.Read(fresh)
		// Another process may insert (or forget) first: the row it wrote wins.
		if _, err := k.pool.Exec(ctx, `INSERT INTO `+PGKeyTable+` (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
			return nil, false, fmt.Errorf("key store: %w", err)
		}
		if err := read(); err != nil {
			return nil, false, fmt.Errorf("key store: %w", err)
		}
	}
	if key != nil {
		if len(key) != 32 {
			return nil, false, fmt.Errorf("key store: key %s is damaged", name)
		}
		k.remember(name, key)
	}
	return key, forgotten, nil
}

// Key returns the client's key (see Keys.Key).
func (k *PGKeyStore) Key(id uuid.UUID, create bool) ([]byte, error) {
	key, forgotten, err := k.named(id.String(), create)
	if err != nil {
		return nil, err
	}
	if forgotten {
		return nil, ErrForgotten
	}
	return key, nil
}

// Forgotten reports whether the client's key was destroyed.
func (k *PGKeyStore) Forgotten(id uuid.UUID) (bool, error) {
	ctx, cancel := queryCtx()
	defer cancel()
	var n int
	err := k.pool.QueryRow(ctx, `SELECT count(*) FROM `+PGKeyTable+` WHERE name = $1 AND forgotten_at IS NOT NULL`, id.String()).Scan(&n)
	return n > 0, err
}

// Forget destroys the client's key: its row keeps only the tombstone.
func (k *PGKeyStore) Forget(id uuid.UUID) error {
	k.Evict(id)
	ctx, cancel := queryCtx()
	defer cancel()
	_, err := k.pool.Exec(ctx, `INSERT INTO `+PGKeyTable+` (name, key, forgotten_at) VALUES ($1, NULL, now())
ON CONFLICT (name) DO UPDATE SET key = NULL, forgotten_at = coalesce(`+PGKeyTable+`.forgotten_at, now())`, id.String())
	if err != nil {
		return fmt.Errorf("key store: forget %s: %w", id, err)
	}
	k.vacuum(ctx)
	return nil
}

// vacuum reclaims the dead row versions that still hold destroyed keys.
// It is best effort: autovacuum gets there too.
func (k *PGKeyStore) vacuum(ctx context.Context) {
	_, _ = k.pool.Exec(ctx, `VACUUM `+PGKeyTable)
}

// dropRequestKeys destroys the day keys of old idempotency records (see
// requestKeyPrefix).
func (k *PGKeyStore) dropRequestKeys(ctx context.Context) error {
	tag, err := k.pool.Exec(ctx, `DELETE FROM `+PGKeyTable+` WHERE name LIKE '`+requestKeyPrefix+`%'`)
	if err != nil {
		return fmt.Errorf("key store: drop the day keys of old idempotency records: %w", err)
	}
	if tag.RowsAffected() > 0 {
		k.vacuum(ctx)
	}
	return nil
}

// ImportFrom copies the keys and tombstones of a key folder (a log migrated
// from the embedded store carries personal fields sealed with them: its
// KeysFile, and any key files of an earlier version) into the table. Keys
// already in the table, and tombstones, win: a client forgotten here is
// never brought back by an old key. Within the folder its KeysFile's row
// wins over a leftover key file, as when the folder is opened locally.
func (k *PGKeyStore) ImportFrom(dir string) (int, error) {
	keys, err := readKeyFolder(dir)
	if err != nil {
		return 0, fmt.Errorf("key store: %w", err)
	}
	ctx, cancel := queryCtx()
	defer cancel()
	n := 0
	for _, f := range keys {
		if f.forgotten {
			id, err := uuid.Parse(f.name)
			if err != nil {
				continue
			}
			if err := k.Forget(id); err != nil {
				return n, err
			}
			continue
		}
		tag, err := k.pool.Exec(ctx, `INSERT INTO `+PGKeyTable+` (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, f.name, f.key)
		if err != nil {
			return n, fmt.Errorf("key store: import %s: %w", f.name, err)
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}
