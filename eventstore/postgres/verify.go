package postgres

import (
	"context"
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
// every link of the hash chain exactly as the embedded store does
// (eventstore.VerifyChain): positions
// run 1, 2, 3… with no gap, each row's columns agree with its envelope, and
// each hash is SHA-256 over the previous hash, the position and the
// envelope. It returns a *ChainError for the first event that was altered,
// removed or reordered. It only reads, so it can run beside live appenders
// (it checks the log as of its snapshot).
func (s *Store) Verify(ctx context.Context) (VerifyReport, error) {
	return verify(ctx, s.pool)
}

func verify(ctx context.Context, q querier) (VerifyReport, error) {
	rows, err := q.Query(ctx, `SELECT position, id, stream, revision, type, recorded_at, envelope, hash FROM events ORDER BY position`)
	if err != nil {
		return VerifyReport{}, fmt.Errorf("verify: %w", err)
	}
	defer rows.Close()
	// recorded_at is kept to the microsecond (timestamptz); the envelope has
	// nanoseconds.
	return eventstore.VerifyChain(func(yield func(eventstore.ChainRow, error) bool) {
		for rows.Next() {
			var pos, rev int64
			var id uuid.UUID
			var r eventstore.ChainRow
			if err := rows.Scan(&pos, &id, &r.Stream, &rev, &r.Type, &r.RecordedAt, &r.Envelope, &r.Hash); err != nil {
				yield(r, fmt.Errorf("verify: %w", err))
				return
			}
			r.Position, r.Revision, r.ID = uint64(pos), uint64(rev), id[:]
			if !yield(r, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(eventstore.ChainRow{}, fmt.Errorf("verify: %w", err))
		}
	}, time.Microsecond)
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
