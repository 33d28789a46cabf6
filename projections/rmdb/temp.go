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
// process. Close deletes it. What a crash would lose is thrown away anyway,
// and the file is deleted rather than kept, so it is never synced to disk
// and deleted rows are not overwritten (secure_delete is off).
func OpenTemp() (*DB, error) {
	dir, err := os.MkdirTemp("", "remit-readmodels-")
	if err != nil {
		return nil, fmt.Errorf("read models: temporary folder: %w", err)
	}
	db, err := openSQLite(filepath.Join(dir, "readmodels.db"), "_synchronous=OFF&_secure_delete=off")
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
