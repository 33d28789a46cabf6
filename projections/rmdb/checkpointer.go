package rmdb

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"
)

// checkpointInterval is how often the SQLite read models' checkpointer folds
// the WAL into the database file while transactions commit.
//
// The live apply's commits never checkpoint themselves (wal_autocheckpoint 0
// outside a fill): with SQLite's automatic checkpoint the commit that passed
// the threshold copied the whole WAL into the file and synced both, inside
// the runner's apply, and every request waiting to read its own write (64 at
// a time under load) waited for that copy and those syncs too. A PASSIVE
// checkpoint on a connection of its own never blocks the writer or the
// readers. A fill keeps its automatic checkpoint every 64 MiB (it writes tens
// of megabytes per transaction, and nobody waits on it).
const checkpointInterval = time.Second

// checkpointer is the background checkpointing of a SQLite read-model
// database.
type checkpointer struct {
	db      *sql.DB // its own connection: not the writer's, not query_only
	commits atomic.Uint64
	stop    chan struct{}
	stopped chan struct{}
}

// startCheckpointer opens a connection to dsn and checkpoints every interval
// after any commit, until stopCheckpointer.
func startCheckpointer(dsn string, interval time.Duration) (*checkpointer, error) {
	cdb, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("read models: checkpointer: %w", err)
	}
	cdb.SetMaxOpenConns(1)
	c := &checkpointer{db: cdb, stop: make(chan struct{}), stopped: make(chan struct{})}
	go c.run(interval)
	return c, nil
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
				// An error (a busy lock) leaves done behind: the next
				// tick tries again.
				if _, err := c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`); err == nil {
					done = n
				}
			}
		}
	}
}

// committed notes a commit: the next tick checkpoints.
func (c *checkpointer) committed() {
	if c != nil {
		c.commits.Add(1)
	}
}

// close stops the checkpointer and closes its connection (the writer's
// connection, closed last, checkpoints what is left).
func (c *checkpointer) close() error {
	if c == nil {
		return nil
	}
	close(c.stop)
	<-c.stopped
	return c.db.Close()
}
