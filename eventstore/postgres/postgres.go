// Package postgres is Remit's PostgreSQL event store: the whole eventstore
// contract on one PostgreSQL database, shared safely by many Remit processes.
//
// Design:
//
//   - Trustworthy global positions. A sequence alone is not enough: two
//     transactions that draw 11 and 12 can commit in the other order, and a
//     subscriber that has read 12 skips 11 forever. Here every appending
//     transaction first takes one transaction-scoped advisory lock
//     (pg_advisory_xact_lock), then reads the head (the highest position and
//     its hash), numbers its events head+1, head+2… and commits. PostgreSQL
//     releases the lock only after the commit is visible to new snapshots, so
//     the next appender (in this process or any other) starts from a head that
//     includes every earlier commit: positions are assigned in commit order,
//     with no gap, and a reader that sees position n sees every position
//     below n. The hash chain needs exactly this serialisation anyway (each
//     event's hash covers the previous one), so the lock costs nothing the
//     chain would not. A high-water mark over a sequence was the alternative;
//     it lets commits overlap but cannot chain hashes without a second pass.
//   - Group commit. Serialised commits would cost one WAL flush per append,
//     so, like the embedded store, each Store has one writer goroutine that
//     takes every append waiting in this process and writes them in one
//     transaction: one round trip takes the lock and reads the head, the
//     revisions of every stream involved and any of the event ids already
//     stored; every check (expected revision, idempotent retry, duplicate id)
//     is then decided in Go under the lock, and the accepted events are
//     inserted with one statement. An append refused by a check writes
//     nothing and does not disturb the others in its batch.
//   - The same hash chain as the embedded store: each row keeps the packed
//     envelope (eventstore.EncodeEnvelope, as bytea) and SHA-256 over the
//     previous hash, the position and the envelope (eventstore.ChainHash), so
//     a log copied from the embedded store (ImportFrom) keeps its hashes, and
//     Verify runs the one chain verifier (eventstore.VerifyChain) and reports
//     in its terms (VerifyReport, *ChainError are eventstore's types, the
//     embedded store's too, so `remit audit verify` treats both stores
//     alike).
//   - Live subscriptions. Each append transaction runs pg_notify, which
//     PostgreSQL delivers only after the commit. Each Store keeps one
//     listening connection; a notification (or a commit by this process)
//     wakes its subscribers, which then read the new events from the table.
//     Subscribers also poll (Options.PollInterval) in case a notification is
//     lost. When the listening connection drops, it reconnects and wakes every
//     subscriber, which re-reads from the position after the last one it
//     delivered: no gap, no duplicate. A subscriber's own read failing on a
//     dropped connection is retried the same way for Options.RetryFor.
//   - ImportFrom copies an embedded store into an empty database event for
//     event (positions and hashes preserved), in one transaction that
//     commits only once the copy verifies to the source's head hash.
//   - The schema is versioned (table schema_version) and migrated on Open
//     under a session advisory lock, so processes starting together apply
//     each migration once, in order. A trigger refuses UPDATE, DELETE and
//     TRUNCATE on events.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"remit/eventstore"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// VerifyReport is the outcome of a successful chain walk: eventstore's type,
// as the embedded store's, so callers report both stores the same way.
type VerifyReport = eventstore.VerifyReport

// ChainError names the first event at which the chain breaks: eventstore's
// type, as the embedded store's, so errors.As finds it whichever store was
// verified.
type ChainError = eventstore.ChainError

// Channel is the LISTEN/NOTIFY channel every append notifies on, with its
// last position as the payload.
const Channel = "remit_events"

// Advisory lock keys (per database). appendLockKey serialises position
// assignment; migrateLockKey serialises schema migrations.
const (
	appendLockKey  int64 = 0x52454d4954415050 // "REMITAPP"
	migrateLockKey int64 = 0x52454d49544d4947 // "REMITMIG"
)

