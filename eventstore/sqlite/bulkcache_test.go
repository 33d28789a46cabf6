package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"remit/eventstore"
)

// The writer takes its large page cache for a bulk write (a commit of a
// block of appends, as a billing run sends) and gives it back once no bulk
// write came for a while, so a `remit serve` that ran one billing run does
// not keep 256 MiB of pages for the rest of the day; single appends never
// take it.
func TestWriterHoldsTheBulkCacheOnlyWhileBulkWritesCome(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.bulkIdle = 300 * time.Millisecond // before any append reaches the writer
	ev := func() []eventstore.EventData {
		return []eventstore.EventData{{ID: eventstore.NewEventID(), Type: "E", Data: []byte(`{}`), Metadata: eventstore.Metadata{Actor: "test"}}}
	}
	for i := range 20 {
		if _, err := s.Append(ctx, fmt.Sprintf("one-%d", i), eventstore.NoStream, ev()...); err != nil {
			t.Fatal(err)
		}
	}
	if s.bulk.Load() {
		t.Fatal("single appends took the bulk cache")
	}
	block := make([]eventstore.StreamAppend, bulkBatch)
	for i := range block {
		block[i] = eventstore.StreamAppend{Stream: fmt.Sprintf("bulk-%d", i), Expected: eventstore.NoStream, Events: ev()}
	}
	outs, err := s.AppendMany(ctx, block)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if o.Err != nil {
			t.Fatalf("append %d: %v", i, o.Err)
		}
	}
	if !s.bulk.Load() {
		t.Fatal("a block of appends did not take the bulk cache")
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.bulk.Load() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if s.bulk.Load() {
		t.Fatal("the writer kept the bulk cache with no bulk write for 10 s")
	}
	// It still writes afterwards.
	if _, err := s.Append(ctx, "after", eventstore.NoStream, ev()...); err != nil {
		t.Fatal(err)
	}
}
