package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"strings"
	"time"

	"remit/eventstore"
)

func timeOf(nanos int64) time.Time { return time.Unix(0, nanos).UTC() }

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, dir eventstore.Direction, limit int) ([]eventstore.RecordedEvent, error) {
	if err := eventstore.ValidateStreamName(stream); err != nil {
		return nil, err
	}
	q := `SELECT position, envelope, hash FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`
	if dir == eventstore.Backward {
		q = `SELECT position, envelope, hash FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`
	}
	rows, err := s.rdb.QueryContext(ctx, q, stream, clampInt64(from), sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	out, err := scanEvents(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	return out, nil
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, from uint64, dir eventstore.Direction, limit int, filter eventstore.Filter) ([]eventstore.RecordedEvent, error) {
	evs, _, err := s.readAll(ctx, from, dir, limit, filter)
	return evs, err
}

// readAll also returns the last position it examined (for forward reads: the
// head it read up to when fewer than limit events matched), so a filtered
// subscription can move past stretches of events that do not match.
func (s *Store) readAll(ctx context.Context, from uint64, dir eventstore.Direction, limit int, filter eventstore.Filter) ([]eventstore.RecordedEvent, uint64, error) {
	head, err := s.Head(ctx)
	if err != nil {
		return nil, 0, err
	}
	var q strings.Builder
	args := make([]any, 0, 4+2*len(filter.StreamPrefixes)+len(filter.EventTypes))
	q.WriteString(`SELECT position, envelope, hash FROM events`)
	if !filter.IsEmpty() {
		// Keep the scan on the position order; the stream index would make
		// SQLite sort.
		q.WriteString(` NOT INDEXED`)
	}
	if dir == eventstore.Backward {
		q.WriteString(` WHERE position <= ?`)
		args = append(args, clampInt64(from))
	} else {
		q.WriteString(` WHERE position >= ? AND position <= ?`)
		args = append(args, clampInt64(from), int64(head))
	}
	if len(filter.StreamPrefixes) > 0 {
		q.WriteString(` AND (`)
		for i, p := range filter.StreamPrefixes {
			if i > 0 {
				q.WriteString(` OR `)
			}
			q.WriteString(`substr(stream, 1, ?) = ?`)
			args = append(args, len(p), p)
		}
		q.WriteString(`)`)
	}
	if len(filter.EventTypes) > 0 {
		q.WriteString(` AND type IN (?` + strings.Repeat(`, ?`, len(filter.EventTypes)-1) + `)`)
		for _, t := range filter.EventTypes {
			args = append(args, t)
		}
	}
	if dir == eventstore.Backward {
		q.WriteString(` ORDER BY position DESC LIMIT ?`)
	} else {
		q.WriteString(` ORDER BY position LIMIT ?`)
	}
	args = append(args, sqlLimit(limit))
	rows, err := s.rdb.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("read all: %w", err)
	}
	out, err := scanEvents(rows, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("read all: %w", err)
	}
	through := head
	if limit > 0 && len(out) == limit && dir == eventstore.Forward {
		through = out[len(out)-1].Position
	}
	return out, through, nil
}

func scanEvents(rows *sql.Rows, limit int) ([]eventstore.RecordedEvent, error) {
	defer rows.Close()
	capHint := limit
	if capHint <= 0 || capHint > 4096 {
		capHint = 64
	}
	out := make([]eventstore.RecordedEvent, 0, capHint)
	var env, hash sql.RawBytes
	var pos int64
	for rows.Next() {
		if err := rows.Scan(&pos, &env, &hash); err != nil {
			return nil, err
		}
		// One allocation holds the envelope and the hash; the event's strings
		// and data point into it.
		buf := make([]byte, len(env)+len(hash))
		copy(buf, env)
		copy(buf[len(env):], hash)
		out = append(out, eventstore.RecordedEvent{Position: uint64(pos)})
		e := &out[len(out)-1]
		if err := eventstore.DecodeEnvelope(buf[:len(env):len(env)], e); err != nil {
			return nil, fmt.Errorf("position %d: %w", pos, err)
		}
		e.Hash = buf[len(env):]
	}
	return out, rows.Err()
}

func clampInt64(v uint64) int64 {
	if v > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(v)
}

func sqlLimit(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// subscribeBatch is how many events a subscription reads per query.
const subscribeBatch = 512

// Subscribe implements eventstore.Store.
func (s *Store) Subscribe(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		next := max(from, 1)
		for {
			// Take the wake channel before reading, so a commit between the
			// read and the wait still wakes us.
			wake := s.waitCh()
			batch, through, err := s.readAll(ctx, next, eventstore.Forward, subscribeBatch, filter)
			if err != nil {
				if ctx.Err() != nil {
					err = ctx.Err()
				}
				yield(eventstore.RecordedEvent{}, err)
				return
			}
			for _, e := range batch {
				if !yield(e, nil) {
					return
				}
			}
			if through+1 > next {
				next = through + 1
			}
			if len(batch) == subscribeBatch {
				continue
			}
			select {
			case <-ctx.Done():
				yield(eventstore.RecordedEvent{}, ctx.Err())
				return
			case <-s.done:
				yield(eventstore.RecordedEvent{}, eventstore.ErrClosed)
				return
			case <-wake:
			}
		}
	}
}
