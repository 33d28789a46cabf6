package projections

import (
	"context"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/firm"
	"remit/domain/proposal"
	"remit/projections/rmdb"
)

const sentProposalsVersion = 1

// SentProposals is the "sent_proposals" projection: one row per proposal
// with what the daily proposals job (processes/reminders) acts on, so the
// job reads only the proposals with something due and folds none of them.
//
// Table "sent_proposals" is a Docs keyed by proposal id holding a
// SentProposal (the proposal folded with proposal.Evolve, and the dates
// derived from it and the firm's proposal settings), with the columns
// client_id, status and due: the earliest of the next reminder's date and
// the expiry date while the proposal is sent and unanswered, NULL
// otherwise (indexed). Table "sent_proposals_meta" holds one document (key
// "firm"): the firm's time zone and proposal settings as of the events
// applied, which date every row. A change of the settings dates every sent
// proposal again; a change of time zone dates proposals sent afterwards.
type SentProposals struct {
	db   *rmdb.DB
	docs *rmdb.Docs[SentProposal]
	meta *rmdb.Docs[sentProposalsMeta]
}

// SentProposal is a proposal as the daily proposals job sees it.
type SentProposal struct {
	State proposal.State `json:"state"`
	// SentOn is the date it was first sent, in the firm's time zone:
	// reminders and the default expiry count from it.
	SentOn domain.Date `json:"sent_on,omitzero"`
	// NextReminder is the number of the next reminder (1 for the first)
	// and NextReminderOn its date; 0 and zero when no reminder is left.
	NextReminder   int         `json:"next_reminder,omitempty"`
	NextReminderOn domain.Date `json:"next_reminder_on,omitzero"`
	// ExpiresOn is the date it expires: its own expiry date, else the
	// firm's default after SentOn; zero: never.
	ExpiresOn domain.Date `json:"expires_on,omitzero"`
}

// Open reports whether the proposal awaits an answer (sent, not yet
// accepted, declined, withdrawn or expired).
func (p SentProposal) Open() bool { return p.State.Status == proposal.StatusSent }

// Pending are the signatories who have not signed yet.
func (p SentProposal) Pending() []proposal.Signatory { return p.State.Unsigned() }

// Due returns the first date the daily job has something to do on the
// proposal (a reminder or its expiry), and false when it has nothing left.
func (p SentProposal) Due() (domain.Date, bool) {
	if !p.Open() {
		return domain.Date{}, false
	}
	d := p.NextReminderOn
	if !p.ExpiresOn.IsZero() && (d.IsZero() || p.ExpiresOn.Before(d)) {
		d = p.ExpiresOn
	}
	return d, !d.IsZero()
}

// sentProposalsMeta is what the projection keeps about the firm.
type sentProposalsMeta struct {
	TimeZone string                 `json:"time_zone,omitempty"`
	Settings *firm.ProposalSettings `json:"settings,omitempty"` // nil: the defaults
}

func (m *sentProposalsMeta) settings() firm.ProposalSettings {
	if m.Settings == nil {
		return firm.DefaultProposalSettings()
	}
	return *m.Settings
}

const sentProposalsMetaKey = "firm"

func newSentProposals(db *rmdb.DB, gen int64) *SentProposals {
	return &SentProposals{
		db: db,
		docs: rmdb.NewDocs(rmdb.DocsSpec[SentProposal]{
			Name: "sent_proposals",
			Columns: []rmdb.Column[SentProposal]{
				{Name: "client_id", Type: "TEXT", Value: func(_ string, r *SentProposal) any { return r.State.ClientID.String() }},
				{Name: "status", Type: "TEXT", Value: func(_ string, r *SentProposal) any { return string(r.State.Status) }},
				{Name: "due", Type: "TEXT", Value: func(_ string, r *SentProposal) any {
					if d, ok := r.Due(); ok {
						return d.String()
					}
					return nil
				}},
			},
			Indexes:      []string{"due, key", "client_id"},
			ApplyIndexes: []string{"status"},
			CacheSize:    1024,
		}, gen),
		meta: rmdb.NewDocs(rmdb.DocsSpec[sentProposalsMeta]{Name: "sent_proposals_meta", CacheSize: 1}, gen),
	}
}

