package emailer

import (
	"context"
	"fmt"
	"time"
)

// Stats is what an operator watches of the outbox (health and metrics).
type Stats struct {
	// Running is true between Start and Close.
	Running bool
	// Queued is how many emails are queued and not yet sent or failed, as
	// last written to the state database (emails queued in the last
	// moments may not be counted yet).
	Queued int
	// Failures counts the deliveries that failed since Start, temporary
	// (retried) and permanent alike.
	Failures uint64
	// LastBeat is when the tick loop last turned (zero before its first
	// turn); it turns at least every TickInterval, beside the Tick itself.
	LastBeat time.Time
	// TickInterval is the loop's interval, for judging LastBeat.
	TickInterval time.Duration
}

// Stats reads the outbox's figures: one count of its pending table.
func (o *Outbox) Stats(ctx context.Context) (Stats, error) {
	st := Stats{Running: o.running.Load(), Failures: o.failures.Load(), TickInterval: o.cfg.TickInterval}
	if b := o.beat.Load(); b != 0 {
		st.LastBeat = time.Unix(0, b)
	}
	if o.db == nil {
		return st, nil
	}
	if err := o.db.QueryRow(ctx, `SELECT COUNT(*) FROM `+pendingTable).Scan(&st.Queued); err != nil {
		return st, fmt.Errorf("outbox: count pending emails: %w", err)
	}
	return st, nil
}
