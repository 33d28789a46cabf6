// Package rmdb keeps read models in a SQL database: a SQLite file beside the
// embedded log (the default) or PostgreSQL, shared by every node on it. It
// knows nothing of Remit's domain: projections declare tables, write their
// rows in a transaction the runner opens for a batch of events, and advance
// their checkpoint in that same transaction, so a row is applied exactly
// once whatever crashes.
//
// # Tables, generations and views
//
// A projection's table "clients" is stored as rm_clients_g<N>, N being the
// projection's generation, and read through the view rm_clients. A rebuild
// fills generation N+1 while N keeps serving, then swaps the view in one
// transaction and drops N (blue/green by table version). The registry table
// rm_projections holds, per projection and generation, the version of the
// code that wrote it, its checkpoint and whether it is the one serving.
//
// # Docs
//
// Docs[V] is a table of JSON documents by key with extra indexed columns:
// what most projections need (a client, an invoice, a service by id, found
// by client or status). Apply reads and writes documents through a bounded
// LRU cache and a dirty set that Flush writes in the batch's transaction;
// queries read the database, never the cache, so several processes can
// share the tables and a process's memory does not grow with the log.
//
// # Writing many rows
//
// Rows buffers the new rows of a table (NewUpsertRows: rows that replace
// those of the same key) and writes them many per statement, INSERT …
// VALUES (…), (…), … (COPY on PostgreSQL, once there are enough), a full
// statement's worth as soon as it has one and the rest at Flush, all in
// the batch's transaction; Docs writes what a batch changed that way, in
// key order, having encoded the documents (JSON and columns) on every CPU
// when there are many. A projection's rows are then written with a few hundred
// statements per batch instead of one per event.
//
// # Filling a generation
//
// A generation that is filled from the log before anyone reads it (a
// rebuild, a new database, a replay) is created with CreateTablesForFill:
// its tables without their secondary indexes, which CreateIndexes builds
// once the fill is done, each in one pass over the table instead of one
// update per row written. CreateIndexes creates only the missing ones, so
// calling it after every fill also repairs a fill a crash stopped before
// its indexes (SQLite sorts them with a helper thread per CPU). A fill's
// transaction is pipelined (Tx.Pipeline): its inserts run in order on a
// goroutine of their own while the caller produces the next ones, and
// every read in it waits for the writes queued before. On SQLite the one
// writer checkpoints the WAL into the file during a fill every 64 MiB (not
// every 4 MiB, SQLite's default): a fill writes tens of megabytes per
// transaction, and each checkpoint writes the pages again and syncs the
// file. Outside a fill no commit checkpoints: once a second after any
// commit a checkpointer copies the second's WAL beside the transactions,
// then takes the writer's turn to copy the little left between two of them
// (checkpointer.go), so no live apply waits for a 64 MiB checkpoint nor for
// a second's, and the WAL is reused from its start. OpenTemp's
// databases, thrown away after use, are never synced and do not overwrite
// deleted rows. A fill of tables that hold no row yet (FillFromEmpty: a new
// generation) lets Docs.Get answer "none" for a key its writer never wrote,
// without a read that would wait for the queued inserts (fresh.go): a fill
// creates most of its documents.
//
// SQL is written once with ? placeholders; Rebind turns them into $n for
// PostgreSQL. Column types are the ones both understand: TEXT, BIGINT.
package rmdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "github.com/mattn/go-sqlite3"    // database/sql driver "sqlite3"

	"remit/internal/fsperm"
)

// Dialect is the SQL database kind.
type Dialect int

// Dialects.
const (
	SQLite Dialect = iota
	Postgres
)

