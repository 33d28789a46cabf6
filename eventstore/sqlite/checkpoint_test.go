package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"remit/eventstore"
)

// TestWriterCheckpointsBetweenCommitsSoTheWALIsReused: a checkpoint the
// checkpointer asks of the writer runs between two commits, copies the whole
// WAL, and the next commit starts the WAL again from its beginning, so under
// a steady stream of commits with a checkpoint now and then the WAL file
// stays about one interval's commits long instead of growing by each.
func TestWriterCheckpointsBetweenCommitsSoTheWALIsReused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	data := fmt.Appendf(nil, `{"pad":%q}`, strings.Repeat("x", 4000))
	commits := func(n int) {
		t.Helper()
		for range n {
			e := eventstore.EventData{ID: eventstore.NewEventID(), Type: "Padded", Data: data}
			if _, err := s.Append(ctx, "pad-"+e.ID.String(), eventstore.NoStream, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	walSize := func() int64 {
		t.Helper()
		fi, err := os.Stat(filepath.Join(dir, FileName+"-wal"))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	commits(100)
	round := walSize() // about 100 commits of a few pages each
	for range 10 {
		select {
		case s.ckptReq <- struct{}{}:
		case <-time.After(10 * time.Second):
			t.Fatal("the writer takes no checkpoint request")
		}
		commits(100)
	}
	if got := walSize(); got > 3*round {
		t.Errorf("after 11 rounds of 100 commits, a checkpoint between each, the WAL is %d bytes; one round made it %d: it is not reused", got, round)
	}
}
