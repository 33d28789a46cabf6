package billing

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"remit/domain"
	"remit/eventstore"
)

// Record appends one event a process manager decided itself (an email's
// queueing or outcome, a ledger push's outcome, a reconciliation) through
// the command handler, so its envelope is built like every other: the
// stream is read, and the event is recorded only when the stream satisfies
// expected, else refused with an error wrapping
// eventstore.ErrWrongExpectedVersion (another process recorded first); the
// append expects the revision read, and a conflict is decided again. The
// event is named id (a process derives it from what it records): with
// expected eventstore.Any the same record made twice is answered as already
// applied; with another expected revision the repeat is refused like any
// other, since the first one moved the stream. Its text is
// recorded as the process has it (an error message from a ledger or a mail
// server is not refused for looking like a card number, as the same text
// typed into a command would be).
func Record(ctx context.Context, env Env, stream string, expected eventstore.ExpectedRevision, id uuid.UUID, e domain.Event, meta Meta) (Result, error) {
	return RecordAll(ctx, env, stream, expected, []uuid.UUID{id}, []domain.Event{e}, meta)
}

// RecordAll is Record for several events recorded in one append (all or
// none), the i-th named ids[i]: a process's record too big for one event
// (a payout's thousands of lines) is recorded in parts.
func RecordAll(ctx context.Context, env Env, stream string, expected eventstore.ExpectedRevision, ids []uuid.UUID, events []domain.Event, meta Meta) (Result, error) {
	if len(ids) != len(events) || len(events) == 0 {
		return Result{}, domain.Errorf(domain.EINTERNAL, "record %s: %d events named by %d ids", stream, len(events), len(ids))
	}
	outs, err := HandleBatch(ctx, env, recorder(expected, func(string) []uuid.UUID { return ids }), []Command[[]domain.Event]{{Stream: stream, Command: events, Meta: meta}},
		HandleOptions[int]{textChecked: true})
	if err != nil {
		return Result{}, err
	}
	return outs[0].Result, outs[0].Err
}

// RecordNew is RecordAll on a stream expected not to exist
// (eventstore.NoStream) without reading it first: the append itself expects
// no stream, so a stream someone made meanwhile is refused by the store,
// then read and decided again as RecordAll would (refused with an error
// wrapping eventstore.ErrWrongExpectedVersion); the same record made again
// (its ids, in order, at the stream's start) is answered by the store as
// made, and stores nothing more. A process that names each
// record's stream afresh (an email's) saves a read per record.
func RecordNew(ctx context.Context, env Env, stream string, ids []uuid.UUID, events []domain.Event, meta Meta) (Result, error) {
	res, errs, err := RecordNewMany(ctx, env, []NewRecord{{Stream: stream, IDs: ids, Events: events, Meta: meta}})
	if err != nil {
		return Result{}, err
	}
	return res[0], errs[0]
}

// NewRecord is one record of RecordNewMany: Events, the i-th named IDs[i],
// on the new stream Stream.
type NewRecord struct {
	Stream string
	IDs    []uuid.UUID
	Events []domain.Event
	Meta   Meta
}

// RecordNewMany is RecordNew for records on many streams, appended in one
// request to the store (eventstore.AppendMany: one synced commit for all):
// results[i] and errs[i] are what RecordNew would have answered for
// recs[i]. A stream named twice is refused the second time. The error
// return is ctx's.
func RecordNewMany(ctx context.Context, env Env, recs []NewRecord) (results []Result, errs []error, err error) {
	results, errs = make([]Result, len(recs)), make([]error, len(recs))
	ids := make(map[string][]uuid.UUID, len(recs))
	cmds := make([]Command[[]domain.Event], 0, len(recs))
	var at []int // the record of each command
	for i, r := range recs {
		_, twice := ids[r.Stream]
		switch {
		case len(r.IDs) != len(r.Events) || len(r.Events) == 0:
			errs[i] = domain.Errorf(domain.EINTERNAL, "record %s: %d events named by %d ids", r.Stream, len(r.Events), len(r.IDs))
			continue
		case twice:
			errs[i] = domain.Errorf(domain.EINTERNAL, "record %s: the stream is named twice in one group of new records", r.Stream)
			continue
		}
		ids[r.Stream] = r.IDs
		cmds, at = append(cmds, Command[[]domain.Event]{Stream: r.Stream, Command: r.Events, Meta: r.Meta}), append(at, i)
	}
	if len(cmds) == 0 {
		return results, errs, nil
	}
	outs, err := HandleBatch(ctx, env, recorder(eventstore.NoStream, func(stream string) []uuid.UUID { return ids[stream] }), cmds,
		HandleOptions[int]{textChecked: true, Known: func(string) (int, uint64, bool, bool) { return 0, 0, false, true }})
	if err != nil {
		return nil, nil, err
	}
	for j, i := range at {
		r, out := recs[i], outs[j]
		if out.AlreadyApplied || out.Err != nil && !errors.Is(out.Err, eventstore.ErrWrongExpectedVersion) {
			// Part of the record is there already (its first ids, from an
			// earlier try that recorded less): the store refuses the append as
			// a reuse of its ids, and the handler takes the stream for the
			// record made. Read first, as RecordAll does, for the answer it
			// gives: the stream is not new.
			results[i], errs[i] = RecordAll(ctx, env, r.Stream, eventstore.NoStream, r.IDs, r.Events, r.Meta)
			continue
		}
		results[i], errs[i] = out.Result, out.Err
	}
	return results, errs, nil
}

// recorder decides to record the events it is given when their stream (of
// n events) satisfies expected.
func recorder(expected eventstore.ExpectedRevision, ids func(stream string) []uuid.UUID) Decider[int, []domain.Event] {
	return Decider[int, []domain.Event]{
		Evolve: func(n int, _ domain.Event) int { return n + 1 },
		Decide: func(n int, es []domain.Event) ([]domain.Event, error) {
			if !expected.Allows(n > 0, uint64(max(n-1, 0))) {
				return nil, fmt.Errorf("record %s on a stream of %d events: %w", es[0].EventType(), n, eventstore.ErrWrongExpectedVersion)
			}
			return es, nil
		},
		EventID: func(_ Meta, stream string, i int, _ domain.Event) uuid.UUID { return ids(stream)[i] },
	}
}
