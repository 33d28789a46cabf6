package eventstore_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"remit/eventstore"
)

// TestValidateAppendFindsRepeatedIDs checks that an id given twice in one
// append is refused, naming both events, in a short append (ids compared
// pairwise) and a long one (a map), and that a valid append passes.
func TestValidateAppendFindsRepeatedIDs(t *testing.T) {
	for _, n := range []int{2, 5, 9, 40} {
		events := make([]eventstore.EventData, n)
		for i := range events {
			events[i] = eventstore.EventData{ID: uuid.New(), Type: "Happened", Data: []byte(`{}`)}
		}
		if err := eventstore.ValidateAppend("thing-1", events, 0); err != nil {
			t.Fatalf("%d events: %v", n, err)
		}
		events[n-1].ID = events[0].ID
		var ie *eventstore.InvalidError
		err := eventstore.ValidateAppend("thing-1", events, 0)
		if !errors.As(err, &ie) || ie.Field != "events["+itoa(n-1)+"].id" || ie.Reason != "event id "+events[0].ID.String()+" appears twice in one append (also events[0])" {
			t.Errorf("%d events, the last repeating the first: %v", n, err)
		}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
