// Package authdb keeps the sign-in state every `remit serve` node shares:
// sessions, the login limiter's counts, single-use links (the first-run
// setup link, set-password links, pending ledger OAuth flows), and the key
// client links are signed with (LinkKey; used on PostgreSQL only). Its one job
// is to make any node able to serve any request, and a restart sign nobody
// out.
//
// Like eventstore/idempotency it lives beside the event log, not in it:
// these are short-lived, deletable rows, not business facts. OpenSQLite
// keeps them in a SQLite file of the data folder (File, beside the embedded
// log, and for KurrentDB too); OpenPostgres in tables of the PostgreSQL
// database that holds the log, so every node on it shares them; OpenMemory
// in a private in-memory database (one process: the CLI and tests). All
// three run the same SQL (sql.go) and pass the same tests.
//
// Apart from the link key (LinkKeyTable: whoever reads it can make client
// links), nothing in it lets a reader of a copy sign in or use a link: a session is
// stored by the SHA-256 of its id (the cookie's value), a link by the
// SHA-256 of its token, limiter rows by a SHA-256 of the address or email,
// and a link's data is whatever the caller stored (the auth package seals
// OAuth flows with a key derived from their state, which is not stored).
//
// Every count is one atomic SQL statement (INSERT … ON CONFLICT DO UPDATE …
// RETURNING), so attempts made at once on many nodes are all counted; a
// link is taken with DELETE … RETURNING, so only one node can use it.
// Expired rows are deleted every SweepInterval.
package authdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
)

// The tables, with the same names in SQLite and PostgreSQL.
const (
	// SessionsTable holds one row per signed-in browser.
	SessionsTable = "remit_sessions"
	// LoginWindowsTable counts login attempts per client address.
	LoginWindowsTable = "remit_login_windows"
	// LoginFailuresTable counts failed logins per email, and locks.
	LoginFailuresTable = "remit_login_failures"
	// LinksTable holds the live single-use links and pending OAuth flows.
	LinksTable = "remit_signin_links"
	// LinkKeyTable holds the one key client links are signed with.
	LinkKeyTable = "remit_link_key"
)

// DefaultSweepInterval is how often expired rows are deleted unless told
// otherwise.
const DefaultSweepInterval = time.Minute

// TouchEvery is how far a session's last use must have moved before it is
// written again: a request then costs one read, not a write, and the idle
// timeout is kept to within this.
const TouchEvery = time.Minute

