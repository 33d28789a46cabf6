package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"remit/eventstore"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

type appendReq struct {
	ctx      context.Context
	stream   string
	expected eventstore.ExpectedRevision
	events   []eventstore.EventData
	reply    chan appendResp         // nil for one append of a block (many)
	many     *eventstore.ManyReplies // its block's replies
	at       int                     // its place in the block
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

// writer is the one goroutine of a Store that writes: it takes every append
// queued in this process and writes them in one transaction (group commit).
type writer struct{ s *Store }

func newWriter(s *Store) *writer { return &writer{s: s} }

func (w *writer) run() {
	defer close(w.s.stopped)
	batch := make([]*appendReq, 0, w.s.opts.MaxBatch)
	for {
		batch = batch[:0]
		select {
		case <-w.s.done:
			// Appends queued before Close are still written, so Close loses
			// nothing that was accepted.
			for {
				select {
				case r := <-w.s.reqs:
					w.commit(r)
				default:
					return
				}
			}
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
		w.commit(batch)
	}
}

// writeAttempts bounds how often one batch is tried when its connection is
// lost (about 3s of backing off in all).
const writeAttempts = 6

// commit writes a batch and answers every caller. A lost connection is
// retried on a new one; that is safe even when the loss hid whether the
// COMMIT happened, because a retry of an append already written is
// recognised as an idempotent retry and answered with the same result. An
// error that is not about the connection, in a batch of several appends, has
// each append tried alone, so one bad append fails only itself.
func (w *writer) commit(batch []*appendReq) {
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.answer(appendResp{err: err})
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	var (
		resps []appendResp
		err   error
	)
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		resps, err = w.write(context.Background(), live)
		if err == nil || !isTransient(err) || attempt == writeAttempts {
			break
		}
		select {
		case <-time.After(backoff):
		case <-w.s.done:
			// Closing: one last try, without waiting.
		}
		backoff = min(2*backoff, time.Second)
	}
	if err != nil {
		if len(live) > 1 && !isTransient(err) {
			for _, r := range live {
				w.commit([]*appendReq{r})
			}
			return
		}
		for _, r := range live {
			r.answer(appendResp{err: err})
		}
		return
	}
	for i, r := range live {
		r.answer(resps[i])
	}
}

// stored is where an event id is stored.
type stored struct {
	stream   string
	revision uint64
	position uint64
}

// streamRev is a stream's last revision, or !exists for a stream with no
// events.
type streamRev struct {
	exists bool
	rev    uint64
}

// batchState is what one transaction knows, read under the append lock and
// updated as its appends are decided.
type batchState struct {
	head     uint64
	lastHash []byte
	now      time.Time
	revs     map[string]streamRev
	ids      map[uuid.UUID]stored

	// The rows to insert, column by column.
	positions, revisions []int64
	evIDs                []uuid.UUID
	streams, types       []string
	recorded             []time.Time
	envelopes, hashes    [][]byte
}

// write runs one transaction for reqs and returns each append's answer.
// Answers are only valid when err is nil.
func (w *writer) write(ctx context.Context, reqs []*appendReq) ([]appendResp, error) {
	conn, err := w.s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("append: connect: %w", err)
	}
	defer conn.Release()
	// A connection handed back in a transaction is destroyed by the pool;
	// this rollback only spares it on the error paths below.
	defer func() {
		if conn.Conn().PgConn().TxStatus() != 'I' {
			conn.Exec(context.Background(), `ROLLBACK`)
		}
	}()

	var streams []string
	seenStream := map[string]bool{}
	var ids []uuid.UUID
	for _, r := range reqs {
		for _, r := range r.appends() {
			if !seenStream[r.stream] {
				seenStream[r.stream] = true
				streams = append(streams, r.stream)
			}
			for _, e := range r.events {
				ids = append(ids, e.ID)
			}
		}
	}
	st := &batchState{now: w.s.opts.Clock().UTC(), revs: make(map[string]streamRev, len(streams)), ids: map[uuid.UUID]stored{}}

	// One round trip: begin, take the append lock (held to the end of the
	// transaction), then read, each statement with a snapshot taken after the
	// lock, the head, the revisions of the streams and any ids already stored.
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, appendLockKey)
	b.Queue(`SELECT position, hash FROM events ORDER BY position DESC LIMIT 1`)
	b.Queue(`SELECT s.stream, (SELECT e.revision FROM events e WHERE e.stream = s.stream ORDER BY e.revision DESC LIMIT 1)
		FROM unnest($1::text[]) AS s(stream)`, streams)
	b.Queue(`SELECT id, stream, revision, position FROM events WHERE id = ANY($1::uuid[])`, ids)
	br := conn.SendBatch(ctx, b)
	if err := readBatchState(br, st); err != nil {
		br.Close()
		return nil, fmt.Errorf("append: %w", err)
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}

	resps := make([]appendResp, len(reqs))
	for i, r := range reqs {
		if r.parts != nil {
			resps[i] = st.applyAtomic(r)
			continue
		}
		res, err := st.apply(r)
		resps[i] = appendResp{res: res, err: err}
	}
	if len(st.positions) == 0 {
		return resps, nil // nothing to write; the deferred rollback ends the transaction
	}
	// The second and last round trip: insert, notify, commit.
	b = &pgx.Batch{}
	b.Queue(`INSERT INTO events (position, id, stream, revision, type, recorded_at, envelope, hash)
		SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[], $7::bytea[], $8::bytea[])`,
		st.positions, st.evIDs, st.streams, st.revisions, st.types, st.recorded, st.envelopes, st.hashes)
	// Delivered by PostgreSQL only once the transaction commits.
	b.Queue(`SELECT pg_notify($1, $2)`, Channel, strconv.FormatUint(st.head, 10))
	b.Queue(`COMMIT`)
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("append: insert and commit: %w", err)
	}
	w.s.broadcast()
	return resps, nil
}

