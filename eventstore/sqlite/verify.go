package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"remit/eventstore"
)

// VerifyReport is the outcome of a successful chain walk.
type VerifyReport = eventstore.VerifyReport

// ChainError names the first event at which the chain breaks.
type ChainError = eventstore.ChainError

// Verify walks the whole log in position order and checks every link of the
// hash chain (eventstore.VerifyChain): positions run 1, 2, 3… with no gap,
// each row's indexed columns agree with its envelope, and each hash equals
// SHA-256 over the previous hash, the position and the envelope. It returns a
// *ChainError for the first event that was altered, removed or reordered.
func (s *Store) Verify(ctx context.Context) (VerifyReport, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT position, id, stream, revision, type, recorded_at, envelope, hash FROM events ORDER BY position`)
	if err != nil {
		return VerifyReport{}, fmt.Errorf("verify: %w", err)
	}
	defer rows.Close()
	return eventstore.VerifyChain(func(yield func(eventstore.ChainRow, error) bool) {
		for rows.Next() {
			var pos, rev, at int64
			var r eventstore.ChainRow
			if err := rows.Scan(&pos, &r.ID, &r.Stream, &rev, &r.Type, &at, &r.Envelope, &r.Hash); err != nil {
				yield(r, fmt.Errorf("verify: %w", err))
				return
			}
			r.Position, r.Revision, r.RecordedAt = uint64(pos), uint64(rev), time.Unix(0, at)
			if !yield(r, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(eventstore.ChainRow{}, fmt.Errorf("verify: %w", err))
		}
	}, time.Nanosecond)
}

// HashAt returns the chain hash stored for the event at position, or nil when
// there is no such event.
func (s *Store) HashAt(ctx context.Context, position uint64) ([]byte, error) {
	var h []byte
	err := s.rdb.QueryRowContext(ctx, `SELECT hash FROM events WHERE position = ?`, clampInt64(position)).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read hash at %d: %w", position, err)
	}
	return h, nil
}
