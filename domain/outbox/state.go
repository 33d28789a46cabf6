package outbox

import (
	"time"

	"remit/domain"
)

// Status is where an email is.
type Status string

// Email statuses.
const (
	StatusNone   Status = ""       // not queued
	StatusQueued Status = "queued" // decided on, not yet accepted by the transport
	StatusSent   Status = "sent"
	StatusFailed Status = "failed"
)

// State is one email as of its last event.
type State struct {
	Email    EmailQueued // the queued facts; zero before EmailQueued
	Status   Status
	Attempts int
	Reason   string // why it failed
	DoneAt   time.Time
	// StartedFrom is set in the start marker's stream (StartStreamName):
	// events up to this position send no email.
	StartedFrom uint64
	Started     bool
}

// Evolve returns the state after e. It never fails and never validates;
// events of other aggregates are ignored.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case EmailQueued:
		s = State{Email: e, Status: StatusQueued}
	case EmailSent:
		s.Status, s.Attempts, s.DoneAt = StatusSent, e.Attempts, e.At
	case EmailFailed:
		s.Status, s.Attempts, s.Reason, s.DoneAt = StatusFailed, e.Attempts, e.Reason, e.At
	case OutboxStarted:
		s.StartedFrom, s.Started, s.DoneAt = e.FromPosition, true, e.At
	}
	return s
}

// Fold evolves the zero State through events.
func Fold(events []domain.Event) State {
	var s State
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}
