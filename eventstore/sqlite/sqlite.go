// Package sqlite is Remit's embedded event store: one SQLite database file in
// the data folder, the default when no other store is configured.
//
// Design:
//
//   - One writer goroutine owns the write connection. Appends are queued to it;
//     it takes every append waiting (group commit, up to Options.MaxBatch,
//     default 4,096), applies each in one IMMEDIATE transaction (every check
//     that can refuse an append runs before its first insert; an append that
//     fails halfway forces the transaction back and is then written alone)
//     and commits once. The commit is synced (WAL, synchronous=FULL) before
//     any caller is answered, so an answered append is durable and one disk
//     sync serves many concurrent appenders. An atomic block (AppendAtomic)
//     is applied in that transaction under a savepoint, rolled back when
//     any of its appends is refused.
//   - Bulk writers (a billing run: hundreds of thousands of events under
//     random ids and new stream names) are bound by index pages, not by
//     rows: each insert dirties a leaf page of the id index and of the
//     (stream, revision) index somewhere in the file, and each commit writes
//     every page it dirtied to the WAL, which the checkpointer copies again.
//     So the writer keeps a large page cache, large batches share those pages
//     (one commit writes a page once however many appends touched it), the
//     checkpoint runs once a second rather than after every commit (every
//     four seconds while bulk commits come in), and an
//     append expecting no stream to a stream the writer does not know skips
//     the revision look-up: the unique (stream, revision) index refuses its
//     first insert if the stream exists after all, and only then is the
//     revision read. The revisions of the other streams a transaction
//     appends to and the writer does not know are read in one statement
//     when there are many (a run marking items on thousands of services),
//     not one look-up each. A billing run's events get ids that begin
//     alike (billing.EventIDIn), so the id index takes them in one place.
//   - Global positions are the table's INTEGER PRIMARY KEY, assigned by the one
//     writer in commit order, so a reader can never see position n+1 before n.
//     Readers use a pool of read connections (WAL readers never block the
//     writer and the writer never blocks them).
//   - Each row keeps the event's packed envelope (eventstore.EncodeEnvelope)
//     plus the columns its indexes need (id, stream, revision, type,
//     recorded_at), and the chain hash: SHA-256 over the previous hash, the
//     position and the envelope. Verify walks the chain and names the first
//     event that was altered, removed or reordered.
//   - A lock file (flock) keeps a second process from opening the same folder
//     for writing; read-only opens (auditors, `remit audit verify`) are allowed
//     alongside a writer.
//   - Subscriptions read in batches and sleep on a broadcast channel that
//     the writer closes after every commit: a slow subscriber holds no lock
//     and fills no buffer the writer waits on. What the latest commits added
//     (the last 2,048 to 4,096 events) they read from memory, where the writer put it
//     before moving the head (tail.go); a subscription further behind reads
//     the database.
//   - A filtered read scans in position order, except a long read on one
//     stream prefix few events have (the sign-in directory's "user-"), which
//     goes through the stream index. Read connections do not map the file
//     into memory, so a scan does not count in the process's resident memory.
//
// The driver is github.com/mattn/go-sqlite3 (cgo): measured against
// modernc.org/sqlite and github.com/ncruces/go-sqlite3 on this store's own
// access patterns (test/bench/sqlitedrivers), it was fastest at durable commits,
// batched inserts and scans; see the README.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"remit/eventstore"
	"remit/internal/fsperm"
	"remit/internal/sqlitewal"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// FileName is the database file's name inside the data folder.
const FileName = "events.db"

// Options configure a Store. The zero value is the production default.
type Options struct {
	// MaxEventSize limits one event's data plus metadata (default 1 MiB).
	MaxEventSize int
	// ReadOnly opens the store for reading only, without taking the writer's
	// lock, so it can be used while another process writes.
	ReadOnly bool
	// Clock stamps recorded-at; default time.Now. Tests inject their own.
	Clock func() time.Time
	// MaxBatch caps how many queued appends share one commit
	// (DefaultMaxBatch when 0).
	MaxBatch int
}

