package postgres

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"remit/eventstore"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// querier is what reads need: the pool, or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Verify walks the whole log in position order, in one snapshot, and checks
// every link of the hash chain exactly as the embedded store does: positions
// run 1, 2, 3… with no gap, each row's columns agree with its envelope, and
// each hash is SHA-256 over the previous hash, the position and the
// envelope. It returns a *ChainError for the first event that was altered,
// removed or reordered. It only reads, so it can run beside live appenders
// (it checks the log as of its snapshot).
func (s *Store) Verify(ctx context.Context) (VerifyReport, error) {
	return verify(ctx, s.pool)
}

func verify(ctx context.Context, q querier) (VerifyReport, error) {
	var rep VerifyReport
	rows, err := q.Query(ctx, `SELECT position, id, stream, revision, type, recorded_at, envelope, hash FROM events ORDER BY position`)
	if err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	defer rows.Close()
	var prev []byte
	var want uint64 = 1
	for rows.Next() {
		var (
			pos, rev    int64
			id          uuid.UUID
			stream, typ string
			at          time.Time
			env, hash   []byte
		)
		if err := rows.Scan(&pos, &id, &stream, &rev, &typ, &at, &env, &hash); err != nil {
			return rep, fmt.Errorf("verify: %w", err)
		}
		p := uint64(pos)
		broken := func(problem string) error {
			return &ChainError{Position: p, EventID: id.String(), Stream: stream, Problem: problem}
		}
		if p != want {
			return rep, broken(fmt.Sprintf("expected position %d next: event(s) %d..%d were removed", want, want, p-1))
		}
		var e eventstore.RecordedEvent
		if err := eventstore.DecodeEnvelope(env, &e); err != nil {
			return rep, broken("envelope cannot be decoded: " + err.Error())
		}
		// recorded_at is kept to the microsecond (timestamptz); the envelope
		// has nanoseconds.
		if e.ID != id || e.Stream != stream || e.Revision != uint64(rev) || e.Type != typ || e.Metadata.RecordedAt.UnixMicro() != at.UnixMicro() {
			return rep, broken("the row's columns disagree with its envelope (altered)")
		}
		h := eventstore.ChainHash(prev, p, env)
		if !bytes.Equal(h[:], hash) {
			return rep, broken("its hash does not match its content and the previous event's hash (altered, reordered, or an earlier event was replaced)")
		}
		prev = hash
		want++
		rep.Events++
		rep.Head = p
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	if rep.Events > 0 {
		rep.HeadHash = hex.EncodeToString(prev)
	}
	return rep, nil
}

// HashAt returns the chain hash stored for the event at position, or nil when
// there is no such event.
func (s *Store) HashAt(ctx context.Context, position uint64) ([]byte, error) {
	var h []byte
	err := s.pool.QueryRow(ctx, `SELECT hash FROM events WHERE position = $1`, clampInt64(position)).Scan(&h)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read hash at %d: %w", position, err)
	}
	return h, nil
}