// Options configure a DB. The zero value is the production default.
type Options struct {
	// SweepInterval is how often expired rows are deleted
	// (DefaultSweepInterval when 0).
	SweepInterval time.Duration
	// Now is the clock of the sweeps (time.Now when nil).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.SweepInterval <= 0 {
		o.SweepInterval = DefaultSweepInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// DB is the sign-in state in one database. It is safe for concurrent use,
// and by several processes on the same database.
type DB struct {
	db   *sql.DB
	q    queries
	opts Options
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Session is a session as stored.
type Session struct {
	// IDHash is the SHA-256 (hex) of the session's id, which only the
	// browser holds.
	IDHash   string
	UserID   uuid.UUID
	Created  time.Time
	Expires  time.Time     // absolute end
	LastSeen time.Time     // last use, to within TouchEvery
	Idle     time.Duration // a session unused this long ends
}

// live reports whether s is still usable at now.
func (s Session) live(now time.Time) bool {
	return now.Before(s.Expires) && now.Before(s.LastSeen.Add(s.Idle))
}

// Link is a single-use link (or pending flow) as stored.
type Link struct {
	// Kind names what it is for ("setup", "password", "oauth"): a link of
	// one kind is never found as another.
	Kind string
	// Hash is the SHA-256 (hex) of the link's token.
	Hash string
	// Subject is whom it is for (a user id), "" for none; links can be
	// deleted by subject.
	Subject string
	// Data is the caller's, stored as given.
	Data    []byte
	Expires time.Time
}

func start(db *sql.DB, q queries, opts Options) (*DB, error) {
	d := &DB{db: db, q: q, opts: opts, stop: make(chan struct{}), done: make(chan struct{})}
	if _, err := d.Sweep(context.Background()); err != nil {
		return nil, err
	}
	go d.sweepEvery(opts.SweepInterval)
	return d, nil
}

func (d *DB) sweepEvery(interval time.Duration) {
	defer close(d.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			// Best effort: reads never answer an expired row, and the next
			// tick tries again.
			ctx, cancel := context.WithTimeout(context.Background(), interval)
			_, _ = d.Sweep(ctx)
			cancel()
		}
	}
}

// Close stops the sweeps and closes the database.
func (d *DB) Close() error {
	var err error
	d.once.Do(func() {
		close(d.stop)
		<-d.done
		err = d.db.Close()
	})
	return err
}

func ns(t time.Time) int64 { return t.UnixNano() }

func fromNS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// StartSession stores a new session.
func (d *DB) StartSession(ctx context.Context, s Session) error {
	_, err := d.db.ExecContext(ctx, d.q.startSession, s.IDHash, s.UserID.String(), ns(s.Created), ns(s.Expires), ns(s.LastSeen), int64(s.Idle))
	if err != nil {
		return fmt.Errorf("sign-in state: start session: %w", err)
	}
	return nil
}

// Session returns the live session stored under idHash at now, recording
// now as its last use when that moved by TouchEvery or more. An expired
// session is deleted and not found.
func (d *DB) Session(ctx context.Context, idHash string, now time.Time) (Session, bool, error) {
	var user string
	var created, expires, seen, idle int64
	err := d.q.getSession.QueryRowContext(ctx, idHash).Scan(&user, &created, &expires, &seen, &idle)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, fmt.Errorf("sign-in state: read session: %w", err)
	}
	uid, err := uuid.Parse(user)
	if err != nil {
		return Session{}, false, fmt.Errorf("sign-in state: session of user %q: %w", user, err)
	}
	s := Session{IDHash: idHash, UserID: uid, Created: fromNS(created), Expires: fromNS(expires), LastSeen: fromNS(seen), Idle: time.Duration(idle)}
	if !s.live(now) {
		return Session{}, false, d.EndSession(ctx, idHash)
	}
	if now.Sub(s.LastSeen) >= TouchEvery {
		// Only ever forward: two nodes touching at once keep the later.
		if _, err := d.q.touchSession.ExecContext(ctx, ns(now), idHash); err != nil {
			return Session{}, false, fmt.Errorf("sign-in state: touch session: %w", err)
		}
		s.LastSeen = now
	}
	return s, true, nil
}

// EndSession deletes the session stored under idHash, if any.
func (d *DB) EndSession(ctx context.Context, idHash string) error {
	if _, err := d.db.ExecContext(ctx, d.q.endSession, idHash); err != nil {
		return fmt.Errorf("sign-in state: end session: %w", err)
	}
	return nil
}

// EndUserSessions deletes every session of the user and says how many.
func (d *DB) EndUserSessions(ctx context.Context, userID uuid.UUID) (int64, error) {
	res, err := d.db.ExecContext(ctx, d.q.endUserSessions, userID.String())
	if err != nil {
		return 0, fmt.Errorf("sign-in state: end sessions of %s: %w", userID, err)
	}
	return res.RowsAffected()
}

// CountAttempt counts one attempt under key in a fixed window of length
// window (a new window starts at the first attempt after the last one
// ended) and returns the attempts counted in the current window, this one
// included.
func (d *DB) CountAttempt(ctx context.Context, key string, now time.Time, window time.Duration) (int, error) {
	var n int
	if err := d.db.QueryRowContext(ctx, d.q.countAttempt, key, ns(now), ns(now.Add(window))).Scan(&n); err != nil {
		return 0, fmt.Errorf("sign-in state: count attempt: %w", err)
	}
	return n, nil
}