// DefaultMaxBatch is how many queued appends share one commit unless told
// otherwise. Large: the appends of a bulk writer (a billing run keeps
// thousands in flight) touch index pages at random, and one commit writes
// each dirty page once however many appends dirtied it, so the fewer the
// commits the fewer pages go through the WAL and the checkpointer.
const DefaultMaxBatch = 4096

// Store is the embedded SQLite event store. It is safe for concurrent use.
type Store struct {
	dir  string
	opts Options
	rdb  *sql.DB // read connections
	wdb  *sql.DB // the one write connection (nil when read-only)
	cdb  *sql.DB // the background checkpointer's connection

	ckptStopped chan struct{} // closed when the checkpointer has ended
	lock        *os.File

	reqs    chan []*appendReq // one append, or a block of them (AppendMany)
	done    chan struct{}     // closed by Close
	stopped chan struct{}     // closed when the writer goroutine has ended
	closeMu sync.Once

	// rareScan and rareCount tune reads filtered on a rare stream prefix
	// (see rarePrefix).
	rareScan, rareCount uint64

	head   atomic.Uint64 // last committed position (writer mode)
	tail   tail          // the latest committed events, for subscriptions (tail.go)
	wakeMu sync.Mutex
	wake   chan struct{} // closed and replaced after every commit

	// ckptReq asks the writer for a checkpoint between two commits (room
	// for one), after the checkpointer's passes beside the commits have
	// copied most of the WAL (checkpointRound). Run there, with no commit
	// under way, a checkpoint copies every frame left, so the next commit
	// starts the WAL again from its beginning: run only beside the commits
	// (as during a bulk write) it never caught up with them under a steady
	// load, and the WAL file grew by every commit (78 MB in a minute of the
	// HTTP load test), each synced commit extending the file.
	ckptReq chan struct{}
	// ckptDone carries the result of the writer's checkpoint (room for one).
	ckptDone chan sqlitewal.Pass

	bulk     atomic.Bool   // the writer has its bulk page cache (writeCacheBulk)
	bulkIdle time.Duration // how long without a bulk commit before it gives it back
}

type appendReq struct {
	ctx      context.Context
	stream   string
	expected eventstore.ExpectedRevision
	events   []eventstore.EventData
	reply    chan appendResp // nil for one append of a block (many)
	many     *eventstore.ManyReplies
	at       int // its place in many
	// parts, when set, make this request an atomic block (AppendAtomic):
	// the writer applies them all or none, and answers the block once.
	parts []*appendReq
}

// answer gives r its outcome: to its caller, or in its block, whose caller
// is woken by the last answer.
func (r *appendReq) answer(resp appendResp) {
	if r.many == nil {
		r.reply <- resp
		return
	}
	r.many.Answer(r.at, resp.res, resp.err)
}

type appendResp struct {
	res     eventstore.AppendResult
	results []eventstore.AppendResult // an atomic block's, one per part
	err     error
}

const schema = `
CREATE TABLE IF NOT EXISTS events (
	position    INTEGER PRIMARY KEY,
	id          BLOB    NOT NULL,
	stream      TEXT    NOT NULL,
	revision    INTEGER NOT NULL,
	type        TEXT    NOT NULL,
	recorded_at INTEGER NOT NULL,
	envelope    BLOB    NOT NULL,
	hash        BLOB    NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events(id);
CREATE UNIQUE INDEX IF NOT EXISTS events_stream_revision ON events(stream, revision);
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO store_meta(key, value) VALUES ('schema_version', '1');
`

// Open opens (creating when needed) the store in folder dir.
func Open(dir string, opts Options) (*Store, error) {
	return openEvery(dir, opts, checkpointInterval)
}

