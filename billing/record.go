package billing

import (
	"context"
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
	outs, err := HandleBatch(ctx, env, recorder(expected, id), []Command[domain.Event]{{Stream: stream, Command: e, Meta: meta}},
		HandleOptions[int]{textChecked: true})
	if err != nil {
		return Result{}, err
	}
	return outs[0].Result, outs[0].Err
}

// recorder decides to record the event it is given when its stream (of n
// events) satisfies expected.
func recorder(expected eventstore.ExpectedRevision, id uuid.UUID) Decider[int, domain.Event] {
	return Decider[int, domain.Event]{
		Evolve: func(n int, _ domain.Event) int { return n + 1 },
		Decide: func(n int, e domain.Event) ([]domain.Event, error) {
			if !expected.Allows(n > 0, uint64(max(n-1, 0))) {
				return nil, fmt.Errorf("record %s on a stream of %d events: %w", e.EventType(), n, eventstore.ErrWrongExpectedVersion)
			}
			return []domain.Event{e}, nil
		},
		EventID: func(Meta, string, int, domain.Event) uuid.UUID { return id },
	}
}