// LockedUntil returns until when key is locked (the zero time: never).
func (d *DB) LockedUntil(ctx context.Context, key string) (time.Time, error) {
	var until int64
	err := d.db.QueryRowContext(ctx, d.q.lockedUntil, key).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("sign-in state: read lock: %w", err)
	}
	return fromNS(until), nil
}

// CountFailure counts one failure under key. Failures are counted in runs
// of length lock from the first; the max-th failure of a run locks key for
// lock from now. It returns the failures of the run, this one included, and
// until when key is locked.
func (d *DB) CountFailure(ctx context.Context, key string, now time.Time, max int, lock time.Duration) (int, time.Time, error) {
	var n int
	var until, first int64
	if max <= 1 {
		first = ns(now.Add(lock)) // the first failure locks
	}
	if err := d.db.QueryRowContext(ctx, d.q.countFailure, key, ns(now), ns(now.Add(lock)), max, first).Scan(&n, &until); err != nil {
		return 0, time.Time{}, fmt.Errorf("sign-in state: count failure: %w", err)
	}
	return n, fromNS(until), nil
}

// ClearFailures forgets the failures and lock of key.
func (d *DB) ClearFailures(ctx context.Context, key string) error {
	if _, err := d.db.ExecContext(ctx, d.q.clearFailures, key); err != nil {
		return fmt.Errorf("sign-in state: clear failures: %w", err)
	}
	return nil
}

// PutLink stores l. With replace, every other link of its kind and
// subject is deleted in the same transaction (one live link per user, one
// setup link).
func (d *DB) PutLink(ctx context.Context, l Link, replace bool) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sign-in state: put link: %w", err)
	}
	defer tx.Rollback()
	if replace {
		if _, err := tx.ExecContext(ctx, d.q.deleteLinks, l.Kind, l.Subject); err != nil {
			return fmt.Errorf("sign-in state: put link: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, d.q.putLink, l.Hash, l.Kind, l.Subject, nonNil(l.Data), ns(l.Expires)); err != nil {
		return fmt.Errorf("sign-in state: put link: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sign-in state: put link: %w", err)
	}
	return nil
}

// WithLock runs fn holding the lock called name, which every node on this
// sign-in state shares: nodes calling it at once run fn one after the
// other. On PostgreSQL it is a transaction's advisory lock; on SQLite the
// file's write lock, so fn must not use this DB itself (it would wait for
// the lock fn holds): keep fn short and to work elsewhere (the log).
func (d *DB) WithLock(ctx context.Context, name string, fn func() error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sign-in state: lock %s: %w", name, err)
	}
	defer tx.Rollback()
	if d.q.lockName != "" {
		if _, err := tx.ExecContext(ctx, d.q.lockName, name); err != nil {
			return fmt.Errorf("sign-in state: lock %s: %w", name, err)
		}
	}
	if err := fn(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sign-in state: unlock %s: %w", name, err)
	}
	return nil
}

// PutOnlyLink stores l as the one link of its kind, deleting the others,
// unless a link of that kind is live at now and keep says to keep it:
// then it stores nothing and returns that link and false. Nodes calling
// it at once are served one after the other, so only one of them stores.
func (d *DB) PutOnlyLink(ctx context.Context, l Link, now time.Time, keep func(Link) bool) (Link, bool, error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return Link{}, false, fmt.Errorf("sign-in state: put link: %w", err)
	}
	defer tx.Rollback()
	if d.q.lockKind != "" {
		if _, err := tx.ExecContext(ctx, d.q.lockKind, l.Kind); err != nil {
			return Link{}, false, fmt.Errorf("sign-in state: put link: %w", err)
		}
	}
	live := Link{Kind: l.Kind}
	var exp int64
	err = tx.QueryRowContext(ctx, d.q.liveOfKind, l.Kind, ns(now)).Scan(&live.Hash, &live.Subject, &live.Data, &exp)
	switch {
	case err == nil:
		live.Expires = fromNS(exp)
		if keep(live) {
			return live, false, nil
		}
	case !errors.Is(err, sql.ErrNoRows):
		return Link{}, false, fmt.Errorf("sign-in state: put link: %w", err)
	}
	if _, err := tx.ExecContext(ctx, d.q.deleteKind, l.Kind); err != nil {
		return Link{}, false, fmt.Errorf("sign-in state: put link: %w", err)
	}
	if _, err := tx.ExecContext(ctx, d.q.putLink, l.Hash, l.Kind, l.Subject, nonNil(l.Data), ns(l.Expires)); err != nil {
		return Link{}, false, fmt.Errorf("sign-in state: put link: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Link{}, false, fmt.Errorf("sign-in state: put link: %w", err)
	}
	return l, true, nil
}

