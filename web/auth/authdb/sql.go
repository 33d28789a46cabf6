package authdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3" // the driver the embedded event store uses

	"remit/internal/fsperm"
)

// File is the SQLite file of the sign-in state in the data folder: its own
// file, so a login never waits for the event log's writer.
const File = "auth.db"

// schema makes the tables; times are Unix nanoseconds in both databases,
// so both run the same statements. Written with $n parameters; SQLite's
// copy reads them as ?n.
const schema = `
CREATE TABLE IF NOT EXISTS ` + SessionsTable + ` (
	id_hash    TEXT   PRIMARY KEY,
	user_id    TEXT   NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	last_seen  BIGINT NOT NULL,
	idle_ns    BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS ` + SessionsTable + `_user ON ` + SessionsTable + ` (user_id);
CREATE INDEX IF NOT EXISTS ` + SessionsTable + `_expires ON ` + SessionsTable + ` (expires_at);
CREATE TABLE IF NOT EXISTS ` + LoginWindowsTable + ` (
	key       TEXT    PRIMARY KEY,
	resets_at BIGINT  NOT NULL,
	n         INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ` + LoginFailuresTable + ` (
	key          TEXT    PRIMARY KEY,
	resets_at    BIGINT  NOT NULL,
	n            INTEGER NOT NULL,
	locked_until BIGINT  NOT NULL
);
CREATE TABLE IF NOT EXISTS ` + LinksTable + ` (
	hash       TEXT   PRIMARY KEY,
	kind       TEXT   NOT NULL,
	subject    TEXT   NOT NULL,
	data       ` + "%[1]s" + ` NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS ` + LinksTable + `_subject ON ` + LinksTable + ` (kind, subject);
CREATE TABLE IF NOT EXISTS ` + LinkKeyTable + ` (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	key ` + "%[1]s" + ` NOT NULL
);
`

const pgComments = `
COMMENT ON TABLE ` + SessionsTable + ` IS 'Remit: signed-in sessions, by the SHA-256 of their id (a copy signs nobody in); deleted when they end.';
COMMENT ON TABLE ` + LoginWindowsTable + ` IS 'Remit: login attempts per client address (SHA-256) in the current minute.';
COMMENT ON TABLE ` + LoginFailuresTable + ` IS 'Remit: failed logins per email (SHA-256), and lockouts.';
COMMENT ON TABLE ` + LinkKeyTable + ` IS 'Remit: the key client links (proposal signing, pay-now, payment method) are signed with; whoever reads it can make such links.';
COMMENT ON TABLE ` + LinksTable + ` IS 'Remit: live single-use links (setup, set-password) and pending ledger OAuth flows, by the SHA-256 of their token; OAuth flows sealed with a key only their state gives.';
`

// queries are the statements, in the database's parameter style.
type queries struct {
	getSession, touchSession                  *sql.Stmt
	startSession, endSession, endUserSessions string
	countAttempt, lockedUntil, countFailure   string
	clearFailures                             string
	putLink, getLink, takeLink, deleteLinks   string
	countLinks, deleteLink                    string
	putLinkKey, getLinkKey                    string
	lockKind, liveOfKind, deleteKind          string
	lockName                                  string
	sweep                                     []string
}

