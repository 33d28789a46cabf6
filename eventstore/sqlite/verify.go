package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"remit/eventstore"

	"github.com/google/uuid"
)

// VerifyReport is the outcome of a successful chain walk.
type VerifyReport struct {
	Events   uint64 // events checked
	Head     uint64 // last position
	HeadHash string // hex hash of the last event: record it elsewhere to detect a truncated tail later
}

// ChainError names the first event at which the chain breaks.
type ChainError struct {
	Position uint64
	EventID  string
	Stream   string
	Problem  string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("hash chain broken at position %d (event %s in %s): %s", e.Position, e.EventID, e.Stream, e.Problem)
}

// Verify walks the whole log in position order and checks every link of the
// hash chain: positions run 1, 2, 3… with no gap, each row's indexed columns
// agree with its envelope, and each hash equals SHA-256 over the previous
// hash, the position and the envelope. It returns a *ChainError for the first
// event that was altered, removed or reordered.
func (s *Store) Verify(ctx context.Context) (VerifyReport, error) {
	var rep VerifyReport
	rows, err := s.rdb.QueryContext(ctx, `SELECT position, id, stream, revision, type, recorded_at, envelope, hash FROM events ORDER BY position`)
	if err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	defer rows.Close()
	var prev []byte
	var want uint64 = 1
	for rows.Next() {
		var pos, rev, at int64
		var id, env, hash []byte
		var stream, typ string
		if err := rows.Scan(&pos, &id, &stream, &rev, &typ, &at, &env, &hash); err != nil {
			return rep, fmt.Errorf("verify: %w", err)
		}
		p := uint64(pos)
		idStr := fmt.Sprintf("%x", id)
		if u, err := uuid.FromBytes(id); err == nil {
			idStr = u.String()
		}
		broken := func(problem string) error {
			return &ChainError{Position: p, EventID: idStr, Stream: stream, Problem: problem}
		}
		if p != want {
			return rep, broken(fmt.Sprintf("expected position %d next: event(s) %d..%d were removed", want, want, p-1))
		}
		var e eventstore.RecordedEvent
		if err := eventstore.DecodeEnvelope(env, &e); err != nil {
			return rep, broken("envelope cannot be decoded: " + err.Error())
		}
		if !bytes.Equal(e.ID[:], id) || e.Stream != stream || e.Revision != uint64(rev) || e.Type != typ || e.Metadata.RecordedAt.UnixNano() != at {
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
	err := s.rdb.QueryRowContext(ctx, `SELECT hash FROM events WHERE position = ?`, clampInt64(position)).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read hash at %d: %w", position, err)
	}
	return h, nil
}
