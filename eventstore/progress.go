package eventstore

import (
	"context"
	"sync"
)

// Progress is how far a reader of the log (a process manager such as the
// outbox or the ledger sync) has handled it, for callers that wait for a
// position (read-your-writes in tests and commands). The zero value is
// ready to use; it is safe for concurrent use.
type Progress struct {
	mu      sync.Mutex
	handled uint64
	changed chan struct{} // closed and replaced when handled moves
}

// Advance records that the log is handled up to pos; it never moves back.
func (p *Progress) Advance(pos uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pos > p.handled {
		p.handled = pos
		if p.changed != nil {
			close(p.changed)
			p.changed = nil
		}
	}
}

// Wait returns once the log is handled up to pos, or ctx's error.
func (p *Progress) Wait(ctx context.Context, pos uint64) error {
	for {
		p.mu.Lock()
		done := p.handled >= pos
		if p.changed == nil {
			p.changed = make(chan struct{})
		}
		ch := p.changed
		p.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}