// DB is a read-model database: one connection that writes (SQLite has a
// single writer; on PostgreSQL the runner holding the lease is the one
// writer) and a pool that reads.
type DB struct {
	dialect Dialect
	write   *sql.DB
	read    *sql.DB
	path    string // the SQLite file ("" for PostgreSQL)
	tempDir string // OpenTemp's folder, removed by Close

	// Writes go through one connection pinned for them, taken in turns
	// (wmu is held from Begin to Commit or Rollback), so the statements
	// prepared on it serve every transaction instead of being prepared
	// again in each.
	wmu   sync.Mutex
	wconn *sql.Conn
	stmts map[string]*sql.Stmt

	// filling asks for the writer's large page cache (SetFilling);
	// bigCache is whether the pinned connection has it (guarded by wmu).
	filling  atomic.Bool
	bigCache bool

	ckpt *checkpointer // SQLite: folds the WAL into the file (checkpointer.go)

	// fresh are the tables a fill fills from empty (FillFromEmpty).
	fresh freshTables
}

// Page caches of the SQLite writer: a fill inserts into the indexes of
// tables of millions of rows, which then rarely go to the file with 64 MiB
// of pages; the live apply's few rows a batch need far fewer, and a cache
// once filled is never given back to the system (48 MiB of `remit serve`'s
// resident memory for as long as it runs).
// Each also sets the writer's automatic checkpoint: none for the live apply
// (the checkpointer does it in the background, checkpointer.go), every
// 16,384 pages (64 MiB) for a fill.
// And a fill reads the file through a memory map of up to 1 GiB: a page
// it needs that is not in the cache (an upsert into a table larger than
// it, each CREATE INDEX's pass over its table after the fill, CompleteFill
// reading documents back) is then read in place instead of copied in by a
// read call. BenchmarkRebuild, 3 interleaved pairs: 101.9–116.2 cpu-µs/event
// against 115.1–137.2. The live apply reads few pages, and a mapping would
// count the file's pages it touched in the server's resident memory, so it
// has none (SetFilling(false) drops it at once).
const (
	writerCache     = "PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 0; PRAGMA mmap_size = 0"              // 16 MiB
	writerFillCache = "PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 16384; PRAGMA mmap_size = 1073741824" // 64 MiB, 1 GiB mapped
)

// readIdle is how long a read connection of the SQLite read models stays
// open unused.
const readIdle = time.Minute

