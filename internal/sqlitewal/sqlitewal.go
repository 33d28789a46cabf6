// Package sqlitewal runs the checkpoints of a SQLite database's write-ahead
// log: its one job is the PASSIVE checkpoint pass that both the embedded
// event store (eventstore/sqlite) and the read models (projections/rmdb) run,
// beside their commits and between two of them, and how many frames a pass
// copied.
package sqlitewal

import (
	"context"
	"database/sql"
)

// Pass is one checkpoint's result: the frames in the WAL (Log) and how many
// of them are in the database file after it (Done). Err is the pass's
// error: a reader in the way or another checkpoint running leaves the rest
// for the next pass.
type Pass struct {
	Log, Done int64
	Err       error
}

// CopiedSince is how many frames this pass copied after a pass that left
// prev frames done (when fewer are done now, the WAL started again in
// between, and all of them are this pass's).
func (p Pass) CopiedSince(prev int64) int64 {
	if p.Done < prev {
		return p.Done
	}
	return p.Done - prev
}

// Conn is what runs the checkpoint: a connection, or a pool of one.
type Conn interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// Checkpoint runs a PASSIVE checkpoint on c: it copies what it can into the
// database file and never waits for readers.
func Checkpoint(c Conn) Pass {
	var busy int64
	var p Pass
	p.Err = c.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &p.Log, &p.Done)
	return p
}

// LittleLeft is how many WAL frames (4 KiB pages) a pass beside the commits
// may copy and still count as short: the commits that came in meanwhile,
// which the writer's turn then copies, are few. BesidePasses bounds those
// passes in one round.
const (
	LittleLeft   = 256
	BesidePasses = 4
)

// Beside runs the passes of a checkpoint round that go beside the commits,
// on c (not the writer's connection): each copies what came in during the
// one before, until one is short (under LittleLeft frames) or BesidePasses
// have run, or one fails. It returns the frames they copied and how many
// frames of the WAL the last pass left done (what the writer's pass after
// them counts its own copy from: Pass.CopiedSince).
func Beside(c Conn) (copied, done int64) {
	for range BesidePasses {
		p := Checkpoint(c)
		if p.Err != nil {
			break
		}
		n := p.CopiedSince(done)
		copied += n
		done = p.Done
		if n < LittleLeft {
			break
		}
	}
	return copied, done
}
