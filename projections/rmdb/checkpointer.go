package rmdb

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// checkpointInterval is how often the SQLite read models' checkpointer folds
// the WAL into the database file while transactions commit.
//
// The live apply's commits never checkpoint themselves (wal_autocheckpoint 0
// outside a fill): with SQLite's automatic checkpoint every 16,384 pages
// (what a fill wants) the commit that passed it copied 64 MiB of WAL into
// the file and synced both inside the runner's apply, while every request
// waiting to read its own write waited too. The checkpointer instead takes
// the writer's turn once a second after any commit, between two
// transactions, and checkpoints what that second wrote on the writer's
// connection. Run there, with no transaction under way, it copies every
// frame, so the next transaction starts the WAL again from its beginning; a
// checkpoint beside the commits (a connection of its own) never caught up
// with them under a steady load, and the WAL grew by every commit (320 MB in
// a 30-second HTTP load test).
const checkpointInterval = time.Second

// checkpointer is the background checkpointing of a SQLite read-model
// database.
type checkpointer struct {
	db      *DB
	commits atomic.Uint64
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once // Close may be called more than once
}

// startCheckpointer checkpoints db every interval after any commit, until
// close.
func startCheckpointer(db *DB, interval time.Duration) *checkpointer {
	c := &checkpointer{db: db, stop: make(chan struct{}), stopped: make(chan struct{})}
	go c.run(interval)
	return c
}

func (c *checkpointer) run(interval time.Duration) {
	defer close(c.stopped)
	t := time.NewTicker(interval)
	defer t.Stop()
	var done uint64
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			if n := c.commits.Load(); n != done && c.checkpoint() {
				done = n
			}
		}
	}
}

// checkpoint checkpoints the WAL in the writer's turn; false when it did
// not (a fill, which checkpoints every 64 MiB itself; no writer connection
// yet; a reader in the way: a later tick tries again).
func (c *checkpointer) checkpoint() bool {
	db := c.db
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.wconn == nil || db.bigCache || db.filling.Load() {
		return false
	}
	_, err := db.wconn.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
	return err == nil
}

// committed notes a commit: the next tick checkpoints.
func (c *checkpointer) committed() {
	if c != nil {
		c.commits.Add(1)
	}
}

// close stops the checkpointer (the writer's connection, closed last,
// checkpoints what is left); later calls do nothing.
func (c *checkpointer) close() {
	if c == nil {
		return
	}
	c.once.Do(func() { close(c.stop) })
	<-c.stopped
}
