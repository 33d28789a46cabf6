package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"remit/eventstore"
	"remit/internal/sqlitewal"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// writer is the single goroutine that writes. Only it touches conn, head and
// lastHash.
type writer struct {
	s        *Store
	conn     *sql.Conn
	head     uint64
	lastHash []byte
	// lastAt is the last event's recorded-at (Unix ns): a transaction is
	// never stamped before it, whatever the clock says (a clock set back,
	// or a caller's clock such as the demo's simulated one), so recorded
	// times never decrease along the log and as-of by time stays a search.
	lastAt int64
	revs   map[string]streamRev // committed revisions of recently written streams
	// spare is what the last committed transaction grew (its events for
	// the tail, and its map of stream revisions), emptied, for the next:
	// a bulk commit writes thousands of events, and growing both afresh
	// for each commit copied and faulted in megabytes the writer's one
	// goroutine waited on.
	spare struct {
		recs []eventstore.RecordedEvent
		revs map[string]streamRev
	}

	stRevision  *sql.Stmt
	stRevisions *sql.Stmt // of a JSON array of streams (prefetch)
	stByID      *sql.Stmt
	stIDsAt     *sql.Stmt
	stInsert    *sql.Stmt
}

func newWriter(s *Store) (*writer, error) {
	ctx := context.Background()
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writer{s: s, conn: conn, revs: map[string]streamRev{}}
	for _, p := range []struct {
		st  **sql.Stmt
		sql string
	}{
		{&w.stRevision, `SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1`},
		{&w.stRevisions, `SELECT value, (SELECT revision FROM events WHERE stream = value ORDER BY revision DESC LIMIT 1) FROM json_each(?)`},
		{&w.stByID, `SELECT stream, revision, position FROM events WHERE id = ?`},
		{&w.stIDsAt, `SELECT id, position FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`},
		{&w.stInsert, `INSERT INTO events(position, id, stream, revision, type, recorded_at, envelope, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`},
	} {
		if *p.st, err = conn.PrepareContext(ctx, p.sql); err != nil {
			conn.Close()
			return nil, fmt.Errorf("prepare: %w", err)
		}
	}
	if err := w.loadHead(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return w, nil
}

func (w *writer) loadHead(ctx context.Context) error {
	var pos, at sql.NullInt64
	var hash []byte
	err := w.conn.QueryRowContext(ctx, `SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1`).Scan(&pos, &hash, &at)
	if errors.Is(err, sql.ErrNoRows) {
		w.head, w.lastHash, w.lastAt = 0, nil, 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("read head: %w", err)
	}
	w.head, w.lastHash, w.lastAt = uint64(pos.Int64), hash, at.Int64
	return nil
}

func (w *writer) run() {
	defer close(w.s.stopped)
	defer w.conn.Close()
	batch := make([]*appendReq, 0, w.s.opts.MaxBatch)
	var idle *time.Timer // runs while the bulk cache is held
	for {
		batch = batch[:0]
		var shrink <-chan time.Time
		if idle != nil {
			shrink = idle.C
		}
		select {
		case <-w.s.done:
			w.drainClosed()
			return
		case <-shrink:
			w.setCache(writeCacheSmall, false)
			idle = nil
			continue
		case <-w.s.ckptReq:
			select {
			case w.s.ckptDone <- sqlitewal.Checkpoint(w.conn):
			default: // nobody waits for it (a test's request)
			}
			continue
		case r := <-w.s.reqs:
			batch = append(batch, r...)
		}
	more:
		for len(batch) < w.s.opts.MaxBatch {
			select {
			case r := <-w.s.reqs:
				batch = append(batch, r...)
			default:
				break more
			}
		}
		if len(batch) >= bulkBatch {
			if idle == nil {
				w.setCache(writeCacheBulk, true)
				idle = time.NewTimer(w.s.bulkIdle)
			} else {
				idle.Reset(w.s.bulkIdle)
			}
		}
		w.commit(batch)
	}
}

// setCache sets the write connection's page cache (see writeCacheSmall).
// Failing to is harmless: the cache stays as it was.
func (w *writer) setCache(pragma string, bulk bool) {
	if _, err := w.conn.ExecContext(context.Background(), pragma); err == nil {
		w.s.bulk.Store(bulk)
	}
}

// drainClosed answers appends that were queued when Close was called: they
// are still written, so that Close loses nothing that was accepted.
func (w *writer) drainClosed() {
	for {
		select {
		case r := <-w.s.reqs:
			w.commit(r)
		default:
			return
		}
	}
}

// streamRev is a stream's last revision, or !exists for a stream with no
// events.
type streamRev struct {
	exists bool
	rev    uint64
}

// maxCachedStreams bounds the writer's cache of stream revisions; past it the
// cache is emptied and refilled from the index as streams are written.
const maxCachedStreams = 100_000

// txState is what one transaction has changed so far: the head, the last
// hash and the revisions of the streams it wrote. It is merged into the
// writer's state only after a successful commit.
type txState struct {
	head     uint64
	lastHash []byte
	now      int64
	revs     map[string]streamRev
	// recs are the events written, for the store's tail once committed
	// (tail.go); untailed says one could not be kept there.
	recs     []eventstore.RecordedEvent
	untailed bool
}

func (w *writer) begin(ctx context.Context) (*txState, error) {
	if _, err := w.conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	tx := &txState{head: w.head, lastHash: w.lastHash, now: max(w.s.opts.Clock().UnixNano(), w.lastAt), recs: w.spare.recs, revs: w.spare.revs}
	w.spare.recs, w.spare.revs = nil, nil // the transaction's own until finish gives them back
	if tx.revs == nil {
		tx.revs = map[string]streamRev{}
	}
	return tx, nil
}

// keep notes an event written at pos with envelope env for the tail: decoded
// from env, as a read of the database would give it.
func (tx *txState) keep(pos uint64, env []byte) {
	tx.recs = append(tx.recs, eventstore.RecordedEvent{Position: pos})
	if err := eventstore.DecodeEnvelope(env, &tx.recs[len(tx.recs)-1]); err != nil {
		tx.untailed = true
	}
}

// finish commits the transaction and, once the commit is synced, makes its
// state the writer's. On failure everything is rolled back and the writer
// re-reads its state from the database.
func (w *writer) finish(ctx context.Context, tx *txState) error {
	if _, err := w.conn.ExecContext(ctx, `COMMIT`); err != nil {
		w.rollback(ctx)
		return fmt.Errorf("commit: %w", err)
	}
	wrote := tx.head != w.head
	w.head, w.lastHash = tx.head, tx.lastHash
	if wrote {
		w.lastAt = tx.now
	}
	if len(w.revs)+len(tx.revs) > maxCachedStreams {
		w.revs = map[string]streamRev{}
	}
	for k, v := range tx.revs {
		w.revs[k] = v
	}
	if wrote {
		if tx.untailed {
			w.s.tail.reset() // the subscriptions read this commit from the database
		} else {
			w.s.tail.add(tx.recs) // before the head moves: see tail
		}
		w.s.head.Store(w.head)
		w.s.broadcast()
	}
	// The tail copied the events and w.revs the revisions: both go back
	// to the writer, emptied (the events' strings point into envelopes no
	// one needs any more).
	clear(tx.recs)
	clear(tx.revs)
	w.spare.recs, w.spare.revs = tx.recs[:0], tx.revs
	return nil
}

func (w *writer) rollback(ctx context.Context) {
	w.conn.ExecContext(ctx, `ROLLBACK`)
	w.revs = map[string]streamRev{}
	if err := w.loadHead(ctx); err != nil {
		// The next begin will fail and report it.
		w.head, w.lastHash = 0, nil
	}
}

// commit writes a batch of appends in one transaction and answers every
// caller after the synced commit (group commit). Appends are applied
// optimistically, without savepoints: every check that can refuse an append
// runs before its first insert, and an append refused by its first insert
// (an id already stored) has written nothing. Only an insert failing after
// others of the same append forces the whole transaction back; that append is
// then set aside and written alone (carefully) after the rest commit.
func (w *writer) commit(batch []*appendReq) {
	ctx := context.Background()
	pending := append([]*appendReq(nil), batch...)
	var alone []*appendReq
	for len(pending) > 0 {
		tx, err := w.begin(ctx)
		if err != nil {
			answerAll(pending, err)
			pending = nil
			break
		}
		if err := w.prefetch(ctx, tx, pending); err != nil {
			w.rollback(ctx)
			answerAll(pending, err)
			pending = nil
			break
		}
		resps := make([]appendResp, len(pending))
		aborted := -1
		for i, r := range pending {
			if err := r.ctx.Err(); err != nil {
				resps[i].err = err
				continue
			}
			resp, abort := w.applyReq(ctx, r, tx, false)
			if abort {
				aborted = i
				break
			}
			resps[i] = resp
		}
		if aborted >= 0 {
			w.rollback(ctx)
			alone = append(alone, pending[aborted])
			pending = append(pending[:aborted:aborted], pending[aborted+1:]...)
			continue
		}
		if err := w.finish(ctx, tx); err != nil {
			answerAll(pending, err)
			break
		}
		for i, r := range pending {
			r.answer(resps[i])
		}
		break
	}
	for _, r := range alone {
		r.answer(w.commitAlone(ctx, r))
	}
}

// commitAlone writes one append in its own transaction with every check done
// up front.
func (w *writer) commitAlone(ctx context.Context, r *appendReq) appendResp {
	tx, err := w.begin(ctx)
	if err != nil {
		return appendResp{err: err}
	}
	resp, abort := w.applyReq(ctx, r, tx, true)
	if abort || resp.err != nil {
		w.rollback(ctx)
		return appendResp{err: resp.err}
	}
	if err := w.finish(ctx, tx); err != nil {
		return appendResp{err: err}
	}
	return resp
}

// applyReq applies one request inside the open transaction: an append
// (apply) or an atomic block (applyAtomic). abort says the transaction must
// be rolled back.
func (w *writer) applyReq(ctx context.Context, r *appendReq, tx *txState, careful bool) (appendResp, bool) {
	if r.parts != nil {
		return w.applyAtomic(ctx, r, tx, careful)
	}
	res, err, abort := w.apply(ctx, r, tx, careful)
	return appendResp{res: res, err: err}, abort
}

// applyAtomic applies an atomic block's appends inside the open transaction
// under a savepoint: when one is refused, the savepoint is rolled back (and
// the transaction's state with it), so nothing of the block is written,
// while the other requests of the transaction go on. abort says the
// savepoint could not be rolled back, so the whole transaction must be.
func (w *writer) applyAtomic(ctx context.Context, r *appendReq, tx *txState, careful bool) (appendResp, bool) {
	if _, err := w.conn.ExecContext(ctx, `SAVEPOINT atomic_block`); err != nil {
		return appendResp{err: fmt.Errorf("append: savepoint: %w", err)}, false
	}
	head, lastHash, nrecs := tx.head, tx.lastHash, len(tx.recs)
	type prior struct {
		rev streamRev
		ok  bool
	}
	before := make([]prior, len(r.parts))
	for k, p := range r.parts {
		before[k].rev, before[k].ok = tx.revs[p.stream]
	}
	results := make([]eventstore.AppendResult, len(r.parts))
	for k, p := range r.parts {
		res, err, _ := w.apply(ctx, p, tx, careful)
		if err == nil {
			results[k] = res
			continue
		}
		if _, rerr := w.conn.ExecContext(ctx, `ROLLBACK TO atomic_block`); rerr != nil {
			return appendResp{err: err}, true
		}
		if _, rerr := w.conn.ExecContext(ctx, `RELEASE atomic_block`); rerr != nil {
			return appendResp{err: err}, true
		}
		tx.head, tx.lastHash, tx.recs = head, lastHash, tx.recs[:nrecs]
		for j, p := range r.parts {
			if before[j].ok {
				tx.revs[p.stream] = before[j].rev
			} else {
				delete(tx.revs, p.stream)
			}
		}
		return appendResp{err: err}, false
	}
	if _, err := w.conn.ExecContext(ctx, `RELEASE atomic_block`); err != nil {
		return appendResp{err: fmt.Errorf("append: release savepoint: %w", err)}, true
	}
	return appendResp{results: results}, false
}

func answerAll(reqs []*appendReq, err error) {
	for _, r := range reqs {
		r.answer(appendResp{err: err})
	}
}

// revision returns a stream's last revision as this transaction sees it.
func (w *writer) revision(ctx context.Context, tx *txState, stream string) (streamRev, error) {
	if v, ok := tx.revs[stream]; ok {
		return v, nil
	}
	if v, ok := w.revs[stream]; ok {
		return v, nil
	}
	var cur int64
	err := w.stRevision.QueryRowContext(ctx, stream).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return streamRev{}, nil
	}
	if err != nil {
		return streamRev{}, fmt.Errorf("append %s: read revision: %w", stream, err)
	}
	return streamRev{exists: true, rev: uint64(cur)}, nil
}

