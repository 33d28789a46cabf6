package rmdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strings"
	"syscall"
)

// JobLease is the right to run one kind of background work (the scheduled
// billing run, the outbox, ledger sync) for every node sharing this
// database: one process at a time holds a job's lease. Like Lease, it is
// a PostgreSQL session advisory lock on a pinned connection, or an
// exclusive flock of a file beside the SQLite database; either dies with
// the process (or its connection), so a crashed holder never keeps it.
type JobLease struct {
	name string
	conn *sql.Conn
	file *os.File
}

// jobLeaseSpace is the first key of every job lease's two-key advisory
// lock ("REMI"), which keeps them apart from other advisory locks on the
// database (hashtext keys are single bigints).
const jobLeaseSpace = 0x52454d49

// jobKey is the second key of a job's advisory lock: a positive int4.
func jobKey(name string) int64 {
	h := fnv.New32a()
	io.WriteString(h, name)
	return int64(h.Sum32() & 0x7fffffff)
}

// leaseFile is where a job's lease is kept beside a SQLite database.
func (db *DB) leaseFile(name string) string { return db.path + "." + name + ".lease" }

// TryJobLease takes the lease of the job name for holder (a description of
// this process shown to the others: host, process id, address) if no other
// process holds it, without waiting.
func (db *DB) TryJobLease(ctx context.Context, name, holder string) (*JobLease, bool, error) {
	if db.dialect == Postgres {
		return db.tryPGJobLease(ctx, name, holder)
	}
	f, err := os.OpenFile(db.leaseFile(name), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("lease %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("lease %s: %w", name, err)
	}
	// The holder's name is the file's content, for JobLeaseHolder.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(holder), 0)
	}
	return &JobLease{name: name, file: f}, true, nil
}

func (db *DB) tryPGJobLease(ctx context.Context, name, holder string) (*JobLease, bool, error) {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lease %s: %w", name, err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1::int4, $2::int4)`, jobLeaseSpace, jobKey(name)).Scan(&got); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("lease %s: %w", name, err)
	}
	if !got {
		conn.Close()
		return nil, false, nil
	}
	// The session's application_name names the holder in pg_stat_activity,
	// where JobLeaseHolder (and an operator) finds it.
	if _, err := conn.ExecContext(ctx, `SELECT set_config('application_name', $1, false)`, appName(name, holder)); err != nil {
		l := &JobLease{name: name, conn: conn}
		l.Release()
		return nil, false, fmt.Errorf("lease %s: %w", name, err)
	}
	return &JobLease{name: name, conn: conn}, true, nil
}

// appName is the holder's application_name: PostgreSQL keeps 63 bytes.
func appName(name, holder string) string {
	s := "remit " + name + ": " + holder
	if len(s) > 63 {
		s = s[:63]
	}
	return s
}

// Check reports whether the lease is still held: on PostgreSQL its
// session still answers and still holds the lock (a broken connection has
// lost it, and another process may hold it now).
func (l *JobLease) Check(ctx context.Context) error {
	if l.conn == nil {
		return nil // a flock lasts as long as the process
	}
	var n int
	err := l.conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
		AND classid = ($1::bigint)::oid AND objid = ($2::bigint)::oid AND objsubid = 2`, jobLeaseSpace, jobKey(l.name)).Scan(&n)
	if err != nil {
		return fmt.Errorf("lease %s: %w", l.name, err)
	}
	if n == 0 {
		return fmt.Errorf("lease %s: the lock is gone", l.name)
	}
	return nil
}

// Release gives the lease up.
func (l *JobLease) Release() {
	if l == nil {
		return
	}
	if l.conn != nil {
		ctx := context.Background()
		_, err := l.conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1::int4, $2::int4), set_config('application_name', '', false)`, jobLeaseSpace, jobKey(l.name))
		if err != nil {
			// A connection in doubt is not put back in the pool holding
			// the lock: closing it ends the session, and the lock with it.
			_ = l.conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		l.conn.Close()
	}
	if l.file != nil {
		_ = syscall.Flock(int(l.file.Fd()), syscall.LOCK_UN)
		l.file.Close()
	}
}

// JobLeaseHolder says who holds the job's lease now ("" when nobody does).
func (db *DB) JobLeaseHolder(ctx context.Context, name string) (string, error) {
	if db.dialect == Postgres {
		var app sql.NullString
		err := db.read.QueryRowContext(ctx, `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ($1::bigint)::oid AND l.objid = ($2::bigint)::oid AND l.objsubid = 2
			  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`, jobLeaseSpace, jobKey(name)).Scan(&app)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("lease %s: %w", name, err)
		}
		return strings.TrimPrefix(app.String, "remit "+name+": "), nil
	}
	f, err := os.OpenFile(db.leaseFile(name), os.O_RDONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("lease %s: %w", name, err)
	}
	defer f.Close()
	// Free to take means nobody holds it (whatever a dead holder wrote).
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return "", nil
	}
	b, err := io.ReadAll(f)
	return string(b), err
}
