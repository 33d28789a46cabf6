package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
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
	out, err := s.query(ctx, q, []any{stream, clampInt64(from), sqlLimit(limit)}, limit)
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
	args := make([]any, 0, 6+2*len(filter.StreamPrefixes)+len(filter.EventTypes))
	q.WriteString(`SELECT position, envelope FROM events`)
	lo, hi, rare, err := s.rarePrefix(ctx, from, head, dir, filter)
	if err != nil {
		return nil, 0, fmt.Errorf("read all: %w", err)
	}
	switch {
	case rare:
		// Few events have the prefix: find them in the stream index and
		// sort them, rather than scan the whole log for them.
		q.WriteString(` INDEXED BY events_stream_revision`)
	case !filter.IsEmpty():
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
	if rare {
		q.WriteString(` AND stream >= ? AND stream < ?`)
		args = append(args, lo, hi)
	} else if len(filter.StreamPrefixes) > 0 {
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
	room := limit
	if dir == eventstore.Forward && head >= from && (room <= 0 || head-from < uint64(room)) {
		// No more events than positions up to the head: a live
		// subscription woken by a commit reads a few, and would otherwise
		// allocate room for its whole batch at every commit.
		room = int(head-from) + 1
	}
	out, err := s.query(ctx, q.String(), args, room)
	if err != nil {
		return nil, 0, fmt.Errorf("read all: %w", err)
	}
	through := head
	if limit > 0 && len(out) == limit && dir == eventstore.Forward {
		through = out[len(out)-1].Position
	}
	return out, through, nil
}

// rareScan is the stretch of the log (in positions) from which a forward
// read filtered on one stream prefix first asks whether the prefix is rare;
// a shorter stretch is scanned in position order (it is cheap, and a live
// subscription reads short stretches). rareCount is how many events with the
// prefix, at most, make it rare (then it is read through the stream index
// and sorted). Fields of Store so tests can lower them.
const (
	defaultRareScan  = 1 << 16
	defaultRareCount = 4096
)

// rarePrefix reports whether a read of [from, head] filtered on one stream
// prefix should go through the stream index: a long stretch, and fewer than
// rareCount events in the whole log under the prefix (counted in the index,
// reading at most rareCount entries). Reading the users' few events at
// start then costs milliseconds instead of a scan of the whole log. lo and
// hi bound the prefix's stream names (stream >= lo AND stream < hi).
func (s *Store) rarePrefix(ctx context.Context, from, head uint64, dir eventstore.Direction, filter eventstore.Filter) (lo, hi string, rare bool, err error) {
	if dir != eventstore.Forward || len(filter.StreamPrefixes) != 1 || head < from || head-from < s.rareScan {
		return "", "", false, nil
	}
	lo = filter.StreamPrefixes[0]
	hi, ok := prefixEnd(lo)
	if !ok {
		return "", "", false, nil
	}
	var n int64
	err = s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM events INDEXED BY events_stream_revision WHERE stream >= ? AND stream < ? LIMIT ?)`,
		lo, hi, int64(s.rareCount)).Scan(&n)
	if err != nil {
		return "", "", false, fmt.Errorf("count streams under %q: %w", lo, err)
	}
	return lo, hi, n < int64(s.rareCount), nil
}

// prefixEnd is the least string above every string starting with prefix
// (byte-wise, as SQLite compares TEXT), or false when there is none.
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// query runs a read of events (position, envelope and optionally hash
// columns) on a read connection. It talks to the driver directly rather than
// through database/sql's Scan: the driver hands every blob over as a fresh Go
// copy (go-sqlite3 copies with C.GoBytes), so the envelope is decoded in place
// with no second copy, and the event's strings point into it. That is what
// lets the log be read at over a million events a second. room is how many
// rows the caller expects at most (<= 0: unknown); it sizes the slice.
func (s *Store) query(ctx context.Context, q string, args []any, room int) ([]eventstore.RecordedEvent, error) {
	conn, err := s.rdb.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// A read without a limit is mostly one stream's few events (a command's
	// load, often one or two past the cached state): start small rather
	// than allocate 256 events' room (53 KiB), or even 16 (3.7 KiB, 7% of
	// the HTTP load test's allocation), for each; a read with a limit
	// mostly fills it.
	capHint := room
	switch {
	case capHint <= 0:
		capHint = 4
	case capHint > 16384:
		capHint = 256
	}
	// The room is made at the first row: most reads of a command's stream
	// start after the cached state and find nothing.
	var out []eventstore.RecordedEvent
	err = conn.Raw(func(dc any) error {
		qc, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("driver connection %T cannot query", dc)
		}
		named := make([]driver.NamedValue, len(args))
		for i, a := range args {
			switch v := a.(type) {
			case int:
				a = int64(v)
			}
			named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
		}
		rows, err := qc.QueryContext(ctx, q, named)
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, len(rows.Columns()))
		for {
			if err := rows.Next(dest); err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
			pos, _ := dest[0].(int64)
			env, ok := dest[1].([]byte)
			if !ok {
				return fmt.Errorf("position %d: envelope is %T", pos, dest[1])
			}
			if out == nil {
				out = make([]eventstore.RecordedEvent, 0, capHint)
			}
			out = append(out, eventstore.RecordedEvent{Position: uint64(pos)})
			e := &out[len(out)-1]
			if err := eventstore.DecodeEnvelope(env, e); err != nil {
				return fmt.Errorf("position %d: %w", pos, err)
			}
			if len(dest) > 2 {
				e.Hash, _ = dest[2].([]byte)
			}
			if err := ctx.Err(); err != nil && len(out)%1024 == 0 {
				return err
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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

// readLive is a subscription's read of the next batch from next: from the
// tail when it holds [next, head], else from the database.
func (s *Store) readLive(ctx context.Context, next uint64, filter eventstore.Filter) ([]eventstore.RecordedEvent, uint64, error) {
	if !s.opts.ReadOnly {
		if batch, through, ok := s.tail.read(next, s.head.Load(), subscribeBatch, filter); ok {
			return batch, through, nil
		}
	}
	return s.readAll(ctx, next, eventstore.Forward, subscribeBatch, filter)
}

// Subscribe implements eventstore.Store.
func (s *Store) Subscribe(ctx context.Context, from uint64, filter eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		next := max(from, 1)
		for {
			// Take the wake channel before reading, so a commit between the
			// read and the wait still wakes us.
			wake := s.waitCh()
			batch, through, err := s.readLive(ctx, next, filter)
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