// prefetchMin is how many streams of a transaction, not cached and not
// expected new, are looked up in one query (prefetch) rather than one at a
// time: below it, the statement's set-up costs more than it saves.
const prefetchMin = 64

// prefetch reads, in one statement, the last revision of every stream the
// transaction's appends name that the writer has not cached and does not
// write optimistically (an append expecting no stream), into tx.revs: a
// billing run's commit marks items on thousands of services, and a query
// per stream cost the writer (the one goroutine every append waits on) a
// round through database/sql and cgo each.
func (w *writer) prefetch(ctx context.Context, tx *txState, batch []*appendReq) error {
	// Most commits (a request's append or two) have too few appends to
	// look for anything: counted first, without allocating.
	n := 0
	for _, r := range batch {
		n += max(len(r.parts), 1)
	}
	if n < prefetchMin {
		return nil
	}
	var names []string
	want := func(r *appendReq) {
		if r.expected.IsNoStream() {
			return
		}
		if _, ok := tx.revs[r.stream]; ok {
			return
		}
		if _, ok := w.revs[r.stream]; ok {
			return
		}
		names = append(names, r.stream) // a stream named twice is read twice: harmless
	}
	for _, r := range batch {
		if r.parts == nil {
			want(r)
		}
		for _, p := range r.parts {
			want(p)
		}
	}
	if len(names) < prefetchMin {
		return nil
	}
	list, err := json.Marshal(names)
	if err != nil {
		return err
	}
	rows, err := w.stRevisions.QueryContext(ctx, string(list))
	if err != nil {
		return fmt.Errorf("append: read revisions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var stream string
		var rev sql.NullInt64
		if err := rows.Scan(&stream, &rev); err != nil {
			return fmt.Errorf("append: read revisions: %w", err)
		}
		tx.revs[stream] = streamRev{exists: rev.Valid, rev: uint64(rev.Int64)}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("append: read revisions: %w", err)
	}
	return nil
}

// apply runs one append inside the open transaction. abort says that the
// append failed after writing some of its events, so the transaction must be
// rolled back. careful checks for an idempotent retry before inserting
// anything.
func (w *writer) apply(ctx context.Context, r *appendReq, tx *txState, careful bool) (res eventstore.AppendResult, err error, abort bool) {
	// An append expecting no stream, to a stream this writer has not seen
	// lately, skips the revision look-up: it writes revision 0, and the
	// unique (stream, revision) index refuses that first insert when the
	// stream exists after all (then the revision is read, below).
	optimistic := false
	var sr streamRev
	if v, ok := tx.revs[r.stream]; ok {
		sr = v
	} else if v, ok := w.revs[r.stream]; ok {
		sr = v
	} else if r.expected.IsNoStream() && !careful && len(r.events) > 0 {
		optimistic = true
	} else if sr, err = w.revision(ctx, tx, r.stream); err != nil {
		return res, err, false
	}
	wrong := func() error {
		return &eventstore.WrongExpectedVersionError{Stream: r.stream, Expected: r.expected, Exists: sr.exists, Actual: sr.rev}
	}
	if len(r.events) == 0 {
		if !r.expected.Allows(sr.exists, sr.rev) {
			return res, wrong(), false
		}
		return eventstore.AppendResult{Revision: sr.rev, Position: tx.head}, nil, false
	}
	// retried resolves an append that cannot go ahead as new: it is either a
	// retry of an earlier append (answered with that append's result) or
	// refused with def.
	retried := func(def error) (eventstore.AppendResult, error, bool) {
		done, res, err := w.idempotent(ctx, r)
		switch {
		case done:
			return res, nil, false
		case err != nil && !errors.Is(err, eventstore.ErrWrongExpectedVersion):
			return res, err, false
		}
		return res, def, false
	}
	if careful {
		done, res, err := w.idempotent(ctx, r)
		if done {
			return res, nil, false
		}
		if err != nil && !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			return res, err, false
		}
	}
	if !r.expected.Allows(sr.exists, sr.rev) {
		return retried(wrong())
	}
	rev := uint64(0)
	if sr.exists {
		rev = sr.rev + 1
	}
	head, lastHash := tx.head, tx.lastHash
	for i := range r.events {
		e := &r.events[i]
		head++
		sv := e.SchemaVersion
		if sv == 0 {
			sv = 1
		}
		rec := eventstore.RecordedEvent{ID: e.ID, Stream: r.stream, Revision: rev, Type: e.Type, SchemaVersion: sv, Data: e.Data, Metadata: e.Metadata}
		rec.Metadata.RecordedAt = timeOf(tx.now)
		env := eventstore.EncodeEnvelope(&rec)
		h := eventstore.ChainHash(lastHash, head, env)
		if _, err := w.stInsert.ExecContext(ctx, int64(head), e.ID[:], r.stream, int64(rev), e.Type, tx.now, env, h[:]); err != nil {
			if !isUnique(err) {
				return res, fmt.Errorf("append %s: insert: %w", r.stream, err), i > 0
			}
			if i == 0 {
				// Nothing of this append is written: a retry, a
				// duplicate id, or (when optimistic) a stream that
				// exists.
				if optimistic {
					if sr, err = w.revision(ctx, tx, r.stream); err != nil {
						return res, err, false
					}
					if sr.exists {
						return retried(wrong())
					}
				}
				return retried(w.duplicate(ctx, e))
			}
			return res, w.duplicate(ctx, e), true
		}
		lastHash = h[:]
		tx.keep(head, env)
		res = eventstore.AppendResult{Revision: rev, Position: head}
		rev++
	}
	tx.head, tx.lastHash = head, lastHash
	tx.revs[r.stream] = streamRev{exists: true, rev: res.Revision}
	return res, nil, false
}

