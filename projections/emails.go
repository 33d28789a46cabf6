package projections

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"remit/domain/outbox"
	"remit/projections/rmdb"
)

const emailsVersion = 1

// Emails is the "emails" projection: every email about an invoice or a
// proposal, from the outbox's own events (EmailQueued, EmailSent,
// EmailFailed), so the invoice and proposal pages say what went out, to
// whom and whether it arrived.
//
// Table "emails" holds an emailRecord per email id, with the invoice and
// the proposal it is about and the position it was queued at as indexed
// columns: an invoice's or a proposal's emails are one indexed range each.
type Emails struct {
	db     *rmdb.DB
	gen    int64
	emails *rmdb.Docs[emailRecord]
}

// emailRecord is an email as the emails table keeps it.
type emailRecord struct {
	View       EmailView `json:"view"`
	InvoiceID  uuid.UUID `json:"invoice_id,omitzero"`
	ProposalID uuid.UUID `json:"proposal_id,omitzero"`
	Seq        uint64    `json:"seq"` // its EmailQueued's position
}

func newEmails(db *rmdb.DB, gen int64) *Emails {
	idColumn := func(f func(r *emailRecord) uuid.UUID) func(string, *emailRecord) any {
		return func(_ string, r *emailRecord) any {
			if id := f(r); id != uuid.Nil {
				return id.String()
			}
			return nil
		}
	}
	return &Emails{db: db, gen: gen, emails: rmdb.NewDocs(rmdb.DocsSpec[emailRecord]{
		Name: "emails",
		Columns: []rmdb.Column[emailRecord]{
			{Name: "invoice_id", Type: "TEXT", Value: idColumn(func(r *emailRecord) uuid.UUID { return r.InvoiceID })},
			{Name: "proposal_id", Type: "TEXT", Value: idColumn(func(r *emailRecord) uuid.UUID { return r.ProposalID })},
			{Name: "seq", Type: "BIGINT", Value: func(_ string, r *emailRecord) any { return int64(r.Seq) }},
		},
		Indexes: []string{"invoice_id, seq", "proposal_id, seq"},
	}, gen)}
}

// Name implements Projection.
func (p *Emails) Name() string { return "emails" }

// Tables implements Projection.
func (p *Emails) Tables() []rmdb.Table { return []rmdb.Table{p.emails.Table()} }

// Apply implements Projection.
func (p *Emails) Apply(tx *rmdb.Tx, e Event) {
	switch ev := e.Data.(type) {
	case outbox.EmailQueued:
		key := ev.EmailID.String()
		if p.emails.Get(tx, key) != nil {
			return
		}
		p.emails.Put(key, &emailRecord{
			View: EmailView{ID: ev.EmailID, Kind: ev.Kind, To: ev.To, ToName: ev.ToName, Subject: ev.Subject,
				QueuedAt: ev.At, Status: outbox.StatusQueued},
			InvoiceID: ev.InvoiceID, ProposalID: ev.ProposalID, Seq: e.Position,
		})
	case outbox.EmailSent:
		key := ev.EmailID.String()
		if r := p.emails.Get(tx, key); r != nil {
			v := &r.View
			v.Status, v.DoneAt, v.Attempts = outbox.StatusSent, ev.At, ev.Attempts
			p.emails.Put(key, r)
		}
	case outbox.EmailFailed:
		key := ev.EmailID.String()
		if r := p.emails.Get(tx, key); r != nil {
			v := &r.View
			v.Status, v.DoneAt, v.Attempts, v.Reason = outbox.StatusFailed, ev.At, ev.Attempts, ev.Reason
			p.emails.Put(key, r)
		}
	}
}

// Flush implements Projection.
func (p *Emails) Flush(tx *rmdb.Tx) { p.emails.Flush(tx) }

// Discard implements Projection.
func (p *Emails) Discard() { p.emails.Discard() }

// about returns the emails about an invoice or a proposal, oldest first
// (by when they were queued, then in the order queued).
func (p *Emails) about(ctx context.Context, id uuid.UUID) ([]EmailView, error) {
	if id == uuid.Nil {
		return []EmailView{}, nil
	}
	recs, err := p.emails.Find(ctx, p.db, "WHERE invoice_id = ? OR proposal_id = ? ORDER BY seq, key", id.String(), id.String())
	if err != nil {
		return nil, err
	}
	out := make([]EmailView, len(recs))
	for i, r := range recs {
		out[i] = r.View
	}
	slices.SortStableFunc(out, func(a, b EmailView) int { return a.QueuedAt.Compare(b.QueuedAt) })
	return out, nil
}

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
