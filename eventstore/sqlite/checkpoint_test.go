package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
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

// TestCheckpointRoundLeavesTheWriterLittleToCopy: a checkpoint round copies
// the WAL beside the commits first, so the writer's turn, which holds up
// the appends, copies only what came in meanwhile; and rounds between
// commits still have the WAL reused from its start.
func TestCheckpointRoundLeavesTheWriterLittleToCopy(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := openEvery(dir, Options{}, time.Hour) // no round but the test's
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	data := fmt.Appendf(nil, `{"pad":%q}`, strings.Repeat("x", 4000))
	appendOne := func() error {
		e := eventstore.EventData{ID: eventstore.NewEventID(), Type: "Padded", Data: data}
		_, err := s.Append(ctx, "pad-"+e.ID.String(), eventstore.NoStream, e)
		return err
	}
	commits := func(n int) {
		t.Helper()
		for range n {
			if err := appendOne(); err != nil {
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
	round := walSize()
	for range 10 {
		beside, turn, ok := s.checkpointRound()
		if !ok {
			t.Fatal("the writer took no checkpoint request")
		}
		if beside == 0 || turn != 0 {
			t.Fatalf("with no commit under way, a round copied %d frames beside the commits and %d in the writer's turn; want all beside", beside, turn)
		}
		commits(100)
	}
	if got := walSize(); got > 3*round {
		t.Errorf("after 11 rounds of 100 commits, a checkpoint round between each, the WAL is %d bytes; one round made it %d: it is not reused", got, round)
	}

	// Under a steady stream of commits from 8 appenders.
	stop := make(chan struct{})
	var n atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := appendOne(); err != nil {
					t.Error(err)
					return
				}
				n.Add(1)
			}
		})
	}
	for n.Load() < 500 {
		time.Sleep(time.Millisecond)
	}
	beside, turn, ok := s.checkpointRound()
	close(stop)
	wg.Wait()
	if !ok {
		t.Fatal("the writer took no checkpoint request")
	}
	if turn >= beside {
		t.Errorf("under steady commits a round copied %d frames beside them and %d in the writer's turn: the turn should copy only what came in during the last pass beside", beside, turn)
	}
}