// idempotent reports whether r repeats an append that was already written:
// its first event id is stored at the place r would write it, in r's stream,
// followed by all of r's other ids in order. Then the earlier result is
// returned and nothing is written, as EventStoreDB does. A first id stored
// elsewhere, or a partial match, is refused.
func (w *writer) idempotent(ctx context.Context, r *appendReq) (bool, eventstore.AppendResult, error) {
	first := r.events[0].ID
	var stream string
	var rev, pos int64
	err := w.stByID.QueryRowContext(ctx, first[:]).Scan(&stream, &rev, &pos)
	if errors.Is(err, sql.ErrNoRows) {
		return false, eventstore.AppendResult{}, nil
	}
	if err != nil {
		return false, eventstore.AppendResult{}, fmt.Errorf("append %s: look up event id: %w", r.stream, err)
	}
	if stream != r.stream {
		return false, eventstore.AppendResult{}, &eventstore.DuplicateEventIDError{ID: first.String(), Stream: stream}
	}
	// The place this append would write its first event at.
	if n, ok := r.expected.ExactRevision(); ok && uint64(rev) != n+1 {
		return false, eventstore.AppendResult{}, eventstore.ErrWrongExpectedVersion
	}
	if r.expected.IsNoStream() && rev != 0 {
		return false, eventstore.AppendResult{}, eventstore.ErrWrongExpectedVersion
	}
	rows, err := w.stIDsAt.QueryContext(ctx, r.stream, rev, len(r.events))
	if err != nil {
		return false, eventstore.AppendResult{}, fmt.Errorf("append %s: read ids: %w", r.stream, err)
	}
	defer rows.Close()
	i := 0
	var last int64
	for rows.Next() {
		var id []byte
		if err := rows.Scan(&id, &last); err != nil {
			return false, eventstore.AppendResult{}, err
		}
		if !bytes.Equal(id, r.events[i].ID[:]) {
			break
		}
		i++
	}
	if err := rows.Err(); err != nil {
		return false, eventstore.AppendResult{}, err
	}
	if i != len(r.events) {
		return false, eventstore.AppendResult{}, &eventstore.DuplicateEventIDError{ID: first.String(), Stream: stream}
	}
	return true, eventstore.AppendResult{Revision: uint64(rev) + uint64(len(r.events)) - 1, Position: uint64(last)}, nil
}

func (w *writer) duplicate(ctx context.Context, e *eventstore.EventData) error {
	var stream string
	var rev, pos int64
	if err := w.stByID.QueryRowContext(ctx, e.ID[:]).Scan(&stream, &rev, &pos); err != nil {
		stream = "another stream"
	}
	return &eventstore.DuplicateEventIDError{ID: e.ID.String(), Stream: stream}
}

func isUnique(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}