// Options configure a Store. The zero value is the production default.
type Options struct {
	// MaxEventSize limits one event's data plus metadata (default 1 MiB).
	MaxEventSize int
	// Clock stamps recorded-at; default time.Now.
	Clock func() time.Time
	// MaxBatch caps how many queued appends share one transaction (default 512).
	MaxBatch int
	// MaxConns is the size of the connection pool used by appends, reads and
	// subscriptions (default 10). The listener has one more connection.
	MaxConns int32
	// PollInterval is how often an idle subscription re-reads the log even
	// without a notification (default 1s).
	PollInterval time.Duration
	// RetryFor is how long a subscription keeps retrying after its database
	// connection fails before it gives up with the error (default 2 minutes).
	RetryFor time.Duration
	// ApplicationName is shown in pg_stat_activity (default "remit").
	ApplicationName string
}

// Store is the PostgreSQL event store. It is safe for concurrent use, and
// many Stores (in one process or many) may share one database.
type Store struct {
	opts Options
	pool *pgxpool.Pool
	cfg  *pgx.ConnConfig // for the listener's own connection

	reqs    chan []*appendReq // one append, or a block of them (AppendMany)
	done    chan struct{}     // closed by Close
	stopped chan struct{}     // closed when the writer has ended
	cancel  context.CancelFunc
	bg      sync.WaitGroup // the listener
	closeMu sync.Once

	wakeMu sync.Mutex
	wake   chan struct{} // closed and replaced after every commit or notification
}

// Open connects to the database named by connString (a postgres:// URL or a
// libpq key=value string), creates or migrates the schema, and starts the
// writer and the listener.
func Open(ctx context.Context, connString string, opts Options) (*Store, error) {
	if opts.MaxEventSize <= 0 {
		opts.MaxEventSize = eventstore.DefaultMaxEventSize
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 10
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.RetryFor <= 0 {
		opts.RetryFor = 2 * time.Minute
	}
	if opts.ApplicationName == "" {
		opts.ApplicationName = "remit"
	}
	pcfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("open event store: parse connection string: %w", err)
	}
	pcfg.MaxConns = opts.MaxConns
	if _, set := pcfg.ConnConfig.RuntimeParams["application_name"]; !set {
		pcfg.ConnConfig.RuntimeParams["application_name"] = opts.ApplicationName
	}
	lcfg := pcfg.ConnConfig.Copy()
	lcfg.RuntimeParams["application_name"] = pcfg.ConnConfig.RuntimeParams["application_name"] + "-listener"
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open event store: %w", err)
	}
	bgctx, cancel := context.WithCancel(context.Background())
	s := &Store{
		opts: opts, pool: pool, cfg: lcfg,
		reqs: make(chan []*appendReq, 1024), done: make(chan struct{}), stopped: make(chan struct{}),
		cancel: cancel, wake: make(chan struct{}),
	}
	// The first LISTEN happens before Open returns, so a caller that
	// subscribes next is woken by every later commit, from any process.
	l, err := s.listen(ctx)
	if err != nil {
		cancel()
		pool.Close()
		return nil, fmt.Errorf("open event store: listen: %w", err)
	}
	s.bg.Add(1)
	go s.listener(bgctx, l)
	go newWriter(s).run()
	return s, nil
}

// Close stops the writer after the appends already queued, ends every
// subscription with eventstore.ErrClosed and closes the connections.
func (s *Store) Close() error {
	s.closeMu.Do(func() {
		close(s.done)
		<-s.stopped
		s.cancel()
		s.bg.Wait()
		s.pool.Close()
	})
	return nil
}

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := check(stream, events, s.opts.MaxEventSize); err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	req := &appendReq{ctx: ctx, stream: stream, expected: expected, events: events, reply: make(chan appendResp, 1)}
	select {
	case <-s.done:
		return eventstore.AppendResult{}, eventstore.ErrClosed
	case <-ctx.Done():
		return eventstore.AppendResult{}, ctx.Err()
	case s.reqs <- []*appendReq{req}:
	}
	// Once queued, the append is decided by the writer; waiting for its
	// answer (rather than giving up on ctx) means a caller never mistakes a
	// written append for a failed one.
	select {
	case r := <-req.reply:
		return r.res, r.err
	case <-s.stopped:
		select {
		case r := <-req.reply:
			return r.res, r.err
		default:
			return eventstore.AppendResult{}, eventstore.ErrClosed
		}
	}
}

