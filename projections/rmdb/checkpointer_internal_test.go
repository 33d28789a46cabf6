package rmdb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestLiveCommitsAreCheckpointedInTheBackground: outside a fill the writer's
// commits never checkpoint (wal_autocheckpoint 0; a fill's is 16,384 pages),
// and the checkpointer folds what they wrote into the database file on its
// own connection, with no checkpoint asked for by anyone else.
func TestLiveCommitsAreCheckpointedInTheBackground(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rm.db")
	db, err := openSQLiteEvery(path, "_synchronous=NORMAL&_secure_delete=on", 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	autocheckpoint := func() int64 {
		t.Helper()
		var n int64
		if err := db.WriteTx(ctx, func(tx *Tx) error {
			tx.QueryRow("PRAGMA wal_autocheckpoint", nil, &n)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	db.SetFilling(true)
	if got := autocheckpoint(); got != 16384 {
		t.Errorf("filling: the writer checkpoints every %d pages, want 16384", got)
	}
	db.SetFilling(false)
	if got := autocheckpoint(); got != 0 {
		t.Errorf("live: the writer checkpoints every %d pages, want never (0)", got)
	}

	size := func() int64 {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	if err := db.WriteTx(ctx, func(tx *Tx) error {
		tx.Exec(`CREATE TABLE things (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	row := strings.Repeat("x", 1000)
	for i := range 20 { // 20 commits, about 2 MB: far below 16,384 pages
		if err := db.WriteTx(ctx, func(tx *Tx) error {
			for j := range 100 {
				tx.Exec(`INSERT INTO things (k, v) VALUES (?, ?)`, i*100+j, row)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	waitForCheckpoint := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for size() < want {
			if time.Now().After(deadline) {
				t.Fatalf("the database file is %d bytes 10 s after 2 MB were committed (%d before): nothing checkpointed the WAL", size(), before)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitForCheckpoint(before + 1<<20)

	// Checkpointed between two transactions, the WAL is reused from its
	// start by the next: rounds of 100 kB each leave it about one round
	// long, not ten.
	walSize := func() int64 {
		t.Helper()
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	first := walSize()
	for i := range 10 {
		at := size()
		if err := db.WriteTx(ctx, func(tx *Tx) error {
			for j := range 100 {
				tx.Exec(`INSERT INTO things (k, v) VALUES (?, ?)`, 10000+i*100+j, row)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		waitForCheckpoint(at + 50<<10)
	}
	if got := walSize(); got > first+1<<20 {
		t.Errorf("the WAL grew from %d to %d bytes over ten checkpointed rounds of 100 kB: it is not reused", first, got)
	}
}

// TestCloseTwice: a read-model database may be closed twice (an app's
// Close after a failed start, say), its checkpointer with it.
func TestCloseTwice(t *testing.T) {
	db, err := openSQLiteEvery(filepath.Join(t.TempDir(), "rm.db"), "_synchronous=NORMAL", time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db.Close()
}

// TestCheckpointLeavesTheWritersTurnLittleToCopy: under a steady stream of
// transactions the checkpointer copies the WAL beside them first, on its own
// connection, so its turn as the writer (which the apply waits for) copies
// only what came in meanwhile.
func TestCheckpointLeavesTheWritersTurnLittleToCopy(t *testing.T) {
	db, err := openSQLiteEvery(filepath.Join(t.TempDir(), "rm.db"), "_synchronous=NORMAL", time.Hour) // no tick but the test's
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.WriteTx(ctx, func(tx *Tx) error {
		tx.Exec(`CREATE TABLE things (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	row := strings.Repeat("x", 1000)
	var n atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := db.WriteTx(ctx, func(tx *Tx) error {
				for j := range 10 {
					tx.Exec(`INSERT INTO things (k, v) VALUES (?, ?)`, i*10+j, row)
				}
				return nil
			}); err != nil {
				t.Error(err)
				return
			}
			n.Add(1)
		}
	}()
	for n.Load() < 500 {
		time.Sleep(time.Millisecond)
	}
	beside, turn, ok := db.ckpt.checkpoint()
	close(stop)
	<-done
	if !ok {
		t.Fatal("the checkpointer did not checkpoint in the writer's turn")
	}
	if turn >= beside {
		t.Errorf("under steady commits the checkpointer copied %d frames beside them and %d in the writer's turn: the turn should copy only what came in during the last pass beside", beside, turn)
	}
}
