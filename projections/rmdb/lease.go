package rmdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Lease is the right to apply events to the read models: one process at
// a time holds it, whatever number of processes read them.
type Lease struct {
	conn *sql.Conn // PostgreSQL: the session holding the advisory lock
	file *os.File  // SQLite: the locked file beside the database
}

// leaseKey names the PostgreSQL advisory lock.
const leaseKey = "remit_read_models"

// TryLease takes the lease if no other process holds it, without waiting.
// On PostgreSQL it is a session advisory lock on a connection pinned for
// it; on SQLite an exclusive flock of <database>.lock. Either is released
// by Release, or by the operating system or the server when the process
// dies, so a crashed holder never blocks the others.
func (db *DB) TryLease(ctx context.Context) (*Lease, bool, error) {
	if db.dialect == Postgres {
		conn, err := db.write.Conn(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("read models: lease: %w", err)
		}
		var got bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(hashtext($1))`, leaseKey).Scan(&got); err != nil {
			conn.Close()
			return nil, false, fmt.Errorf("read models: lease: %w", err)
		}
		if !got {
			conn.Close()
			return nil, false, nil
		}
		return &Lease{conn: conn}, true, nil
	}
	f, err := os.OpenFile(db.path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("read models: lease: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("read models: lease: %w", err)
	}
	return &Lease{file: f}, true, nil
}

// Release gives the lease up.
func (l *Lease) Release() {
	if l == nil {
		return
	}
	if l.conn != nil {
		_, _ = l.conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(hashtext($1))`, leaseKey)
		l.conn.Close()
	}
	if l.file != nil {
		_ = syscall.Flock(int(l.file.Fd()), syscall.LOCK_UN)
		l.file.Close()
	}
}
