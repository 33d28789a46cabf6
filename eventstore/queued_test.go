package eventstore_test

import (
	"context"
	"errors"
	"testing"

	"remit/eventstore"
)

// refusingStore is a store without a queue of its own whose appends all
// fail, as an append another process's append beat does.
type refusingStore struct{ eventstore.Store }

func (refusingStore) Append(context.Context, string, eventstore.ExpectedRevision, ...eventstore.EventData) (eventstore.AppendResult, error) {
	return eventstore.AppendResult{}, eventstore.ErrWrongExpectedVersion
}

// On a store without a queue, a failed append never calls queued: the
// caller must not decide its next append from one that did not happen
// (TestTwoServersOnPostgres saw a gap in invoice numbers when it did).
func TestAppendQueuedCallsQueuedOnlyAfterASuccess(t *testing.T) {
	called := false
	_, err := eventstore.AppendQueued(context.Background(), refusingStore{}, "numbering-invoices", eventstore.Exact(3), func() { called = true },
		eventstore.EventData{ID: eventstore.NewEventID(), Type: "E", Data: []byte(`{}`)})
	if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("err %v, want the store's", err)
	}
	if called {
		t.Fatal("queued was called after a failed append")
	}
}
