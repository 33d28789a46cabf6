package projections

import (
	"remit/projections/follow"
)

// Event is a stored event decoded for projections: the envelope and the
// domain value, as the one log follower decodes it.
type Event = follow.Event

// Projection is one read model fed from the global log. Apply is called by
// one goroutine at a time, in global order, and only with events after
// Checkpoint; the other methods may be called concurrently with queries.
type Projection interface {
	// Name is the projection's stable name ("clients", "services",
	// "invoices", "activity"); it names its snapshot file.
	Name() string
	// Checkpoint is the position of the last event applied (0: none).
	Checkpoint() uint64
	// Apply applies one event and advances the checkpoint to its position.
	// Events the projection does not handle only advance the checkpoint.
	Apply(e Event)
	// Advance moves the checkpoint to pos without an event (an event no
	// decoder knows, or one outside the projection's interest).
	Advance(pos uint64)
	// Reset truncates the projection to empty, checkpoint 0.
	Reset()
	// MarshalSnapshot returns the state and the checkpoint it reflects,
	// taken together under the projection's lock.
	MarshalSnapshot() (data []byte, checkpoint uint64, err error)
	// UnmarshalSnapshot replaces the state with a snapshot's.
	UnmarshalSnapshot(data []byte, checkpoint uint64) error
}