// SetFilling gives the SQLite writer its large page cache and its memory
// map (writerFillCache) from its next transaction while on (a fill:
// Runner.fill), and its small cache and no map again once off: then at
// once, waiting for a transaction under way to end (never call it with one
// open), so a server idle after its fill does not keep the fill's pages
// mapped. PostgreSQL has nothing to set.
func (db *DB) SetFilling(on bool) {
	db.filling.Store(on)
	if on || db.dialect != SQLite {
		return
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.wconn == nil || !db.bigCache {
		return
	}
	if _, err := db.wconn.ExecContext(context.Background(), writerCache); err != nil {
		db.dropConn() // the next Begin opens a connection with the small cache
		return
	}
	db.bigCache = false
}

// OpenSQLite opens (creating it if missing) the read-model database in the
// SQLite file at path, in WAL mode so readers never wait for the writer.
func OpenSQLite(path string) (*DB, error) {
	return openSQLite(path, "_synchronous=NORMAL&_secure_delete=on")
}

// openSQLite is OpenSQLite with the given durability and deletion settings
// (a temporary database needs neither).
func openSQLite(path, settings string) (*DB, error) {
	return openSQLiteEvery(path, settings, checkpointInterval)
}

// openSQLiteEvery is openSQLite with the checkpointer's interval.
func openSQLiteEvery(path, settings string, interval time.Duration) (*DB, error) {
	if err := fsperm.SQLite(path); err != nil {
		return nil, fmt.Errorf("read models: %w", err)
	}
	// Each connection keeps its recent prepared statements: the API's reads
	// and the runner's writes are the same few statements over and over.
	dsn := "file:" + path + "?_journal_mode=WAL&_busy_timeout=10000&_stmt_cache_size=64&" + settings
	// The one writer's page cache is set per transaction (Begin,
	// SetFilling).
	w, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("read models: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite3", dsn+"&_query_only=1")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("read models: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	// A read connection keeps its schema, statements and page cache while
	// idle: one a burst of requests opened and the steady load no longer
	// needs (the pool hands out the most recently used first) is closed
	// after readIdle, not kept for as long as the server runs.
	r.SetConnMaxIdleTime(readIdle)
	ck, err := sql.Open("sqlite3", dsn)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("read models: open %s: %w", path, err)
	}
	ck.SetMaxOpenConns(1)
	ck.SetMaxIdleConns(1)
	db := &DB{dialect: SQLite, write: w, read: r, path: path}
	db.ckpt = startCheckpointer(db, ck, interval)
	if err := db.init(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenPostgres opens the read models in the PostgreSQL database at url
// (postgres://…). A non-empty schema keeps them in that schema (created if
// missing), so tests and firms sharing a database stay apart.
func OpenPostgres(ctx context.Context, url, schema string) (*DB, error) {
	dsn := url
	if schema != "" {
		if !validIdent(schema) {
			return nil, fmt.Errorf("read models: bad schema name %q", schema)
		}
		boot, err := sql.Open("pgx", url)
		if err != nil {
			return nil, fmt.Errorf("read models: %w", err)
		}
		_, err = boot.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema)
		boot.Close()
		if err != nil && !strings.Contains(err.Error(), "23505") { // two nodes creating it at once
			return nil, fmt.Errorf("read models: create schema %s: %w", schema, err)
		}
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + "search_path=" + schema
	}
	w, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("read models: %w", err)
	}
	w.SetMaxOpenConns(8) // the pinned writer, the read models' lease, the job leases (JobLease) and tries for them
	r, err := sql.Open("pgx", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("read models: %w", err)
	}
	r.SetMaxOpenConns(16)
	r.SetMaxIdleConns(16)
	db := &DB{dialect: Postgres, write: w, read: r}
	if err := db.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func validIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c != '_' && (c < 'a' || c > 'z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// registry is the table of projections: per name and generation, the
// version of the code that wrote it, how far it applied the log and whether
// it is the one serving.
const registry = `CREATE TABLE IF NOT EXISTS rm_projections (
	name TEXT NOT NULL,
	generation BIGINT NOT NULL,
	version BIGINT NOT NULL,
	checkpoint BIGINT NOT NULL,
	serving BIGINT NOT NULL,
	PRIMARY KEY (name, generation)
)`

func (db *DB) init(ctx context.Context) error {
	if db.dialect == Postgres {
		// Nodes starting together take turns creating the registry.
		return db.WriteTx(ctx, func(tx *Tx) error {
			tx.Exec(`SELECT pg_advisory_xact_lock(hashtext('rm_projections'))`) // returns a row; Exec discards it
			tx.Exec(registry)
			return tx.Err()
		})
	}
	if _, err := db.write.ExecContext(ctx, registry); err != nil {
		return fmt.Errorf("read models: registry: %w", err)
	}
	return nil
}

// Dialect says which database this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// Path is the SQLite file ("" on PostgreSQL).
func (db *DB) Path() string { return db.path }

// Close closes both pools, and deletes an OpenTemp database.
func (db *DB) Close() error {
	db.ckpt.close()
	db.wmu.Lock()
	db.dropConn()
	db.wmu.Unlock()
	return errors.Join(db.write.Close(), db.read.Close(), db.removeTemp())
}

// Rebind rewrites ? placeholders as $1, $2… on PostgreSQL.
func (db *DB) Rebind(q string) string {
	if db.dialect != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Query runs a read on the read pool.
func (db *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return db.read.QueryContext(ctx, db.Rebind(q), args...)
}

// QueryRow runs a one-row read on the read pool.
func (db *DB) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return db.read.QueryRowContext(ctx, db.Rebind(q), args...)
}

// Begin opens a write transaction; the caller ends it with Commit or
// Rollback (the next Begin waits until then).
func (db *DB) Begin(ctx context.Context) (*Tx, error) {
	db.wmu.Lock()
	if db.wconn == nil {
		conn, err := db.write.Conn(ctx)
		if err != nil {
			db.wmu.Unlock()
			return nil, fmt.Errorf("read models: begin: %w", err)
		}
		if db.dialect == SQLite {
			// The sorts of CREATE INDEX after a fill (a pass over tables
			// of millions of rows) may use a helper thread per CPU. The
			// automatic checkpoint is set with the page cache below.
			pragmas := fmt.Sprintf("PRAGMA threads = %d", runtime.GOMAXPROCS(0))
			if _, err := conn.ExecContext(ctx, pragmas); err != nil {
				conn.Close()
				db.wmu.Unlock()
				return nil, fmt.Errorf("read models: begin: %w", err)
			}
		}
		db.wconn, db.stmts = conn, map[string]*sql.Stmt{}
		db.bigCache = false
		if db.dialect == SQLite {
			if _, err := conn.ExecContext(ctx, writerCache); err != nil {
				db.dropConn()
				db.wmu.Unlock()
				return nil, fmt.Errorf("read models: begin: %w", err)
			}
		}
	}
	if fill := db.filling.Load(); db.dialect == SQLite && fill != db.bigCache {
		pragma := writerCache
		if fill {
			pragma = writerFillCache
		}
		if _, err := db.wconn.ExecContext(ctx, pragma); err != nil {
			db.dropConn()
			db.wmu.Unlock()
			return nil, fmt.Errorf("read models: begin: %w", err)
		}
		db.bigCache = fill
	}
	begin := "BEGIN"
	if db.dialect == SQLite {
		begin = "BEGIN IMMEDIATE" // take the write lock now, not at the first write
	}
	if _, err := db.wconn.ExecContext(ctx, begin); err != nil {
		db.dropConn()
		db.wmu.Unlock()
		return nil, fmt.Errorf("read models: begin: %w", err)
	}
	return &Tx{ctx: ctx, db: db}, nil
}

// dropConn forgets the pinned connection (after it failed), and the
// statements prepared on it. The caller holds wmu.
func (db *DB) dropConn() {
	// Prepared statements left open keep SQLite from really closing the
	// connection (and checkpointing its WAL into the file).
	for _, st := range db.stmts {
		st.Close()
	}
	if db.wconn != nil {
		db.wconn.Close()
	}
	db.wconn, db.stmts = nil, nil
}

// WriteTx runs f in a write transaction and commits it when f and every
// statement in it succeeded; otherwise it rolls back.
func (db *DB) WriteTx(ctx context.Context, f func(*Tx) error) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Tx is a write transaction. Its first failing statement's error sticks:
// later statements do nothing and Err, Commit report it, so Apply code can
// write without checking each step. Exec, ExecCount, Query, QueryRow, Err
// and Fail may be called from several goroutines at once (a fill applies
// groups of projections side by side, see Pipeline); Commit and Rollback
// by one, once the others are done.
type Tx struct {
	ctx  context.Context
	db   *DB
	mu   sync.Mutex // guards err and the connection between the calls above
	err  error
	done bool
	pipe *pipeline // see Pipeline
}

// DB returns the database the transaction writes.
func (t *Tx) DB() *DB { return t.db }

// Context is the transaction's context.
func (t *Tx) Context() context.Context { return t.ctx }

// Err is the first error of the transaction.
func (t *Tx) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Fail records err (the first one sticks).
func (t *Tx) Fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fail(err)
}

// fail is Fail for a caller holding mu (or the one goroutine left).
func (t *Tx) fail(err error) {
	if t.err == nil && err != nil {
		t.err = err
	}
}

// Exec runs a statement (prepared once per transaction) unless the
// transaction already failed.
func (t *Tx) Exec(q string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return
	}
	if t.pipe != nil && !isDDL(q) {
		t.pipe.enqueue(q, args)
		return
	}
	t.sync()
	if t.err != nil {
		return
	}
	var err error
	if isDDL(q) {
		// Statements kept for tables a schema change drops would never
		// run again: let them go.
		for k, st := range t.db.stmts {
			st.Close()
			delete(t.db.stmts, k)
		}
		_, err = t.db.wconn.ExecContext(t.ctx, t.db.Rebind(q), args...)
	} else {
		var st *sql.Stmt
		if st, err = t.stmt(q); err == nil {
			_, err = st.ExecContext(t.ctx, args...)
		}
	}
	if err != nil {
		t.fail(fmt.Errorf("read models: %s: %w", firstWords(q), err))
	}
}

// ExecCount runs a statement and returns how many rows it changed.
func (t *Tx) ExecCount(q string, args ...any) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sync()
	if t.err != nil {
		return 0
	}
	st, err := t.stmt(q)
	var res sql.Result
	if err == nil {
		res, err = st.ExecContext(t.ctx, args...)
	}
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err != nil {
		t.fail(fmt.Errorf("read models: %s: %w", firstWords(q), err))
	}
	return n
}