// openEvery is Open with the checkpointer's interval.
func openEvery(dir string, opts Options, ckptEvery time.Duration) (*Store, error) {
	if opts.MaxEventSize <= 0 {
		opts.MaxEventSize = eventstore.DefaultMaxEventSize
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	s := &Store{dir: dir, opts: opts, wake: make(chan struct{}), done: make(chan struct{}), stopped: make(chan struct{}), ckptReq: make(chan struct{}, 1), ckptDone: make(chan sqlitewal.Pass, 1),
		rareScan: defaultRareScan, rareCount: defaultRareCount, bulkIdle: bulkIdle}
	path := filepath.Join(dir, FileName)
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open event store %s: %w", dir, err)
		}
		rdb, err := openDB("file:"+path+"?mode=ro&_busy_timeout=5000&"+stmtCache, readPragmas)
		if err != nil {
			return nil, fmt.Errorf("open event store %s: %w", dir, err)
		}
		if err := rdb.Ping(); err != nil {
			rdb.Close()
			return nil, fmt.Errorf("open event store %s: %w", dir, err)
		}
		s.rdb = rdb
		close(s.stopped)
		return s, nil
	}
	if err := fsperm.Dir(dir); err != nil {
		return nil, fmt.Errorf("create data folder %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s.lock = lock
	fail := func(err error) (*Store, error) {
		s.closeDBs()
		lock.Close()
		return nil, fmt.Errorf("open event store %s: %w", dir, err)
	}
	// events.db is made 0600 first: its -wal and -shm get its mode.
	if err := fsperm.SQLite(path); err != nil {
		return fail(err)
	}
	wdb, err := openDB("file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&"+stmtCache, writePragmas)
	if err != nil {
		return fail(err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	s.wdb = wdb
	if _, err := wdb.Exec(schema); err != nil {
		return fail(err)
	}
	rdb, err := openDB("file:"+path+"?_journal_mode=WAL&_busy_timeout=5000&_query_only=1&"+stmtCache, readPragmas)
	if err != nil {
		return fail(err)
	}
	rdb.SetMaxIdleConns(4)
	// An idle read connection keeps its page cache and statements: one
	// a burst opened is closed after readIdle unused (the pool hands out
	// the most recently used first, so the steady load keeps its few).
	rdb.SetConnMaxIdleTime(readIdle)
	s.rdb = rdb
	w, err := newWriter(s)
	if err != nil {
		return fail(err)
	}
	s.head.Store(w.head)
	s.reqs = make(chan []*appendReq, opts.MaxBatch)
	cdb, err := openDB("file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000", nil)
	if err != nil {
		return fail(err)
	}
	cdb.SetMaxOpenConns(1)
	s.cdb = cdb
	s.ckptStopped = make(chan struct{})
	go w.run()
	go s.checkpointer(ckptEvery)
	return s, nil
}

// checkpointInterval is how often the background checkpointer folds the WAL
// into the database file while appends are coming in. A checkpoint copies the
// latest version of each page in the WAL once, so under a stream of commits
// that keep rewriting the same index pages, the longer the interval the less
// it copies; the WAL grows to about what is committed in one interval before
// it is reused from its start.
const checkpointInterval = time.Second

// bulkCheckpointEvery: while the writer holds its bulk page cache (a bulk
// writer's blocks of thousands of appends, see writeCacheBulk) the
// checkpointer runs only every this many intervals. Each of those commits
// rewrites most leaf pages of the two indexes, so four seconds of them
// leave about the pages one second did, copied once instead of four times
// (measured on 100,000-invoice billing runs: the checkpointer's CPU from
// 0.91–1.22 s to 0.66–0.75 s); the WAL grows to about four seconds of
// commits meanwhile.
const bulkCheckpointEvery = 4

// checkpointer has committed WAL frames copied into the database file once
// an interval (PASSIVE: it never waits for readers); the writer's automatic
// checkpoints are off, so no append pays for one inside its commit. Most of
// the copying, and the database file's sync after it, is done beside the
// commits on the checkpointer's own connection (checkpointRound); then the
// writer, between two commits (ckptReq), copies only what those passes left,
// so the WAL is reused from its start. While bulk commits come in it runs
// only beside them (a billing run's commits do not wait for it, and its WAL
// grows to a few intervals' commits meanwhile). On Close a final TRUNCATE
// checkpoint leaves a compact database file.
func (s *Store) checkpointer(every time.Duration) {
	defer close(s.ckptStopped)
	t := time.NewTicker(every)
	defer t.Stop()
	var done uint64
	skipped := 0
	for {
		select {
		case <-s.stopped:
			s.cdb.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
			return
		case <-t.C:
			if s.bulk.Load() && skipped < bulkCheckpointEvery-1 {
				skipped++
				continue
			}
			skipped = 0
			h := s.head.Load()
			switch {
			case h == done:
			case !s.bulk.Load():
				if _, _, ok := s.checkpointRound(); ok {
					done = h
				}
			default:
				if p := sqlitewal.Checkpoint(s.cdb); p.Err == nil {
					done = h
				}
			}
		}
	}
}

// checkpointRound copies the WAL into the database file in passes on the
// checkpointer's connection, beside the commits, each pass copying what came
// in during the one before, until one is short; then it asks the writer for
// the last pass, between two commits: a checkpoint there copies every frame
// left, so the next commit starts the WAL again from its beginning. The
// writer's turn so holds up the appends for a pass over a few frames and its
// sync, not over a second's commits (measured at 8 and 64 workers of the
// HTTP load test: 4–60 ms a second in the writer's turn before, most of it
// the database file's sync). It returns the frames copied beside the
// commits and in the writer's turn; ok is false when the writer took no
// request (it has stopped, or one is pending).
func (s *Store) checkpointRound() (beside, turn int64, ok bool) {
	beside, prev := sqlitewal.Beside(s.cdb)
	// A result left by a request nobody waited for is not this one's.
	select {
	case <-s.ckptDone:
	default:
	}
	select {
	case s.ckptReq <- struct{}{}:
	default: // one is asked for already
		return beside, 0, false
	}
	select {
	case p := <-s.ckptDone:
		if p.Err != nil {
			return beside, 0, true
		}
		return beside, p.CopiedSince(prev), true
	case <-s.stopped:
		return beside, 0, false
	}
}

// lockDir takes an exclusive, non-blocking flock on dir/LOCK and records the
// pid in it, so a second writer fails fast with a clear error.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		holder := string(b)
		if holder == "" {
			holder = "unknown"
		}
		return nil, fmt.Errorf("data folder %s is open for writing by another Remit process (pid %s); stop it or use a read-only command: %w", dir, holder, eventstore.ErrLocked)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())), 0)
	return f, nil
}

