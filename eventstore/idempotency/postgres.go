package idempotency

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Table is the records' table in the PostgreSQL database of the log.
const Table = "remit_idempotency"

const pgSchema = `
CREATE TABLE IF NOT EXISTS ` + Table + ` (
	key         text        PRIMARY KEY,
	fingerprint text        NOT NULL,
	method      text        NOT NULL,
	path        text        NOT NULL,
	status      integer     NOT NULL,
	location    text        NOT NULL,
	etag        text        NOT NULL,
	body        bytea       NOT NULL,
	expires_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ` + Table + `_expires_at ON ` + Table + ` (expires_at);
COMMENT ON TABLE ` + Table + ` IS 'Remit: the answers of API requests sent with an Idempotency-Key, for their retries; deleted when they expire. Not business data: the event log is.'`

// Postgres keeps records in a table of a PostgreSQL database.
type Postgres struct {
	pool  *pgxpool.Pool
	opts  Options
	sweep *sweeper
	once  sync.Once
}

// OpenPostgres connects to the database at url (postgres://…), makes the
// table if it is missing and deletes the expired records.
func OpenPostgres(ctx context.Context, url string, opts Options) (*Postgres, error) {
	opts = opts.withDefaults()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("idempotency records: parse connection string: %w", err)
	}
	if _, set := cfg.ConnConfig.RuntimeParams["application_name"]; !set {
		cfg.ConnConfig.RuntimeParams["application_name"] = "remit-idempotency"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("idempotency records: %w", err)
	}
	// Nodes starting together may both create the table: one waits for
	// the other under this lock. A table that exists is left alone, so the
	// role Remit runs as needs no CREATE once the owner made it.
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, Table).Scan(&exists); err != nil || exists {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, Table); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, pgSchema)
		return err
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("idempotency records: create %s: %w", Table, err)
	}
	p := &Postgres{pool: pool, opts: opts}
	if _, err := p.Sweep(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	p.sweep = startSweeper(opts.SweepInterval, p.Sweep)
	return p, nil
}

// Get returns the live record of key.
func (p *Postgres) Get(ctx context.Context, key string) (Record, bool, error) {
	r := Record{Key: key}
	err := p.pool.QueryRow(ctx, `SELECT fingerprint, method, path, status, location, etag, body, expires_at FROM `+Table+` WHERE key = $1 AND expires_at > $2`,
		key, p.opts.Now()).Scan(&r.Fingerprint, &r.Method, &r.Path, &r.Status, &r.Location, &r.ETag, &r.Body, &r.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("idempotency records: get: %w", err)
	}
	r.Expires = r.Expires.UTC()
	return r, true, nil
}

// Put stores rec unless a live record of its key is stored; it returns the
// stored one.
func (p *Postgres) Put(ctx context.Context, rec Record) (Record, error) {
	for range 3 {
		now := p.opts.Now()
		rec.Expires = now.Add(p.opts.TTL).UTC().Truncate(time.Microsecond)
		// An expired record of the key is replaced; a live one wins.
		tag, err := p.pool.Exec(ctx, `INSERT INTO `+Table+` AS r (key, fingerprint, method, path, status, location, etag, body, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, method = excluded.method, path = excluded.path,
	status = excluded.status, location = excluded.location, etag = excluded.etag, body = excluded.body, expires_at = excluded.expires_at
WHERE r.expires_at <= $10`,
			rec.Key, rec.Fingerprint, rec.Method, rec.Path, rec.Status, rec.Location, rec.ETag, nonNil(rec.Body), rec.Expires, now)
		if err != nil {
			return Record{}, fmt.Errorf("idempotency records: put: %w", err)
		}
		if tag.RowsAffected() > 0 {
			return rec, nil
		}
		first, ok, err := p.Get(ctx, rec.Key)
		if err != nil || ok {
			return first, err
		}
		// The earlier record expired before it could be read: try again.
	}
	return Record{}, errors.New("idempotency records: put: the record of the key kept changing")
}

// Sweep deletes the expired records.
func (p *Postgres) Sweep(ctx context.Context) (int64, error) {
	tag, err := p.pool.Exec(ctx, `DELETE FROM `+Table+` WHERE expires_at <= $1`, p.opts.Now())
	if err != nil {
		return 0, fmt.Errorf("idempotency records: sweep: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Close stops the sweeps and closes the connections.
func (p *Postgres) Close() error {
	p.once.Do(func() {
		p.sweep.close()
		p.pool.Close()
	})
	return nil
}