func prepare(ctx context.Context, db *sql.DB, sqlite bool) (queries, error) {
	p := func(s string) string {
		if sqlite {
			return strings.ReplaceAll(s, "$", "?")
		}
		return s
	}
	q := queries{
		startSession:    p(`INSERT INTO ` + SessionsTable + ` (id_hash, user_id, created_at, expires_at, last_seen, idle_ns) VALUES ($1, $2, $3, $4, $5, $6)`),
		endSession:      p(`DELETE FROM ` + SessionsTable + ` WHERE id_hash = $1`),
		endUserSessions: p(`DELETE FROM ` + SessionsTable + ` WHERE user_id = $1`),
		// A new window starts at the first attempt after the last ended.
		countAttempt: p(`INSERT INTO ` + LoginWindowsTable + ` (key, resets_at, n) VALUES ($1, $3, 1)
ON CONFLICT (key) DO UPDATE SET
	n = CASE WHEN $2 >= ` + LoginWindowsTable + `.resets_at THEN 1 ELSE ` + LoginWindowsTable + `.n + 1 END,
	resets_at = CASE WHEN $2 >= ` + LoginWindowsTable + `.resets_at THEN $3 ELSE ` + LoginWindowsTable + `.resets_at END
RETURNING n`),
		lockedUntil: p(`SELECT locked_until FROM ` + LoginFailuresTable + ` WHERE key = $1`),
		// One statement: failures counted at once on many nodes are all
		// counted, and the max-th locks.
		countFailure: p(`INSERT INTO ` + LoginFailuresTable + ` (key, resets_at, n, locked_until) VALUES ($1, $3, 1, $5)
ON CONFLICT (key) DO UPDATE SET
	n = CASE WHEN $2 >= ` + LoginFailuresTable + `.resets_at THEN 1 ELSE ` + LoginFailuresTable + `.n + 1 END,
	resets_at = CASE WHEN $2 >= ` + LoginFailuresTable + `.resets_at THEN $3 ELSE ` + LoginFailuresTable + `.resets_at END,
	locked_until = CASE WHEN (CASE WHEN $2 >= ` + LoginFailuresTable + `.resets_at THEN 1 ELSE ` + LoginFailuresTable + `.n + 1 END) >= $4
		THEN $3 ELSE ` + LoginFailuresTable + `.locked_until END
RETURNING n, locked_until`),
		clearFailures: p(`DELETE FROM ` + LoginFailuresTable + ` WHERE key = $1`),
		putLink:       p(`INSERT INTO ` + LinksTable + ` (hash, kind, subject, data, expires_at) VALUES ($1, $2, $3, $4, $5)`),
		getLink:       p(`SELECT subject, data, expires_at FROM ` + LinksTable + ` WHERE hash = $1 AND kind = $2 AND expires_at > $3`),
		takeLink:      p(`DELETE FROM ` + LinksTable + ` WHERE hash = $1 AND kind = $2 AND expires_at > $3 RETURNING subject, data, expires_at`),
		deleteLinks:   p(`DELETE FROM ` + LinksTable + ` WHERE kind = $1 AND subject = $2`),
		deleteLink:    p(`DELETE FROM ` + LinksTable + ` WHERE hash = $1`),
		countLinks:    p(`SELECT count(*) FROM ` + LinksTable + ` WHERE kind = $1 AND expires_at > $2`),
		// The first key stored stays: nodes starting at once all read it.
		putLinkKey: p(`INSERT INTO ` + LinkKeyTable + ` (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`),
		getLinkKey: p(`SELECT key FROM ` + LinkKeyTable + ` WHERE id = 1`),
		liveOfKind: p(`SELECT hash, subject, data, expires_at FROM ` + LinksTable + ` WHERE kind = $1 AND expires_at > $2 ORDER BY expires_at DESC LIMIT 1`),
		deleteKind: p(`DELETE FROM ` + LinksTable + ` WHERE kind = $1`),
		sweep: []string{
			p(`DELETE FROM ` + SessionsTable + ` WHERE expires_at <= $1 OR last_seen + idle_ns <= $1`),
			p(`DELETE FROM ` + LoginWindowsTable + ` WHERE resets_at <= $1`),
			p(`DELETE FROM ` + LoginFailuresTable + ` WHERE resets_at <= $1 AND locked_until <= $1`),
			p(`DELETE FROM ` + LinksTable + ` WHERE expires_at <= $1`),
		},
	}
	if !sqlite {
		// SQLite's transactions take the write lock at BEGIN (_txlock=
		// immediate); PostgreSQL's wait here for each other.
		q.lockKind = `SELECT pg_advisory_xact_lock(hashtext('` + LinksTable + `:' || $1))`
		q.lockName = `SELECT pg_advisory_xact_lock(hashtext('remit_auth_lock:' || $1))`
	}
	var err error
	// The statements of every request are prepared once.
	if q.getSession, err = db.PrepareContext(ctx, p(`SELECT user_id, created_at, expires_at, last_seen, idle_ns FROM `+SessionsTable+` WHERE id_hash = $1`)); err != nil {
		return q, err
	}
	if q.touchSession, err = db.PrepareContext(ctx, p(`UPDATE `+SessionsTable+` SET last_seen = $1 WHERE id_hash = $2 AND last_seen < $1`)); err != nil {
		return q, err
	}
	return q, nil
}

// OpenSQLite opens (creating when needed) the sign-in state in dir/File
// (mode 0600) and deletes the expired rows.
func OpenSQLite(dir string, opts Options) (*DB, error) {
	path := filepath.Join(dir, File)
	if err := fsperm.SQLite(path); err != nil {
		return nil, fmt.Errorf("sign-in state: %w", err)
	}
	// WAL with synchronous=NORMAL: a session lost to a power cut only
	// means signing in again. secure_delete overwrites ended sessions.
	d, err := openSQLite("file:"+path+"?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000&_secure_delete=on&_txlock=immediate", 0, opts)
	if err != nil {
		return nil, fmt.Errorf("sign-in state %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		d.Close()
		return nil, fmt.Errorf("sign-in state %s: %w", path, err)
	}
	return d, nil
}

// OpenMemory opens a private, empty in-memory database: the state of one
// process, gone when it is closed (the CLI, tests).
func OpenMemory(opts Options) (*DB, error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	// A named shared-cache memory database lives as long as one of its
	// connections: the pool keeps one (MaxIdle 1, no lifetime).
	return openSQLite("file:authdb-"+hex.EncodeToString(b[:])+"?mode=memory&cache=shared&_busy_timeout=10000&_txlock=immediate", 1, opts)
}

func openSQLite(dsn string, maxConns int, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, err
	}
	if maxConns > 0 {
		db.SetMaxOpenConns(maxConns)
	}
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, fmt.Sprintf(schema, "BLOB")); err != nil {
		db.Close()
		return nil, err
	}
	q, err := prepare(ctx, db, true)
	if err != nil {
		db.Close()
		return nil, err
	}
	d, err := start(db, q, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// OpenPostgres connects to the database at url (postgres://…), makes the
// tables if they are missing and deletes the expired rows.
func OpenPostgres(ctx context.Context, url string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("sign-in state: parse connection string: %w", err)
	}
	if _, set := cfg.RuntimeParams["application_name"]; !set {
		cfg.RuntimeParams["application_name"] = "remit-signin"
	}
	db := stdlib.OpenDB(*cfg)
	if err := createPG(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sign-in state: create tables: %w", err)
	}
	q, err := prepare(ctx, db, false)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sign-in state: %w", err)
	}
	d, err := start(db, q, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// createPG makes the tables unless they exist. Nodes starting together may
// both try: one waits for the other under an advisory lock. Tables that
// exist are left alone, so the role Remit runs as needs no CREATE once the
// owner made them.
func createPG(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var exists bool
	// The newest table: a database made by an older Remit gets it too.
	if err := tx.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, LinkKeyTable).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, SessionsTable); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(schema, "BYTEA")+pgComments); err != nil {
		return err
	}
	return tx.Commit()
}
