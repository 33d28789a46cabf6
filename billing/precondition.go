package billing

import (
	"fmt"
	"sync"
)

// Precondition makes a command conditional on the revision of its stream a
// caller saw (HTTP If-Match): the command's first append to Stream must land
// right after Revision. It is enforced by the append's expected revision, so
// no other writer, in this process or another, can slip in between the check
// and the write; a stream that has moved on fails the command with
// *PreconditionFailedError, and it is not decided again. Later appends of
// the same command to Stream (a request that edits an item and then bills
// it) are not conditional. A Precondition is used by one command; it is
// safe for concurrent use.
type Precondition struct {
	Stream   string
	Revision uint64

	mu  sync.Mutex
	met bool // the command has built on Revision once
}

// pending reports whether p still constrains an append to stream.
func (p *Precondition) pending(stream string) bool {
	if p == nil || p.Stream != stream {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.met
}

// check returns the error of a stream found at (exists, rev) when p is
// pending for it, else nil.
func (p *Precondition) check(stream string, exists bool, rev uint64) error {
	if !p.pending(stream) || (exists && rev == p.Revision) {
		return nil
	}
	return &PreconditionFailedError{Stream: stream, Want: p.Revision, Exists: exists, Actual: rev}
}

// satisfy records that the command has built on the revision of stream.
func (p *Precondition) satisfy(stream string) {
	if p == nil || p.Stream != stream {
		return
	}
	p.mu.Lock()
	p.met = true
	p.mu.Unlock()
}

// PreconditionFailedError is the error of a command whose Precondition does
// not hold: its stream is at another revision (or has no events), and
// nothing was appended.
type PreconditionFailedError struct {
	Stream string
	Want   uint64
	// Exists is false when the stream has no events; Actual is then 0.
	Exists bool
	Actual uint64
}

func (e *PreconditionFailedError) Error() string {
	if !e.Exists {
		return fmt.Sprintf("%s has no events, so it is not at revision %d", e.Stream, e.Want)
	}
	return fmt.Sprintf("%s is at revision %d, not %d", e.Stream, e.Actual, e.Want)
}
