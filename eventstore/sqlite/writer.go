package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"remit/eventstore"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// writer is the single goroutine that writes. Only it touches conn, head and
// lastHash.
type writer struct {
	s        *Store
	conn     *sql.Conn
	head     uint64
	lastHash []byte

	stRevision *sql.Stmt
	stByID     *sql.Stmt
	stIDsAt    *sql.Stmt
	stInsert   *sql.Stmt
}

func newWriter(s *Store) (*writer, error) {
	ctx := context.Background()
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writer{s: s, conn: conn}
	for _, p := range []struct {
		st  **sql.Stmt
		sql string
	}{
		{&w.stRevision, `SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1`},
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
	var pos sql.NullInt64
	var hash []byte
	err := w.conn.QueryRowContext(ctx, `SELECT position, hash FROM events ORDER BY position DESC LIMIT 1`).Scan(&pos, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		w.head, w.lastHash = 0, nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("read head: %w", err)
	}
	w.head, w.lastHash = uint64(pos.Int64), hash
	return nil
}

func (w *writer) run() {
	defer close(w.s.stopped)
	defer w.conn.Close()
	batch := make([]*appendReq, 0, w.s.opts.MaxBatch)
	for {
		batch = batch[:0]
		select {
		case <-w.s.done:
			w.drainClosed()
			return
		case r := <-w.s.reqs:
			batch = append(batch, r)
		}
	more:
		for len(batch) < w.s.opts.MaxBatch {
			select {
			case r := <-w.s.reqs:
				batch = append(batch, r)
			default:
				break more
			}
		}
		w.commit(batch)
	}
}

// drainClosed answers appends that were queued when Close was called: they
// are still written, so that Close loses nothing that was accepted.
func (w *writer) drainClosed() {
	for {
		select {
		case r := <-w.s.reqs:
			w.commit([]*appendReq{r})
		default:
			return
		}
	}
}

// commit writes a batch of appends in one transaction, each in its own
// savepoint, and answers every caller after the synced commit.
func (w *writer) commit(batch []*appendReq) {
	ctx := context.Background()
	resps := make([]appendResp, len(batch))
	fail := func(err error) {
		for _, r := range batch {
			r.reply <- appendResp{err: err}
		}
	}
	if _, err := w.conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	head, lastHash := w.head, w.lastHash
	now := w.s.opts.Clock().UnixNano()
	wrote := false
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			resps[i].err = err
			continue
		}
		if _, err := w.conn.ExecContext(ctx, `SAVEPOINT a`); err != nil {
			resps[i].err = fmt.Errorf("savepoint: %w", err)
			continue
		}
		res, h, lh, err := w.apply(ctx, r, head, lastHash, now)
		if err != nil {
			w.conn.ExecContext(ctx, `ROLLBACK TO a`)
		} else if h != head {
			head, lastHash, wrote = h, lh, true
		}
		w.conn.ExecContext(ctx, `RELEASE a`)
		resps[i] = appendResp{res: res, err: err}
	}
	if _, err := w.conn.ExecContext(ctx, `COMMIT`); err != nil {
		w.conn.ExecContext(ctx, `ROLLBACK`)
		if lerr := w.loadHead(ctx); lerr != nil {
			err = errors.Join(err, lerr)
		}
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	w.head, w.lastHash = head, lastHash
	if wrote {
		w.s.head.Store(head)
		w.s.broadcast()
	}
	for i, r := range batch {
		r.reply <- resps[i]
	}
}

// apply runs one append inside the open transaction. It returns the append's
// result and the new head and last hash.
func (w *writer) apply(ctx context.Context, r *appendReq, head uint64, lastHash []byte, now int64) (eventstore.AppendResult, uint64, []byte, error) {
	var res eventstore.AppendResult
	exists := true
	var cur uint64
	if err := w.stRevision.QueryRowContext(ctx, r.stream).Scan(&cur); errors.Is(err, sql.ErrNoRows) {
		exists = false
	} else if err != nil {
		return res, head, lastHash, fmt.Errorf("append %s: read revision: %w", r.stream, err)
	}
	wrong := func() error {
		return &eventstore.WrongExpectedVersionError{Stream: r.stream, Expected: r.expected, Exists: exists, Actual: cur}
	}
	if len(r.events) == 0 {
		if !r.expected.Allows(exists, cur) {
			return res, head, lastHash, wrong()
		}
		return eventstore.AppendResult{Revision: cur, Position: head}, head, lastHash, nil
	}
	if done, res, err := w.idempotent(ctx, r); done || err != nil {
		if err == nil {
			return res, head, lastHash, nil
		}
		if errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			return res, head, lastHash, wrong()
		}
		return res, head, lastHash, err
	}
	if !r.expected.Allows(exists, cur) {
		return res, head, lastHash, wrong()
	}
	rev := uint64(0)
	if exists {
		rev = cur + 1
	}
	for i := range r.events {
		e := &r.events[i]
		head++
		sv := e.SchemaVersion
		if sv == 0 {
			sv = 1
		}
		rec := eventstore.RecordedEvent{ID: e.ID, Stream: r.stream, Revision: rev, Type: e.Type, SchemaVersion: sv, Data: e.Data, Metadata: e.Metadata}
		rec.Metadata.RecordedAt = timeOf(now)
		env := eventstore.EncodeEnvelope(&rec)
		h := eventstore.ChainHash(lastHash, head, env)
		if _, err := w.stInsert.ExecContext(ctx, int64(head), e.ID[:], r.stream, int64(rev), e.Type, now, env, h[:]); err != nil {
			if isUnique(err) {
				return res, head, lastHash, w.duplicate(ctx, e)
			}
			return res, head, lastHash, fmt.Errorf("append %s: insert: %w", r.stream, err)
		}
		lastHash = h[:]
		res = eventstore.AppendResult{Revision: rev, Position: head}
		rev++
	}
	return res, head, lastHash, nil
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
