package sqlite

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"remit/eventstore"
)

// TestReadAllRarePrefix: a read filtered on one stream prefix answers the
// same events, in position order and in the same pages, whether the prefix
// is rare (read through the stream index) or common (scanned in position
// order), over the whole log or a stretch of it, including streams whose
// names sort just past the prefix.
func TestReadAllRarePrefix(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ev := func(typ string) eventstore.EventData {
		return eventstore.EventData{ID: eventstore.NewEventID(), Type: typ, Data: []byte(`{}`), Metadata: eventstore.Metadata{Actor: "test"}}
	}
	// 300 client events with a user event every 37th; "user." and "users-"
	// sort right after "user-" and must not match it.
	for i := range 300 {
		stream := fmt.Sprintf("client-%d", i%20)
		if i%37 == 0 {
			stream = fmt.Sprintf("user-%d", i%3)
		}
		if _, err := s.Append(ctx, stream, eventstore.Any, ev("E")); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			for _, other := range []string{"user.x", "users-1", "use-1"} {
				if _, err := s.Append(ctx, other, eventstore.Any, ev("E")); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	read := func(from uint64, limit int, prefix string) []uint64 {
		var out []uint64
		for {
			evs, err := s.ReadAll(ctx, from, eventstore.Forward, limit, eventstore.Filter{StreamPrefixes: []string{prefix}})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				out = append(out, e.Position)
			}
			if len(evs) < limit {
				return out
			}
			from = evs[len(evs)-1].Position + 1
		}
	}
	for _, prefix := range []string{"user-", "client-"} {
		for _, from := range []uint64{1, 100} {
			s.rareScan, s.rareCount = 1<<62, defaultRareCount // always scanned
			want := read(from, 4, prefix)
			if len(want) == 0 {
				t.Fatalf("%s from %d: nothing read", prefix, from)
			}
			for _, rareCount := range []uint64{5, 1000} { // common, then rare
				s.rareScan, s.rareCount = 10, rareCount
				if got := read(from, 4, prefix); !slices.Equal(got, want) {
					t.Errorf("%s from %d (rare below %d): %v, want %v", prefix, from, rareCount, got, want)
				}
			}
		}
	}
}