// Name implements Projection.
func (p *SentProposals) Name() string { return "sent_proposals" }

// Tables implements Projection.
func (p *SentProposals) Tables() []rmdb.Table {
	return []rmdb.Table{p.docs.Table(), p.meta.Table()}
}

func (p *SentProposals) firm(tx *rmdb.Tx) *sentProposalsMeta {
	m := p.meta.Get(tx, sentProposalsMetaKey)
	if m == nil {
		m = &sentProposalsMeta{}
	}
	return m
}

// Apply implements Projection.
func (p *SentProposals) Apply(tx *rmdb.Tx, e Event) {
	if loc, ok := firmZone(e.Data); ok {
		m := p.firm(tx)
		m.TimeZone = loc.String()
		p.meta.Put(sentProposalsMetaKey, m)
		return
	}
	if s, ok := e.Data.(firm.FirmProposalSettingsChanged); ok {
		m := p.firm(tx)
		ps := s.ProposalSettings
		m.Settings = &ps
		p.meta.Put(sentProposalsMetaKey, m)
		p.redate(tx, m)
		return
	}
	switch e.Data.(type) {
	case proposal.ProposalDrafted, proposal.ProposalDraftEdited, proposal.ProposalSent,
		proposal.ProposalAccepted, proposal.ProposalDeclined, proposal.ProposalWithdrawn,
		proposal.ProposalExpired, proposal.ProposalSigned, proposal.ProposalReminderSent:
	default:
		return
	}
	id, ok := streamID(e.Stream, "proposal-")
	if !ok {
		return
	}
	key := id.String()
	r := p.docs.Get(tx, key)
	if tx.Err() != nil {
		return
	}
	if r == nil {
		r = &SentProposal{}
	}
	r.State = proposal.Evolve(r.State, e.Data)
	m := p.firm(tx)
	if sent, ok := e.Data.(proposal.ProposalSent); ok && r.SentOn.IsZero() {
		r.SentOn = domain.DateOf(sent.At, zone(m.TimeZone))
	}
	r.date(m.settings())
	p.docs.Put(key, r)
}

// redate dates every open proposal again after the settings changed.
func (p *SentProposals) redate(tx *rmdb.Tx, m *sentProposalsMeta) {
	p.docs.Flush(tx)
	for _, r := range p.docs.FindTx(tx, "WHERE status = ?", string(proposal.StatusSent)) {
		key := r.State.ID.String()
		cur := p.docs.Get(tx, key)
		if cur == nil {
			continue
		}
		cur.date(m.settings())
		p.docs.Put(key, cur)
	}
}

// date derives the next reminder and the expiry date from the state and
// the firm's settings.
func (r *SentProposal) date(ps firm.ProposalSettings) {
	r.NextReminder, r.NextReminderOn, r.ExpiresOn = 0, domain.Date{}, domain.Date{}
	if r.SentOn.IsZero() {
		return
	}
	if on, ok := ps.ReminderOn(r.SentOn, r.State.Reminders+1); ok {
		r.NextReminder, r.NextReminderOn = r.State.Reminders+1, on
	}
	switch {
	case !r.State.OpenUntil.IsZero():
		r.ExpiresOn = r.State.OpenUntil
	default:
		if on, ok := ps.ExpiresOn(r.SentOn); ok {
			r.ExpiresOn = on
		}
	}
}

// Flush implements Projection.
func (p *SentProposals) Flush(tx *rmdb.Tx) {
	p.docs.Flush(tx)
	p.meta.Flush(tx)
}

// Discard implements Projection.
func (p *SentProposals) Discard() {
	p.docs.Discard()
	p.meta.Discard()
}

// ProposalsDue returns the open proposals with a reminder or an expiry due
// on or before day, the earliest first: what the daily proposals job acts
// on.
func (m *Models) ProposalsDue(ctx context.Context, day domain.Date) ([]SentProposal, error) {
	return m.SentProposals.docs.Find(ctx, m.db, "WHERE due IS NOT NULL AND due <= ? ORDER BY due, key", day.String())
}

// SentProposal returns one proposal's row; false when it has none.
func (m *Models) SentProposal(ctx context.Context, id uuid.UUID) (SentProposal, bool, error) {
	return m.SentProposals.docs.Load(ctx, m.db, id.String())
}
