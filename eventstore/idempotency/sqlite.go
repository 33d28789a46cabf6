package idempotency

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	_ "github.com/mattn/go-sqlite3" // the driver the embedded event store uses

	"remit/internal/fsperm"
)

// RecordsFile is the SQLite file of the records in the data folder: its own
// file, so writing a record never waits for the event log's writer.
const RecordsFile = "idempotency.db"

const sqliteSchema = `
CREATE TABLE IF NOT EXISTS records (
	key         TEXT    PRIMARY KEY,
	fingerprint TEXT    NOT NULL,
	method      TEXT    NOT NULL,
	path        TEXT    NOT NULL,
	status      INTEGER NOT NULL,
	location    TEXT    NOT NULL,
	etag        TEXT    NOT NULL,
	body        BLOB    NOT NULL,
	expires_at  INTEGER NOT NULL -- Unix nanoseconds
);
CREATE INDEX IF NOT EXISTS records_expires_at ON records(expires_at);
`

// SQLite keeps records in a SQLite file.
type SQLite struct {
	db    *sql.DB // writes, on one connection
	rdb   *sql.DB // reads
	opts  Options
	sweep *sweeper
	once  sync.Once
}

// OpenSQLite opens (creating when needed) the records in dir/RecordsFile and
// deletes the expired ones.
func OpenSQLite(dir string, opts Options) (*SQLite, error) {
	opts = opts.withDefaults()
	path := filepath.Join(dir, RecordsFile)
	if err := fsperm.SQLite(path); err != nil {
		return nil, fmt.Errorf("idempotency records: %w", err)
	}
	// WAL with synchronous=NORMAL: a record lost to a power cut only makes
	// a retry run its (idempotent) command again, so no sync per record.
	// secure_delete overwrites the answers of expired records.
	dsn := "file:" + path + "?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000&_secure_delete=on&_txlock=immediate"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("idempotency records %s: %w", path, err)
	}
	// One connection writes: concurrent requests' records queue for it in
	// the pool instead of each taking SQLite's write lock on a connection
	// of its own, where all but one got SQLITE_BUSY and slept in the busy
	// handler (1 ms, 2 ms, 5 ms, …), the tail of the keyed load test's
	// latency at 64 workers. Reads do not wait for writes (WAL).
	db.SetMaxOpenConns(1)
	rdb, err := sql.Open("sqlite3", dsn+"&_query_only=1")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("idempotency records %s: %w", path, err)
	}
	fail := func(err error) (*SQLite, error) {
		db.Close()
		rdb.Close()
		return nil, err
	}
	if _, err := db.Exec(sqliteSchema); err != nil {
		return fail(fmt.Errorf("idempotency records %s: %w", path, err))
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fail(fmt.Errorf("idempotency records %s: %w", path, err))
	}
	s := &SQLite{db: db, rdb: rdb, opts: opts}
	if _, err := s.Sweep(context.Background()); err != nil {
		return fail(err)
	}
	s.sweep = startSweeper(opts.SweepInterval, s.Sweep)
	return s, nil
}

// Get returns the live record of key.
func (s *SQLite) Get(ctx context.Context, key string) (Record, bool, error) {
	r := Record{Key: key}
	var exp int64
	err := s.rdb.QueryRowContext(ctx, `SELECT fingerprint, method, path, status, location, etag, body, expires_at FROM records WHERE key = ? AND expires_at > ?`,
		key, s.opts.Now().UnixNano()).Scan(&r.Fingerprint, &r.Method, &r.Path, &r.Status, &r.Location, &r.ETag, &r.Body, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("idempotency records: get: %w", err)
	}
	r.Expires = unixNano(exp)
	return r, true, nil
}

// Put stores rec unless a live record of its key is stored; it returns the
// stored one.
func (s *SQLite) Put(ctx context.Context, rec Record) (Record, error) {
	for range 3 {
		stored, ok, err := s.put(ctx, rec)
		if err != nil || ok {
			return stored, err
		}
	}
	return Record{}, errors.New("idempotency records: put: the record of the key kept changing")
}

// put stores rec, or returns the live record of its key; ok is false when
// there was a record but it expired before it could be read.
func (s *SQLite) put(ctx context.Context, rec Record) (Record, bool, error) {
	now := s.opts.Now()
	rec.Expires = now.Add(s.opts.TTL).UTC()
	// An expired record of the key is replaced; a live one wins.
	res, err := s.db.ExecContext(ctx, `INSERT INTO records (key, fingerprint, method, path, status, location, etag, body, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, method = excluded.method, path = excluded.path,
	status = excluded.status, location = excluded.location, etag = excluded.etag, body = excluded.body, expires_at = excluded.expires_at
WHERE records.expires_at <= ?`,
		rec.Key, rec.Fingerprint, rec.Method, rec.Path, rec.Status, rec.Location, rec.ETag, nonNil(rec.Body), rec.Expires.UnixNano(), now.UnixNano())
	if err != nil {
		return Record{}, false, fmt.Errorf("idempotency records: put: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		return rec, true, nil
	}
	return s.Get(ctx, rec.Key)
}

// Sweep deletes the expired records.
func (s *SQLite) Sweep(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM records WHERE expires_at <= ?`, s.opts.Now().UnixNano())
	if err != nil {
		return 0, fmt.Errorf("idempotency records: sweep: %w", err)
	}
	return res.RowsAffected()
}

// Close stops the sweeps and closes the file.
func (s *SQLite) Close() error {
	var err error
	s.once.Do(func() {
		s.sweep.close()
		err = errors.Join(s.db.Close(), s.rdb.Close())
	})
	return err
}