// Dir returns the data folder.
func (s *Store) Dir() string { return s.dir }

// Close stops the writer after the appends already queued and releases the
// files. Appends after Close fail with eventstore.ErrClosed.
func (s *Store) Close() error {
	s.closeMu.Do(func() {
		close(s.done)
		<-s.stopped
		if s.ckptStopped != nil {
			<-s.ckptStopped
		}
		s.closeDBs()
		if s.lock != nil {
			s.lock.Close()
		}
	})
	return nil
}

func (s *Store) closeDBs() {
	if s.rdb != nil {
		s.rdb.Close()
	}
	if s.wdb != nil {
		s.wdb.Close()
	}
	if s.cdb != nil {
		s.cdb.Close()
	}
}

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	return s.AppendQueued(ctx, stream, expected, func() {}, events...)
}

// AppendQueued implements eventstore.QueuedAppender: queued is called once
// the append is in the writer's queue, which the writer takes in order.
func (s *Store) AppendQueued(ctx context.Context, stream string, expected eventstore.ExpectedRevision, queued func(), events ...eventstore.EventData) (eventstore.AppendResult, error) {
	req, err := s.queue(ctx, stream, expected, events)
	queued()
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	r := s.await(req)
	return r.res, r.err
}

// await waits for the writer's answer to a queued request. Once queued the
// request is either done or refused by the writer; waiting for its answer
// (rather than giving up on ctx) means a caller never mistakes a written
// append for a failed one.
func (s *Store) await(req *appendReq) appendResp {
	select {
	case r := <-req.reply:
		return r
	case <-s.stopped:
		// The writer answers every request it takes before it stops; one
		// queued after its last look is refused here.
		select {
		case r := <-req.reply:
			return r
		default:
			return appendResp{err: eventstore.ErrClosed}
		}
	}
}

