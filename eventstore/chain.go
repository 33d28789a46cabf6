package eventstore

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"iter"
	"time"

	"github.com/google/uuid"
)

// ChainRow is one stored event as a hash-chained backend keeps it (the
// embedded and PostgreSQL stores): its indexed columns, beside the envelope
// they were taken from, and the chain hash stored with it.
type ChainRow struct {
	Position   uint64
	ID         []byte // the event id's 16 bytes as stored
	Stream     string
	Revision   uint64
	Type       string
	RecordedAt time.Time
	Envelope   []byte
	Hash       []byte
}

// VerifyReport is the outcome of a successful chain walk.
type VerifyReport struct {
	Events   uint64 // events checked
	Head     uint64 // last position
	HeadHash string // hex hash of the last event: record it elsewhere to detect a truncated tail later
}

// ChainError names the first event at which the chain breaks.
type ChainError struct {
	Position uint64
	EventID  string
	Stream   string
	Problem  string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("hash chain broken at position %d (event %s in %s): %s", e.Position, e.EventID, e.Stream, e.Problem)
}

// VerifyChain checks every link of a backend's hash chain, reading rows in
// position order: positions run 1, 2, 3… with no gap, each row's columns
// agree with its envelope, and each hash equals ChainHash over the previous
// hash, the position and the envelope. It returns a *ChainError for the
// first event that was altered, removed or reordered, and any error rows
// yields as it is. A backend that keeps times to a coarser precision than
// the envelope's nanoseconds gives it as timePrecision (PostgreSQL's
// timestamptz: time.Microsecond).
func VerifyChain(rows iter.Seq2[ChainRow, error], timePrecision time.Duration) (VerifyReport, error) {
	var rep VerifyReport
	var prev []byte
	var want uint64 = 1
	for r, err := range rows {
		if err != nil {
			return rep, err
		}
		if err := checkLink(r, prev, want, timePrecision); err != nil {
			return rep, err
		}
		prev = r.Hash
		want++
		rep.Events++
		rep.Head = r.Position
	}
	if rep.Events > 0 {
		rep.HeadHash = hex.EncodeToString(prev)
	}
	return rep, nil
}

// checkLink checks one row, at the position want, after the hash prev.
func checkLink(r ChainRow, prev []byte, want uint64, timePrecision time.Duration) error {
	broken := func(problem string) error {
		id := fmt.Sprintf("%x", r.ID)
		if u, err := uuid.FromBytes(r.ID); err == nil {
			id = u.String()
		}
		return &ChainError{Position: r.Position, EventID: id, Stream: r.Stream, Problem: problem}
	}
	if r.Position != want {
		return broken(fmt.Sprintf("expected position %d next: event(s) %d..%d were removed", want, want, r.Position-1))
	}
	var e RecordedEvent
	if err := DecodeEnvelope(r.Envelope, &e); err != nil {
		return broken("envelope cannot be decoded: " + err.Error())
	}
	if !bytes.Equal(e.ID[:], r.ID) || e.Stream != r.Stream || e.Revision != r.Revision || e.Type != r.Type ||
		!e.Metadata.RecordedAt.Truncate(timePrecision).Equal(r.RecordedAt.Truncate(timePrecision)) {
		return broken("the row's columns disagree with its envelope (altered)")
	}
	h := ChainHash(prev, r.Position, r.Envelope)
	if !bytes.Equal(h[:], r.Hash) {
		return broken("its hash does not match its content and the previous event's hash (altered, reordered, or an earlier event was replaced)")
	}
	return nil
}