// Link returns the live link of kind stored under hash, leaving it.
func (d *DB) Link(ctx context.Context, kind, hash string, now time.Time) (Link, bool, error) {
	return d.link(ctx, d.q.getLink, kind, hash, now)
}

// TakeLink deletes and returns the live link of kind stored under hash:
// of any number of callers on any number of nodes, one gets it.
func (d *DB) TakeLink(ctx context.Context, kind, hash string, now time.Time) (Link, bool, error) {
	return d.link(ctx, d.q.takeLink, kind, hash, now)
}

func (d *DB) link(ctx context.Context, q, kind, hash string, now time.Time) (Link, bool, error) {
	l := Link{Kind: kind, Hash: hash}
	var exp int64
	err := d.db.QueryRowContext(ctx, q, hash, kind, ns(now)).Scan(&l.Subject, &l.Data, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, false, nil
	}
	if err != nil {
		return Link{}, false, fmt.Errorf("sign-in state: read link: %w", err)
	}
	l.Expires = fromNS(exp)
	return l, true, nil
}

// DeleteLinks deletes every link of kind for subject.
func (d *DB) DeleteLinks(ctx context.Context, kind, subject string) error {
	if _, err := d.db.ExecContext(ctx, d.q.deleteLinks, kind, subject); err != nil {
		return fmt.Errorf("sign-in state: delete links: %w", err)
	}
	return nil
}

// CountLinks counts the live links of kind.
func (d *DB) CountLinks(ctx context.Context, kind string, now time.Time) (int, error) {
	var n int
	if err := d.db.QueryRowContext(ctx, d.q.countLinks, kind, ns(now)).Scan(&n); err != nil {
		return 0, fmt.Errorf("sign-in state: count links: %w", err)
	}
	return n, nil
}

// Sweep deletes every expired row now (sessions past their end or idle
// timeout, windows and failure runs that ended and are not locked, expired
// links) and says how many.
func (d *DB) Sweep(ctx context.Context) (int64, error) {
	now := ns(d.opts.Now())
	var total int64
	for _, q := range d.q.sweep {
		res, err := d.db.ExecContext(ctx, q, now)
		if err != nil {
			return total, fmt.Errorf("sign-in state: sweep: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

// nonNil makes empty data a value the NOT NULL column takes.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// LinkKey returns the key client links are signed with. The first call on
// a database stores fresh (at least 32 bytes) and returns it; every later
// one, on any node, returns that key and ignores fresh. Nodes starting at
// once all get the one key stored first.
func (d *DB) LinkKey(ctx context.Context, fresh []byte) ([]byte, error) {
	if len(fresh) < 32 {
		return nil, errors.New("sign-in state: a link key needs at least 32 bytes")
	}
	if _, err := d.db.ExecContext(ctx, d.q.putLinkKey, fresh); err != nil {
		return nil, fmt.Errorf("sign-in state: store link key: %w", err)
	}
	var key []byte
	if err := d.db.QueryRowContext(ctx, d.q.getLinkKey).Scan(&key); err != nil {
		return nil, fmt.Errorf("sign-in state: read link key: %w", err)
	}
	return key, nil
}
