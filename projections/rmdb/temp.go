package rmdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// OpenTemp opens a read-model database in a temporary SQLite file, for
// models built once and thrown away (as-of reads, replays, reconciliation):
// on disk rather than in memory, so their size does not count against the
// process. Close deletes it.
func OpenTemp() (*DB, error) {
	dir, err := os.MkdirTemp("", "remit-readmodels-")
	if err != nil {
		return nil, fmt.Errorf("read models: temporary folder: %w", err)
	}
	db, err := OpenSQLite(filepath.Join(dir, "readmodels.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	db.tempDir = dir
	return db, nil
}

// ReadTx opens a read-only transaction that sees one consistent state of
// every table (a WAL snapshot on SQLite, REPEATABLE READ on PostgreSQL).
func (db *DB) ReadTx(ctx context.Context) (*sql.Tx, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("read models: begin read: %w", err)
	}
	return tx, nil
}

func (db *DB) removeTemp() error {
	if db.tempDir == "" {
		return nil
	}
	return errors.Join(os.RemoveAll(db.tempDir))
}
