package rmdb

import (
	"database/sql"
	"sync"
	"sync/atomic"
	"time"

	"remit/internal/sqlitewal"
)

// checkpointInterval is how often the SQLite read models' checkpointer folds
// the WAL into the database file while transactions commit.
//
// The live apply's commits never checkpoint themselves (wal_autocheckpoint 0
// outside a fill): with SQLite's automatic checkpoint every 16,384 pages
// (what a fill wants) the commit that passed it copied 64 MiB of WAL into
// the file and synced both inside the runner's apply, while every request
// waiting to read its own write waited too. The checkpointer instead copies
// once a second after any commit, in two steps. Most of the WAL, and the
// file's sync after it, is copied beside the commits on a connection of its
// own, in passes that each copy what came in during the one before, until
// one is short. Then it takes the writer's turn, between two transactions,
// and copies the rest on the writer's connection: run there, with no
// transaction under way, it copies every frame left, so the next transaction
// starts the WAL again from its beginning. A checkpoint only beside the
// commits never caught up with them under a steady load, and the WAL grew by
// every commit (320 MB in a 30-second HTTP load test); one only in the
// writer's turn held the apply, and the requests waiting for it, for the
// whole second's copy and sync (measured at 8 and 64 workers of that test:
// 20–95 ms a second, 4,000–8,000 frames).
const checkpointInterval = time.Second

// checkpointer is the background checkpointing of a SQLite read-model
// database.
type checkpointer struct {
	db      *DB
	beside  *sql.DB // a connection of its own, for the passes beside the commits
	commits atomic.Uint64
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once // Close may be called more than once
}

// startCheckpointer checkpoints db every interval after any commit, until
// close; beside is a pool of one connection to the same file, which the
// checkpointer closes.
func startCheckpointer(db *DB, beside *sql.DB, interval time.Duration) *checkpointer {
	c := &checkpointer{db: db, beside: beside, stop: make(chan struct{}), stopped: make(chan struct{})}
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
			if n := c.commits.Load(); n != done {
				if _, _, ok := c.checkpoint(); ok {
					done = n
				}
			}
		}
	}
}

// checkpoint copies the WAL into the file beside the commits, then the rest
// in the writer's turn. It returns the frames copied in each; ok is false
// when the writer's turn did not checkpoint (a fill, which checkpoints every
// 64 MiB itself; no writer connection yet; a reader in the way: a later tick
// tries again).
func (c *checkpointer) checkpoint() (beside, turn int64, ok bool) {
	db := c.db
	if db.filling.Load() {
		return 0, 0, false
	}
	beside, prev := sqlitewal.Beside(c.beside)
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.wconn == nil || db.bigCache || db.filling.Load() {
		return beside, 0, false
	}
	p := sqlitewal.Checkpoint(db.wconn)
	if p.Err != nil {
		return beside, 0, false
	}
	return beside, p.CopiedSince(prev), true
}

// committed notes a commit: the next tick checkpoints.
func (c *checkpointer) committed() {
	if c != nil {
		c.commits.Add(1)
	}
}

// close stops the checkpointer and closes its connection (the writer's
// connection, closed last, checkpoints what is left); later calls do
// nothing.
func (c *checkpointer) close() {
	if c == nil {
		return
	}
	c.once.Do(func() {
		close(c.stop)
		<-c.stopped
		c.beside.Close()
	})
	<-c.stopped
}