// AppendAtomic implements eventstore.AtomicAppender: the block goes to the
// writer as one request, which it applies inside its transaction (and so
// in the commit it shares with other appends) under a savepoint that is
// rolled back when any append of the block is refused. queued is called
// once the block is in the writer's queue.
func (s *Store) AppendAtomic(ctx context.Context, appends []eventstore.StreamAppend, queued func()) ([]eventstore.AppendResult, error) {
	req, err := s.queueAtomic(ctx, appends)
	queued()
	if err != nil {
		return nil, err
	}
	r := s.await(req)
	return r.results, r.err
}

// queueAtomic checks an atomic block and puts it in the writer's queue.
func (s *Store) queueAtomic(ctx context.Context, appends []eventstore.StreamAppend) (*appendReq, error) {
	if err := eventstore.CheckAppendMany(appends); err != nil {
		return nil, err
	}
	req := &appendReq{ctx: ctx, reply: make(chan appendResp, 1), parts: make([]*appendReq, len(appends))}
	for i, a := range appends {
		if err := s.check(a.Stream, a.Events); err != nil {
			return nil, err
		}
		req.parts[i] = &appendReq{ctx: ctx, stream: a.Stream, expected: a.Expected, events: a.Events}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case <-s.done:
		return nil, eventstore.ErrClosed
	case s.reqs <- []*appendReq{req}:
		return req, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// AppendMany implements eventstore.MultiAppender: the appends go through
// the writer's queue one after another, so they share its commits (and
// their syncs) as concurrent appends do, and the caller waits once, for the
// last answer, instead of once per append.
func (s *Store) AppendMany(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendOutcome, error) {
	reqs := make([]appendReq, len(appends))
	req := func(i int, m *eventstore.ManyReplies) *appendReq {
		a := &appends[i]
		reqs[i] = appendReq{ctx: ctx, stream: a.Stream, expected: a.Expected, events: a.Events, many: m, at: i}
		return &reqs[i]
	}
	valid := func(a eventstore.StreamAppend) error { return s.check(a.Stream, a.Events) }
	return eventstore.QueueMany(ctx, appends, valid, req, s.reqs, s.done, s.stopped)
}

// check refuses an append the writer must not see: the store read-only,
// bad input.
func (s *Store) check(stream string, events []eventstore.EventData) error {
	if s.opts.ReadOnly {
		return fmt.Errorf("append to %s: the store is open read-only", stream)
	}
	return eventstore.ValidateAppend(stream, events, s.opts.MaxEventSize)
}

// queue checks an append and puts it in the writer's queue.
func (s *Store) queue(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (*appendReq, error) {
	if err := s.check(stream, events); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req := &appendReq{ctx: ctx, stream: stream, expected: expected, events: events, reply: make(chan appendResp, 1)}
	select {
	case <-s.done:
		return nil, eventstore.ErrClosed
	case s.reqs <- []*appendReq{req}:
		return req, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// MaxEventSize returns the largest event (data plus metadata) an append
// accepts (eventstore.EventSizeLimiter).
func (s *Store) MaxEventSize() int {
	if s.opts.MaxEventSize <= 0 {
		return eventstore.DefaultMaxEventSize
	}
	return s.opts.MaxEventSize
}

// Head implements eventstore.Store.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	if !s.opts.ReadOnly {
		return s.head.Load(), nil
	}
	var head sql.NullInt64
	if err := s.rdb.QueryRowContext(ctx, `SELECT MAX(position) FROM events`).Scan(&head); err != nil {
		return 0, fmt.Errorf("read head: %w", err)
	}
	return uint64(head.Int64), nil
}

// waitCh returns a channel that is closed after the next commit (or, for a
// read-only store, after a polling interval).
func (s *Store) waitCh() <-chan struct{} {
	if s.opts.ReadOnly {
		ch := make(chan struct{})
		time.AfterFunc(100*time.Millisecond, func() { close(ch) })
		return ch
	}
	s.wakeMu.Lock()
	defer s.wakeMu.Unlock()
	return s.wake
}

func (s *Store) broadcast() {
	s.wakeMu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.wakeMu.Unlock()
}

// writePragmas turn off the writer's automatic checkpoints (the background
// checkpointer does them, outside any append's commit) and give the write
// connection its everyday page cache (writeCacheSmall).
var writePragmas = []string{`PRAGMA wal_autocheckpoint = 0`, writeCacheSmall}

// The writer's page cache (a bound, filled only as pages are read). Inserts
// under random keys (event ids, stream names) touch index pages all over the
// file: during a bulk write (a billing run's blocks of appends) a large
// cache keeps them, where with SQLite's default 2 MiB most were read back
// from the WAL or the file for every insert (measured on a 100,000-invoice
// billing run: the writer's CPU 17% lower with 256 MiB). Commands arriving
// one at a time touch far fewer pages between commits, and a 256 MiB cache
// that `remit serve` filled over a day of them was most of its resident
// memory beyond the Go heap. So the writer takes the large cache when a
// commit carries at least bulkBatch appends, and gives it back (SQLite frees
// the pages past the bound) after bulkIdle without one. Under a process's
// SQLite soft heap limit (`remit serve --sqlite-memory-limit`:
// internal/sqlitemem) every cache, this one too, stops growing once SQLite
// holds the limit.
const (
	writeCacheSmall = `PRAGMA cache_size = -32768`  // 32 MiB
	writeCacheBulk  = `PRAGMA cache_size = -262144` // 256 MiB
	bulkBatch       = 256
	bulkIdle        = 10 * time.Second
)

// readPragmas set read connections' page cache: 4 MiB each, the index
// levels a command's stream read and a follower's read of the log's tail go
// through; a scan's pages, read once, come from the OS page cache (16 MiB
// each held up to 64 MiB of `remit serve`'s resident memory in its idle
// connections alone). They do not map the file into memory (mmap_size): a
// whole-log scan was about 1.5 times as fast with a 1 GiB map (956,884
// events: 3.2–4.1 s against 5.1–6.5 s, on 2 busy cores), but every page a
// scan touched then counted in the process's resident memory for as long
// as it ran (1.2 GB of `remit serve`'s RSS on that log), while read through
// read(2) it stays in the OS page cache, which the kernel shares and
// reclaims.
var readPragmas = []string{`PRAGMA cache_size = -4096`}

// readIdle is how long a read connection stays open unused.
const readIdle = time.Minute

// stmtCache keeps each connection's most recent prepared statements (the
// driver's _stmt_cache_size): the same few reads (a stream, the log from a
// position) and inserts run on every command, and preparing them anew was
// about 8% of the CPU of the HTTP load test at 64 workers. A cached
// statement is reset when put back, so it holds no read snapshot.
const stmtCache = "_stmt_cache_size=32"

// openDB opens a database/sql handle whose every new connection first runs
// pragmas. It uses its own connector rather than a driver registered under a
// global name.
func openDB(dsn string, pragmas []string) (*sql.DB, error) {
	d := &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		for _, p := range pragmas {
			if _, err := c.Exec(p, nil); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		return nil
	}}
	return sql.OpenDB(connector{d: d, dsn: dsn}), nil
}

type connector struct {
	d   *sqlite3.SQLiteDriver
	dsn string
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.d }
