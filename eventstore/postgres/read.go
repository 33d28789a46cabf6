package postgres

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"remit/eventstore"

	"github.com/jackc/pgx/v5"
)

// ReadStream implements eventstore.Store. Events carry their chain hash.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, dir eventstore.Direction, limit int) ([]eventstore.RecordedEvent, error) {
	if err := eventstore.ValidateStreamName(stream); err != nil {
		return nil, err
	}
	q := `SELECT position, envelope, hash FROM events WHERE stream = $1 AND revision >= $2 ORDER BY revision LIMIT $3`
	if dir == eventstore.Backward {
		q = `SELECT position, envelope, hash FROM events WHERE stream = $1 AND revision <= $2 ORDER BY revision DESC LIMIT $3`
	}
	rows, err := s.pool.Query(ctx, q, stream, clampInt64(from), sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	out, err := scanEvents(ctx, rows, limit, true)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	return out, nil
}

// ReadAll implements eventstore.Store. Events leave Hash nil.
func (s *Store) ReadAll(ctx context.Context, from uint64, dir eventstore.Direction, limit int, filter eventstore.Filter) ([]eventstore.RecordedEvent, error) {
	evs, _, err := s.readAll(ctx, from, dir, limit, filter)
	return evs, err
}

// readAll also returns, for forward reads, the last position it examined: a
// filtered read that matched fewer than limit events has examined the log up
// to the head, so a subscription can move past stretches that do not match.
//
// Reading position > n is safe without any further bound because positions
// are assigned in commit order (see the package doc): a snapshot that holds
// position n holds every position below it.
func (s *Store) readAll(ctx context.Context, from uint64, dir eventstore.Direction, limit int, filter eventstore.Filter) ([]eventstore.RecordedEvent, uint64, error) {
	var q strings.Builder
	args := []any{clampInt64(from)}
	q.WriteString(`SELECT position, envelope FROM events WHERE position `)
	if dir == eventstore.Backward {
		q.WriteString(`<= $1`)
	} else {
		q.WriteString(`>= $1`)
	}
	if len(filter.StreamPrefixes) > 0 {
		args = append(args, filter.StreamPrefixes)
		fmt.Fprintf(&q, ` AND stream ^@ ANY($%d::text[])`, len(args))
	}
	if len(filter.EventTypes) > 0 {
		args = append(args, filter.EventTypes)
		fmt.Fprintf(&q, ` AND type = ANY($%d::text[])`, len(args))
	}
	if dir == eventstore.Backward {
		q.WriteString(` ORDER BY position DESC`)
	} else {
		q.WriteString(` ORDER BY position`)
	}
	args = append(args, sqlLimit(limit))
	fmt.Fprintf(&q, ` LIMIT $%d`, len(args))

	var head int64
	var rows pgx.Rows
	var br pgx.BatchResults
	if filter.IsEmpty() || dir == eventstore.Backward {
		var err error
		if rows, err = s.pool.Query(ctx, q.String(), args...); err != nil {
			return nil, 0, fmt.Errorf("read all: %w", err)
		}
	} else {
		// The head first, then the events, each with its own snapshot: the
		// events' snapshot is the later one, so it holds everything up to
		// that head.
		b := &pgx.Batch{}
		b.Queue(`SELECT coalesce(max(position), 0) FROM events`)
		b.Queue(q.String(), args...)
		br = s.pool.SendBatch(ctx, b)
		defer br.Close()
		if err := br.QueryRow().Scan(&head); err != nil {
			return nil, 0, fmt.Errorf("read all: head: %w", err)
		}
		var err error
		if rows, err = br.Query(); err != nil {
			return nil, 0, fmt.Errorf("read all: %w", err)
		}
	}
	out, err := scanEvents(ctx, rows, limit, false)
	if err != nil {
		return nil, 0, fmt.Errorf("read all: %w", err)
	}
	if br != nil {
		if err := br.Close(); err != nil {
			return nil, 0, fmt.Errorf("read all: %w", err)
		}
	}
	through := max(from, 1) - 1
	if len(out) > 0 {
		through = out[len(out)-1].Position
	}
	if !filter.IsEmpty() && (limit <= 0 || len(out) < limit) {
		through = max(through, uint64(head))
	}
	return out, through, nil
}

