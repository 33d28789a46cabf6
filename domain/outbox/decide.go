package outbox

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// Command is a request about one email; Decide handles each kind.
type Command interface{ isOutboxCommand() }

// Queue records the email as decided on. Queueing an email already queued
// records nothing.
type Queue struct{ Email EmailQueued }

// RecordSent records that the transport accepted the email.
type RecordSent struct {
	EmailID   uuid.UUID
	Transport string
	Attempts  int
	Now       time.Time
}

// RecordFailed records that the transport refused the email for good.
type RecordFailed struct {
	EmailID  uuid.UUID
	Reason   string
	Attempts int
	Now      time.Time
}

func (Queue) isOutboxCommand()        {}
func (RecordSent) isOutboxCommand()   {}
func (RecordFailed) isOutboxCommand() {}

// Decide returns the events that c records against s, or why it is refused.
func Decide(s State, c Command) ([]domain.Event, error) {
	switch c := c.(type) {
	case Queue:
		if s.Status != StatusNone {
			return nil, nil
		}
		var p domain.Problems
		if c.Email.EmailID == uuid.Nil {
			p.Add("email_id", "an email needs its id")
		}
		if !strings.Contains(c.Email.To, "@") {
			p.Add("to", "an email needs a recipient address")
		}
		if c.Email.Subject == "" {
			p.Add("subject", "an email needs a subject")
		}
		if err := p.Err(); err != nil {
			return nil, err
		}
		return []domain.Event{c.Email}, nil
	case RecordSent:
		switch s.Status {
		case StatusNone:
			return nil, domain.NotFound("email %s was never queued", c.EmailID)
		case StatusSent, StatusFailed:
			return nil, nil
		}
		return []domain.Event{EmailSent{EmailID: c.EmailID, Transport: c.Transport, Attempts: c.Attempts, At: c.Now}}, nil
	case RecordFailed:
		switch s.Status {
		case StatusNone:
			return nil, domain.NotFound("email %s was never queued", c.EmailID)
		case StatusSent, StatusFailed:
			return nil, nil
		}
		return []domain.Event{EmailFailed{EmailID: c.EmailID, Reason: c.Reason, Attempts: c.Attempts, At: c.Now}}, nil
	}
	return nil, domain.Errorf(domain.EINTERNAL, "outbox: unknown command %T", c)
}
