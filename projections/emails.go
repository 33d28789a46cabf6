package projections

// STUB: replaced by the real projection (see doc.go, "Read models in a database").

import (
	"context"
	"remit/domain/outbox"
	"time"

	"github.com/google/uuid"
	"remit/projections/rmdb"
)

const emailsVersion = 1

// Emails is the "emails" projection.
type Emails struct {
	db  *rmdb.DB
	gen int64
}

func newEmails(db *rmdb.DB, gen int64) *Emails { return &Emails{db: db, gen: gen} }

// Name implements Projection.
func (p *Emails) Name() string { return "emails" }

// Tables implements Projection.
func (p *Emails) Tables() []rmdb.Table { return nil }

// Apply implements Projection.
func (p *Emails) Apply(tx *rmdb.Tx, e Event) {}

// Flush implements Projection.
func (p *Emails) Flush(tx *rmdb.Tx) {}

// Discard implements Projection.
func (p *Emails) Discard() {}

// about returns the emails about an invoice or a proposal, oldest first.
func (p *Emails) about(ctx context.Context, id uuid.UUID) ([]EmailView, error) { panic("stub") }

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