func readBatchState(br pgx.BatchResults, st *batchState) error {
	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	var head int64
	err := br.QueryRow().Scan(&head, &st.lastHash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("read head: %w", err)
	}
	st.head = uint64(head)
	rows, err := br.Query()
	if err != nil {
		return fmt.Errorf("read revisions: %w", err)
	}
	for rows.Next() {
		var stream string
		var rev *int64
		if err := rows.Scan(&stream, &rev); err != nil {
			rows.Close()
			return fmt.Errorf("read revisions: %w", err)
		}
		if rev != nil {
			st.revs[stream] = streamRev{exists: true, rev: uint64(*rev)}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read revisions: %w", err)
	}
	rows, err = br.Query()
	if err != nil {
		return fmt.Errorf("read ids: %w", err)
	}
	for rows.Next() {
		var id uuid.UUID
		var stream string
		var rev, pos int64
		if err := rows.Scan(&id, &stream, &rev, &pos); err != nil {
			rows.Close()
			return fmt.Errorf("read ids: %w", err)
		}
		st.ids[id] = stored{stream: stream, revision: uint64(rev), position: uint64(pos)}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read ids: %w", err)
	}
	return nil
}

// appends are the appends of a request: itself, or an atomic block's parts.
func (r *appendReq) appends() []*appendReq {
	if r.parts != nil {
		return r.parts
	}
	return []*appendReq{r}
}

// applyAtomic decides an atomic block's appends one after another against
// the transaction's state; when one is refused, the state (and the rows to
// insert) go back to what they were before the block, so nothing of it is
// written, and the block is answered with that refusal.
func (st *batchState) applyAtomic(r *appendReq) appendResp {
	head, lastHash, rows := st.head, st.lastHash, len(st.positions)
	type prior struct {
		rev streamRev
		ok  bool
	}
	before := make([]prior, len(r.parts))
	for k, p := range r.parts {
		before[k].rev, before[k].ok = st.revs[p.stream]
	}
	results := make([]eventstore.AppendResult, len(r.parts))
	for k, p := range r.parts {
		res, err := st.apply(p)
		if err == nil {
			results[k] = res
			continue
		}
		for _, id := range st.evIDs[rows:] {
			delete(st.ids, id) // every id the block added was new
		}
		st.head, st.lastHash = head, lastHash
		st.positions, st.evIDs, st.streams, st.revisions = st.positions[:rows], st.evIDs[:rows], st.streams[:rows], st.revisions[:rows]
		st.types, st.recorded, st.envelopes, st.hashes = st.types[:rows], st.recorded[:rows], st.envelopes[:rows], st.hashes[:rows]
		for j, p := range r.parts {
			if before[j].ok {
				st.revs[p.stream] = before[j].rev
			} else {
				delete(st.revs, p.stream)
			}
		}
		return appendResp{err: err}
	}
	return appendResp{results: results}
}

// apply decides one append against the transaction's state and, when it is
// accepted, adds its rows. The rules are the embedded store's: an append
// whose ids are already stored at the place it would write them is an
// idempotent retry (answered with the earlier result, nothing written); ids
// stored anywhere else are ErrDuplicateEventID; otherwise the expected
// revision decides.
func (st *batchState) apply(r *appendReq) (eventstore.AppendResult, error) {
	cur := st.revs[r.stream]
	wrong := func() error {
		return &eventstore.WrongExpectedVersionError{Stream: r.stream, Expected: r.expected, Exists: cur.exists, Actual: cur.rev}
	}
	allowed := r.expected.Allows(cur.exists, cur.rev)
	if len(r.events) == 0 {
		if !allowed {
			return eventstore.AppendResult{}, wrong()
		}
		return eventstore.AppendResult{Revision: cur.rev, Position: st.head}, nil
	}
	for _, e := range r.events {
		k, known := st.ids[e.ID]
		if !known {
			continue
		}
		done, res, err := st.idempotent(r)
		if done {
			return res, nil
		}
		if errors.Is(err, eventstore.ErrDuplicateEventID) {
			return eventstore.AppendResult{}, err
		}
		if !allowed {
			return eventstore.AppendResult{}, wrong()
		}
		return eventstore.AppendResult{}, &eventstore.DuplicateEventIDError{ID: e.ID.String(), Stream: k.stream}
	}
	if !allowed {
		return eventstore.AppendResult{}, wrong()
	}
	rev := uint64(0)
	if cur.exists {
		rev = cur.rev + 1
	}
	for i := range r.events {
		e := &r.events[i]
		st.head++
		sv := e.SchemaVersion
		if sv == 0 {
			sv = 1
		}
		rec := eventstore.RecordedEvent{ID: e.ID, Stream: r.stream, Revision: rev, Type: e.Type, SchemaVersion: sv, Data: e.Data, Metadata: e.Metadata}
		rec.Metadata.RecordedAt = st.now
		env := eventstore.EncodeEnvelope(&rec)
		h := eventstore.ChainHash(st.lastHash, st.head, env)
		st.lastHash = h[:]
		st.positions = append(st.positions, int64(st.head))
		st.evIDs = append(st.evIDs, e.ID)
		st.streams = append(st.streams, r.stream)
		st.revisions = append(st.revisions, int64(rev))
		st.types = append(st.types, e.Type)
		st.recorded = append(st.recorded, st.now)
		st.envelopes = append(st.envelopes, env)
		st.hashes = append(st.hashes, st.lastHash)
		st.ids[e.ID] = stored{stream: r.stream, revision: rev, position: st.head}
		rev++
	}
	st.revs[r.stream] = streamRev{exists: true, rev: rev - 1}
	return eventstore.AppendResult{Revision: rev - 1, Position: st.head}, nil
}

// idempotent reports whether r repeats an append that was already written:
// its first id is stored in r's stream at the place r would write it, and its
// other ids follow it in order. A first id stored elsewhere, or a partial
// match, is a duplicate; a first id in r's stream at another place than r's
// expected revision says is a bare ErrWrongExpectedVersion.
func (st *batchState) idempotent(r *appendReq) (bool, eventstore.AppendResult, error) {
	first, ok := st.ids[r.events[0].ID]
	if !ok {
		return false, eventstore.AppendResult{}, nil
	}
	dup := &eventstore.DuplicateEventIDError{ID: r.events[0].ID.String(), Stream: first.stream}
	if first.stream != r.stream {
		return false, eventstore.AppendResult{}, dup
	}
	if n, ok := r.expected.ExactRevision(); ok && first.revision != n+1 {
		return false, eventstore.AppendResult{}, eventstore.ErrWrongExpectedVersion
	}
	if r.expected.IsNoStream() && first.revision != 0 {
		return false, eventstore.AppendResult{}, eventstore.ErrWrongExpectedVersion
	}
	var last stored
	for i, e := range r.events {
		k, ok := st.ids[e.ID]
		if !ok || k.stream != r.stream || k.revision != first.revision+uint64(i) {
			return false, eventstore.AppendResult{}, dup
		}
		last = k
	}
	return true, eventstore.AppendResult{Revision: last.revision, Position: last.position}, nil
}