// Query reads inside the transaction (what it wrote included).
func (t *Tx) Query(q string, args ...any) (*sql.Rows, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sync()
	if t.err != nil {
		return nil, t.err
	}
	st, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

// QueryRow reads one row inside the transaction into dest and reports
// whether there was one; an error other than sql.ErrNoRows is recorded as
// the transaction's.
func (t *Tx) QueryRow(q string, args []any, dest ...any) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sync()
	if t.err != nil {
		return false
	}
	st, err := t.stmt(q)
	if err == nil {
		err = st.QueryRowContext(t.ctx, args...).Scan(dest...)
	}
	switch {
	case err == nil:
		return true
	case errors.Is(err, sql.ErrNoRows):
		return false
	}
	t.fail(fmt.Errorf("read models: %s: %w", firstWords(q), err))
	return false
}

// stmt returns q prepared on the pinned connection, kept for later
// transactions (Exec runs schema changes without preparing them).
func (t *Tx) stmt(q string) (*sql.Stmt, error) {
	if st, ok := t.db.stmts[q]; ok {
		return st, nil
	}
	st, err := t.db.wconn.PrepareContext(t.ctx, t.db.Rebind(q))
	if err != nil {
		return nil, err
	}
	t.db.stmts[q] = st
	return st, nil
}

