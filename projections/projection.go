package projections

import (
	"context"

	"remit/projections/follow"
	"remit/projections/rmdb"
)

// Event is a stored event decoded for projections: the envelope and the
// domain value, as the one log follower decodes it.
type Event = follow.Event

// Projection writes one read model's tables, for one generation of them
// (see package rmdb). The runner calls Apply for each event after the
// generation's checkpoint, in global order, from one goroutine, inside the
// batch's transaction; then Flush, then it advances the checkpoint in the
// same transaction and commits. A projection keeps nothing between batches
// but caches with a size bound.
type Projection interface {
	// Name is the projection's stable name ("clients", "invoices", …).
	Name() string
	// Tables declares its tables.
	Tables() []rmdb.Table
	// Apply applies one event; events it does not handle are ignored. A
	// failure is recorded on tx (tx.Fail, or a failed statement).
	Apply(tx *rmdb.Tx, e Event)
	// Flush writes what Apply changed and has not written yet.
	Flush(tx *rmdb.Tx)
	// Discard forgets unflushed changes and caches: the batch rolled back.
	Discard()
}

// Spec names a projection, the version of what it writes (bump it when the
// tables or what Apply puts in them change: a stored generation of another
// version is rebuilt on start) and makes its writer for a generation.
type Spec struct {
	Name    string
	Version int64
	New     func(generation int64) Projection
}

// filler is a Projection whose caches a fill sizes for its many events: the
// runner switches it on for the fill and off after (see
// rmdb.DocsSpec.FillCacheBytes).
type filler interface {
	SetFilling(on bool)
	// CompleteFill writes what the fill deferred (see
	// rmdb.Column.Deferrable), once the fill has committed.
	CompleteFill(ctx context.Context, db *rmdb.DB) error
}

// fillCacheBytes is the JSON size of the documents the services and the
// invoices keep decoded each during a fill: the documents a rebuild meets
// again within a few months of the log, rather than the last 1,024 or
// 4,096 (which a month of billing runs through).
const fillCacheBytes = 16 << 20