// check refuses bad input before it reaches the writer.
func check(stream string, events []eventstore.EventData, maxSize int) error {
	if err := eventstore.ValidateAppend(stream, events, maxSize); err != nil {
		return err
	}
	for i, e := range events {
		// PostgreSQL text holds no NUL byte and only valid UTF-8; refuse such
		// a type here rather than let it fail the whole batch it lands in.
		if !utf8.ValidString(e.Type) || strings.IndexByte(e.Type, 0) >= 0 {
			return &eventstore.InvalidError{Field: fmt.Sprintf("events[%d].type", i), Reason: "event type is not valid UTF-8 text"}
		}
	}
	return nil
}

// AppendMany implements eventstore.MultiAppender: the appends go through
// the writer's queue one after another, so they share its transactions as
// concurrent appends do, and the caller waits once, for the last answer.
func (s *Store) AppendMany(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendOutcome, error) {
	reqs := make([]appendReq, len(appends))
	req := func(i int, m *eventstore.ManyReplies) *appendReq {
		a := &appends[i]
		reqs[i] = appendReq{ctx: ctx, stream: a.Stream, expected: a.Expected, events: a.Events, many: m, at: i}
		return &reqs[i]
	}
	valid := func(a eventstore.StreamAppend) error { return check(a.Stream, a.Events, s.opts.MaxEventSize) }
	return eventstore.QueueMany(ctx, appends, valid, req, s.reqs, s.done, s.stopped)
}

// AppendAtomic implements eventstore.AtomicAppender: the block goes to the
// writer as one request, which it decides inside its transaction (the one
// it shares with other appends) all or none. queued is called only once the
// block is written: other processes append to the same tables, so a
// place in this process's queue promises nothing about their order.
func (s *Store) AppendAtomic(ctx context.Context, appends []eventstore.StreamAppend, queued func()) ([]eventstore.AppendResult, error) {
	if err := eventstore.CheckAppendMany(appends); err != nil {
		return nil, err
	}
	req := &appendReq{ctx: ctx, reply: make(chan appendResp, 1), parts: make([]*appendReq, len(appends))}
	for i, a := range appends {
		if err := check(a.Stream, a.Events, s.opts.MaxEventSize); err != nil {
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
	case <-ctx.Done():
		return nil, ctx.Err()
	case s.reqs <- []*appendReq{req}:
	}
	var r appendResp
	select {
	case r = <-req.reply:
	case <-s.stopped:
		select {
		case r = <-req.reply:
		default:
			r.err = eventstore.ErrClosed
		}
	}
	if r.err == nil {
		queued()
	}
	return r.results, r.err
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
	var head int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(position), 0) FROM events`).Scan(&head); err != nil {
		return 0, fmt.Errorf("read head: %w", err)
	}
	return uint64(head), nil
}

// waitCh returns a channel that is closed after the next commit by this
// Store, the next notification from any process, or a reconnection of the
// listener.
func (s *Store) waitCh() <-chan struct{} {
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

// listen opens the listener's connection and starts listening.
func (s *Store) listen(ctx context.Context) (*pgx.Conn, error) {
	c, err := pgx.ConnectConfig(ctx, s.cfg)
	if err != nil {
		return nil, err
	}
	if _, err := c.Exec(ctx, `LISTEN `+Channel); err != nil {
		c.Close(context.Background())
		return nil, err
	}
	return c, nil
}

// listener wakes subscribers on every notification. When its connection
// fails it reconnects (backing off up to 2s) and wakes everyone, because
// notifications sent while it was away are lost; subscribers then re-read
// from their own positions.
func (s *Store) listener(ctx context.Context, c *pgx.Conn) {
	defer s.bg.Done()
	backoff := 10 * time.Millisecond
	for {
		if c != nil {
			for {
				if _, err := c.WaitForNotification(ctx); err != nil {
					break
				}
				backoff = 10 * time.Millisecond
				s.broadcast()
			}
			c.Close(context.Background())
			c = nil
		}
		if ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
		var err error
		if c, err = s.listen(ctx); err != nil {
			c = nil
			continue
		}
		s.broadcast()
	}
}

// isTransient reports whether err is a lost or refused connection (the
// server restarted, the backend was terminated, the network failed), after
// which the same work can be tried again on a new connection.
func isTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return connectionLost(err)
}