// isDDL reports whether q changes the schema (CREATE, DROP, ALTER).
func isDDL(q string) bool {
	w, _, _ := strings.Cut(strings.TrimSpace(q), " ")
	switch strings.ToUpper(w) {
	case "CREATE", "DROP", "ALTER":
		return true
	}
	return false
}

// Commit commits, unless a statement failed: then it rolls back and
// returns that error.
func (t *Tx) Commit() error {
	t.endPipeline()
	if t.err != nil {
		t.Rollback()
		return t.err
	}
	if t.done {
		return errors.New("read models: commit: the transaction has ended")
	}
	t.done = true
	defer t.db.wmu.Unlock()
	if _, err := t.db.wconn.ExecContext(context.WithoutCancel(t.ctx), "COMMIT"); err != nil {
		t.db.dropConn()
		return fmt.Errorf("read models: commit: %w", err)
	}
	t.db.ckpt.committed()
	return nil
}

// Rollback abandons the transaction (a no-op once it has ended).
func (t *Tx) Rollback() {
	t.endPipeline()
	if t.done {
		return
	}
	t.done = true
	defer t.db.wmu.Unlock()
	if _, err := t.db.wconn.ExecContext(context.WithoutCancel(t.ctx), "ROLLBACK"); err != nil {
		t.db.dropConn()
	}
}

func firstWords(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 60 {
		q = q[:60] + "…"
	}
	return q
}