// scanEvents decodes rows of (position, envelope[, hash]). The envelope's
// bytes are copied once out of the connection's buffer and decoded in place
// (the event's strings and data point into that copy).
func scanEvents(ctx context.Context, rows pgx.Rows, limit int, withHash bool) ([]eventstore.RecordedEvent, error) {
	defer rows.Close()
	capHint := limit
	if capHint <= 0 || capHint > 16384 {
		capHint = 256
	}
	out := make([]eventstore.RecordedEvent, 0, capHint)
	for rows.Next() {
		raw := rows.RawValues()
		if len(raw) < 2 || len(raw[0]) != 8 {
			return nil, fmt.Errorf("unexpected row shape")
		}
		pos := beUint64(raw[0])
		env := make([]byte, len(raw[1]))
		copy(env, raw[1])
		out = append(out, eventstore.RecordedEvent{Position: pos})
		e := &out[len(out)-1]
		if err := eventstore.DecodeEnvelope(env, e); err != nil {
			return nil, fmt.Errorf("position %d: %w", pos, err)
		}
		if withHash && len(raw) > 2 {
			e.Hash = append([]byte(nil), raw[2]...)
		}
		if len(out)%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// beUint64 reads a bigint in PostgreSQL's binary format (big-endian).
func beUint64(b []byte) uint64 {
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

func clampInt64(v uint64) int64 {
	if v > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(v)
}

// sqlLimit turns "no limit" into NULL, which PostgreSQL's LIMIT reads as
// none.
func sqlLimit(limit int) *int64 {
	if limit <= 0 {
		return nil
	}
	l := int64(limit)
	return &l
}

// subscribeBatch is how many events a subscription reads per query.
const subscribeBatch = 1024

// Subscribe implements eventstore.Store. It reads the table in batches from
// the position after the last one it delivered, and waits for a commit by
// this Store, a notification from another process, a reconnection of the
// listener or the poll interval before reading again. When a read fails
// because its connection was lost, it backs off and reads again from the
// same position, for up to Options.RetryFor.
func (s *Store) Subscribe(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		next := max(from, 1)
		var failingSince time.Time
		backoff := 10 * time.Millisecond
		for {
			// Take the wake channel before reading, so a commit between the
			// read and the wait still wakes us.
			wake := s.waitCh()
			batch, through, err := s.readAll(ctx, next, eventstore.Forward, subscribeBatch, filter)
			if err != nil {
				select {
				case <-s.done:
					yield(eventstore.RecordedEvent{}, eventstore.ErrClosed)
					return
				default:
				}
				if ctx.Err() != nil {
					yield(eventstore.RecordedEvent{}, ctx.Err())
					return
				}
				if failingSince.IsZero() {
					failingSince = time.Now()
				}
				if !isTransient(err) || time.Since(failingSince) > s.opts.RetryFor {
					yield(eventstore.RecordedEvent{}, fmt.Errorf("subscription at position %d: %w", next, err))
					return
				}
				if !s.sleep(ctx, backoff) {
					yield(eventstore.RecordedEvent{}, s.stopErr(ctx))
					return
				}
				backoff = min(2*backoff, 2*time.Second)
				continue
			}
			failingSince, backoff = time.Time{}, 10*time.Millisecond
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
			poll := time.NewTimer(s.opts.PollInterval)
			select {
			case <-ctx.Done():
				poll.Stop()
				yield(eventstore.RecordedEvent{}, ctx.Err())
				return
			case <-s.done:
				poll.Stop()
				yield(eventstore.RecordedEvent{}, eventstore.ErrClosed)
				return
			case <-wake:
				poll.Stop()
			case <-poll.C:
			}
		}
	}
}

// sleep waits for d unless ctx ends or the store closes first.
func (s *Store) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

func (s *Store) stopErr(ctx context.Context) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return eventstore.ErrClosed
}
