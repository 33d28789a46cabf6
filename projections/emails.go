package projections

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"remit/domain/outbox"
)

// EmailView is one email the outbox sent (or tried to) about an invoice or
// a proposal: what, to whom, when, and how its delivery went.
type EmailView struct {
	ID       uuid.UUID   `json:"id"`
	Kind     outbox.Kind `json:"kind"` // invoice_issued, payment_receipt, payment_rejected, upcoming_charge, proposal…
	To       string      `json:"to"`
	ToName   string      `json:"to_name,omitempty"`
	Subject  string      `json:"subject"`
	QueuedAt time.Time   `json:"queued_at"`
	// Status is queued (not yet accepted by the mail server), sent or failed.
	Status   outbox.Status `json:"status"`
	DoneAt   time.Time     `json:"done_at,omitzero"` // when it was sent or failed
	Reason   string        `json:"reason,omitempty"` // why it failed
	Attempts int           `json:"attempts,omitempty"`
}

// Emails is the "emails" projection: every email about an invoice or a
// proposal, from the outbox's own events (EmailQueued, EmailSent,
// EmailFailed), so the invoice and proposal pages say what went out, to
// whom and whether it arrived.
type Emails struct {
	guard
	s emailsState
}

type emailsState struct {
	Emails map[uuid.UUID]*EmailView `json:"emails"`
	// About lists, per invoice or proposal, its emails in the order queued.
	About map[uuid.UUID][]uuid.UUID `json:"about"`
}

func newEmails() *Emails { return &Emails{s: emptyEmailsState()} }

func emptyEmailsState() emailsState {
	return emailsState{Emails: map[uuid.UUID]*EmailView{}, About: map[uuid.UUID][]uuid.UUID{}}
}

// Name implements Projection.
func (p *Emails) Name() string { return "emails" }

// Apply implements Projection.
func (p *Emails) Apply(e Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checkpoint = max(p.checkpoint, e.Position)
	switch ev := e.Data.(type) {
	case outbox.EmailQueued:
		if _, ok := p.s.Emails[ev.EmailID]; ok {
			return
		}
		p.s.Emails[ev.EmailID] = &EmailView{ID: ev.EmailID, Kind: ev.Kind, To: ev.To, ToName: ev.ToName, Subject: ev.Subject, QueuedAt: ev.At, Status: outbox.StatusQueued}
		for _, about := range []uuid.UUID{ev.InvoiceID, ev.ProposalID} {
			if about != uuid.Nil {
				p.s.About[about] = append(p.s.About[about], ev.EmailID)
			}
		}
	case outbox.EmailSent:
		if v := p.s.Emails[ev.EmailID]; v != nil {
			v.Status, v.DoneAt, v.Attempts = outbox.StatusSent, ev.At, ev.Attempts
		}
	case outbox.EmailFailed:
		if v := p.s.Emails[ev.EmailID]; v != nil {
			v.Status, v.DoneAt, v.Attempts, v.Reason = outbox.StatusFailed, ev.At, ev.Attempts, ev.Reason
		}
	}
}

// about returns the emails about an invoice or a proposal, oldest first.
func (p *Emails) about(id uuid.UUID) []EmailView {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]EmailView, 0, len(p.s.About[id]))
	for _, eid := range p.s.About[id] {
		if v := p.s.Emails[eid]; v != nil {
			out = append(out, *v)
		}
	}
	slices.SortStableFunc(out, func(a, b EmailView) int { return a.QueuedAt.Compare(b.QueuedAt) })
	return out
}

// Reset implements Projection.
func (p *Emails) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s = emptyEmailsState()
	p.checkpoint = 0
}

// MarshalSnapshot implements Projection.
func (p *Emails) MarshalSnapshot() ([]byte, uint64, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	data, err := json.Marshal(p.s)
	return data, p.checkpoint, err
}

// UnmarshalSnapshot implements Projection.
func (p *Emails) UnmarshalSnapshot(data []byte, checkpoint uint64) error {
	s := emptyEmailsState()
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("emails snapshot: %w", err)
	}
	if s.Emails == nil || s.About == nil {
		return fmt.Errorf("emails snapshot: missing maps")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s = s
	p.checkpoint = checkpoint
	return nil
}
