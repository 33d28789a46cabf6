package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"remit/eventstore"

	"github.com/jackc/pgx/v5"
)

// Source is an event log ImportFrom can copy: the embedded store
// (*sqlite.Store, opened read-only or not) is one.
type Source interface {
	ReadAll(ctx context.Context, from uint64, dir eventstore.Direction, limit int, filter eventstore.Filter) ([]eventstore.RecordedEvent, error)
	HashAt(ctx context.Context, position uint64) ([]byte, error)
	Verify(ctx context.Context) (VerifyReport, error)
}

// ErrTargetNotEmpty is returned by ImportFrom when the target already holds
// events.
var ErrTargetNotEmpty = errors.New("target event store is not empty")

// importPage is how many events ImportFrom reads and copies at a time.
const importPage = 10_000

// ImportFrom copies every event of src into dst, event for event: the same
// ids, streams, revisions, envelopes, positions and chain hashes. It first
// verifies src's chain; then, in one transaction holding the append lock, it
// refuses a target that holds any event (ErrTargetNotEmpty), copies the
// events (COPY, a page at a time, checking at the end of each page that the
// chain hash it computed equals src's), verifies the copied chain inside the
// transaction and commits only if it ends at src's head hash. So dst ends
// either empty or an exact, verified copy, and the returned report equals
// src's. Stop writers to src first: events appended to it after its verify
// are not copied.
func ImportFrom(ctx context.Context, src Source, dst *Store) (VerifyReport, error) {
	srcRep, err := src.Verify(ctx)
	if err != nil {
		return VerifyReport{}, fmt.Errorf("import: the source does not verify: %w", err)
	}
	conn, err := dst.pool.Acquire(ctx)
	if err != nil {
		return VerifyReport{}, fmt.Errorf("import: %w", err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return VerifyReport{}, fmt.Errorf("import: %w", err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, appendLockKey); err != nil {
		return VerifyReport{}, fmt.Errorf("import: lock: %w", err)
	}
	var nonEmpty bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events)`).Scan(&nonEmpty); err != nil {
		return VerifyReport{}, fmt.Errorf("import: %w", err)
	}
	if nonEmpty {
		return VerifyReport{}, fmt.Errorf("import: %w: it must hold no events", ErrTargetNotEmpty)
	}
	cols := []string{"position", "id", "stream", "revision", "type", "recorded_at", "envelope", "hash"}
	var prev []byte
	next := uint64(1)
	for next <= srcRep.Head {
		evs, err := src.ReadAll(ctx, next, eventstore.Forward, importPage, eventstore.Filter{})
		if err != nil {
			return VerifyReport{}, fmt.Errorf("import: read source at %d: %w", next, err)
		}
		if len(evs) == 0 {
			return VerifyReport{}, fmt.Errorf("import: the source ends at %d, before its verified head %d", next-1, srcRep.Head)
		}
		rows := make([][]any, 0, len(evs))
		for i := range evs {
			e := &evs[i]
			if e.Position > srcRep.Head {
				break
			}
			if e.Position != next {
				return VerifyReport{}, fmt.Errorf("import: the source skips from %d to %d", next-1, e.Position)
			}
			env := eventstore.EncodeEnvelope(e)
			h := eventstore.ChainHash(prev, e.Position, env)
			prev = h[:]
			rows = append(rows, []any{int64(e.Position), e.ID, e.Stream, int64(e.Revision), e.Type, e.Metadata.RecordedAt, env, prev})
			next++
		}
		// The chain links every hash to all before it, so one comparison per
		// page proves the whole page was copied byte for byte.
		want, err := src.HashAt(ctx, next-1)
		if err != nil {
			return VerifyReport{}, fmt.Errorf("import: %w", err)
		}
		if !bytes.Equal(want, prev) {
			return VerifyReport{}, fmt.Errorf("import: the copy's chain hash at position %d differs from the source's", next-1)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, cols, pgx.CopyFromRows(rows)); err != nil {
			return VerifyReport{}, fmt.Errorf("import: copy up to position %d: %w", next-1, err)
		}
	}
	rep, err := verify(ctx, tx)
	if err != nil {
		return VerifyReport{}, fmt.Errorf("import: the copy does not verify: %w", err)
	}
	if rep != srcRep {
		return VerifyReport{}, fmt.Errorf("import: the copy verifies as %+v, the source as %+v", rep, srcRep)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, Channel, strconv.FormatUint(rep.Head, 10)); err != nil {
		return VerifyReport{}, fmt.Errorf("import: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return VerifyReport{}, fmt.Errorf("import: commit: %w", err)
	}
	dst.broadcast()
	return rep, nil
}
