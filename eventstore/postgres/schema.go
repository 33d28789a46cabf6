package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migration is one step of the schema, applied once, in order, in its own
// transaction, and recorded in schema_version.
type migration struct {
	version     int
	description string
	sql         string
}

// migrations are the schema's history. Never edit one that has shipped; add
// the next.
var migrations = []migration{
	{1, "events table, append-only", `
CREATE TABLE events (
	position    bigint      PRIMARY KEY CHECK (position > 0),
	id          uuid        NOT NULL,
	stream      text        NOT NULL,
	revision    bigint      NOT NULL CHECK (revision >= 0),
	type        text        NOT NULL,
	recorded_at timestamptz NOT NULL,
	envelope    bytea       NOT NULL,
	hash        bytea       NOT NULL,
	CONSTRAINT events_id_key UNIQUE (id),
	CONSTRAINT events_stream_revision_key UNIQUE (stream, revision)
);
COMMENT ON TABLE events IS 'Remit event log: append-only, hash-chained; written only under advisory lock 0x52454d4954415050';
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'remit events are append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
	FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
	FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
`},
}

// SchemaVersion is the schema version this code creates and expects.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// migrate brings the schema up to date. It holds a session advisory lock
// while it looks and applies, so Remit processes starting at once apply each
// migration exactly once; a database already up to date needs no privilege
// beyond reading schema_version.
func migrate(ctx context.Context, pool *pgxpool.Pool) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer func() {
		if _, uerr := conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, migrateLockKey); uerr != nil {
			// Never hand a session that may still hold the lock back to the
			// pool.
			conn.Conn().Close(context.Background())
		}
	}()
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, `CREATE TABLE schema_version (
	version     integer     PRIMARY KEY,
	description text        NOT NULL,
	applied_at  timestamptz NOT NULL DEFAULT now()
)`); err != nil {
			return fmt.Errorf("migrate: create schema_version: %w", err)
		}
	}
	var cur int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&cur); err != nil {
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	if latest := SchemaVersion(); cur > latest {
		return fmt.Errorf("database schema is at version %d, newer than this Remit knows (%d): upgrade Remit", cur, latest)
	}
	for _, m := range migrations {
		if m.version <= cur {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_version(version, description) VALUES ($1, $2)`, m.version, m.description)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate to version %d (%s): %w", m.version, m.description, err)
		}
	}
	return nil
}

// connectionLost reports whether err means the connection was lost or
// refused rather than that the statement was wrong.
func connectionLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 08: connection exception; 57P01-03: admin or crash shutdown,
		// cannot connect now (the server is starting or stopping).
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		pgconn.SafeToRetry(err):
		return true
	}
	// pgx reports use of a connection it already found broken this way.
	return strings.Contains(err.Error(), "conn closed")
}
