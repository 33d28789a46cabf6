// Package idempotency keeps the HTTP API's idempotency records beside the
// event log, not in it. Its one job: remember, for a while, what a request
// sent with an Idempotency-Key was answered, so a retry with the same key
// gets the same answer back (and a retry with another body is told apart).
//
// A record is a cache of an answer, not a business fact: commands are
// idempotent by themselves (their event ids derive from the key), so a
// record lost or expired only means a late retry runs its command again,
// which appends nothing twice. That is why records live in a table that can
// be updated and emptied rather than in the immutable log: answers show
// clients' personal details, and a record is deleted once it expires
// (DefaultTTL, 24 hours, as Stripe keeps its keys).
//
// Two backends, chosen with the event store: OpenSQLite keeps them in a
// SQLite file of the data folder (RecordsFile, beside the embedded log, and
// for KurrentDB too), OpenPostgres in a table of the PostgreSQL database
// that holds the log (Table), so every `remit serve` node on it shares
// them. Both pass the same tests (idempotency_test.go).
package idempotency

import (
	"context"
	"time"
)

// DefaultTTL is how long a record answers retries unless told otherwise.
const DefaultTTL = 24 * time.Hour

// DefaultSweepInterval is how often expired records are deleted unless told
// otherwise.
const DefaultSweepInterval = time.Minute

// Record is what a retry needs: which request it was, and its answer.
type Record struct {
	// Key names the request: the caller's hash of who sent it and their
	// Idempotency-Key (so one actor cannot read another's answers).
	Key string
	// Fingerprint is the caller's hash of the method, path and body: a key
	// sent again with another request is refused, not answered.
	Fingerprint string
	// Method and Path name the first request in that refusal.
	Method string
	Path   string
	// Status, Location, ETag and Body are the answer.
	Status   int
	Location string
	ETag     string
	Body     []byte
	// Expires is when the record stops answering; set by Put.
	Expires time.Time
}

// Store keeps records. Implementations are safe for concurrent use.
type Store interface {
	// Get returns the record of key, if one is stored and not expired.
	Get(ctx context.Context, key string) (Record, bool, error)
	// Put stores rec (expiring TTL from now) unless a live record of its
	// key is stored already, and returns the record that is stored: rec,
	// or the earlier one, so racing requests all answer the first.
	Put(ctx context.Context, rec Record) (Record, error)
	// Sweep deletes the expired records now and says how many (it also
	// runs every SweepInterval while the store is open).
	Sweep(ctx context.Context) (int64, error)
	// Close stops the sweeps and closes the connections.
	Close() error
}

// Options configure a Store. The zero value is the production default.
type Options struct {
	// TTL is how long a record answers retries (DefaultTTL when 0).
	TTL time.Duration
	// SweepInterval is how often expired records are deleted
	// (DefaultSweepInterval when 0).
	SweepInterval time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.SweepInterval <= 0 {
		o.SweepInterval = DefaultSweepInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// sweeper deletes expired records every interval until stopped.
type sweeper struct {
	stop chan struct{}
	done chan struct{}
}

func startSweeper(interval time.Duration, sweep func(context.Context) (int64, error)) *sweeper {
	s := &sweeper{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				// Best effort: Get never answers an expired record, and the
				// next tick tries again.
				ctx, cancel := context.WithTimeout(context.Background(), interval)
				_, _ = sweep(ctx)
				cancel()
			}
		}
	}()
	return s
}

func (s *sweeper) close() {
	close(s.stop)
	<-s.done
}

func unixNano(n int64) time.Time { return time.Unix(0, n).UTC() }

// nonNil makes an empty body a value the NOT NULL columns take.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
