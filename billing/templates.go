package billing

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/proposal"
	"remit/domain/proposaltemplate"
)

var templateDecider = Decider[proposaltemplate.State, proposaltemplate.Command]{Evolve: proposaltemplate.Evolve, Decide: proposaltemplate.Decide}

// ProposalTemplateRequest creates a template (TemplateID optional) or
// replaces one's content (TemplateID required). Lines, packages and add-ons
// without an id get one derived from the command id.
type ProposalTemplateRequest struct {
	TemplateID uuid.UUID `json:"-"`
	proposaltemplate.Content
}

func (s *Service) template(ctx context.Context, c proposaltemplate.Command, id uuid.UUID, meta Meta, created uuid.UUID) (Result, error) {
	return run(ctx, s, templateDecider, proposaltemplate.StreamName(id), c, meta, created)
}

// withTemplateIDs gives a template's lines and packages their ids.
func withTemplateIDs(c proposaltemplate.Content, meta Meta) proposaltemplate.Content {
	c.Lines = withLineIDs(c.Lines, meta)
	pkgs := make([]proposal.Package, len(c.Packages))
	for i, p := range c.Packages {
		p.ID = pick(p.ID, meta, fmt.Sprintf("package/%d", i))
		p.Lines = withLineIDsAs(p.Lines, meta, fmt.Sprintf("package/%d/line", i))
		pkgs[i] = p
	}
	c.Packages = pkgs
	c.AddOns = withLineIDsAs(c.AddOns, meta, "add-on")
	return c
}

// CreateProposalTemplate creates a proposal template; Result.ID is its id.
func (s *Service) CreateProposalTemplate(ctx context.Context, r ProposalTemplateRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	id := pick(r.TemplateID, meta, "proposal-template")
	return s.template(ctx, proposaltemplate.CreateTemplate{TemplateID: id, Content: withTemplateIDs(r.Content, meta), Now: s.now()}, id, meta, id)
}

// EditProposalTemplate replaces a template's content whole.
func (s *Service) EditProposalTemplate(ctx context.Context, r ProposalTemplateRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.template(ctx, proposaltemplate.EditTemplate{TemplateID: r.TemplateID, Content: withTemplateIDs(r.Content, meta), Now: s.now()}, r.TemplateID, meta, uuid.Nil)
}

// ArchiveProposalTemplate stops offering a template.
func (s *Service) ArchiveProposalTemplate(ctx context.Context, id uuid.UUID, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.template(ctx, proposaltemplate.ArchiveTemplate{TemplateID: id, Now: s.now()}, id, meta, uuid.Nil)
}

// ProposalTemplate returns a template folded from its stream and its
// revision (ENOTFOUND when there is none).
func (s *Service) ProposalTemplate(ctx context.Context, id uuid.UUID) (proposaltemplate.State, uint64, error) {
	st, rev, ok, err := fold(ctx, s.env, templateDecider, proposaltemplate.StreamName(id))
	if err != nil {
		return st, rev, err
	}
	if !ok || !st.Created() {
		return st, rev, domain.NotFound("There is no such proposal template.")
	}
	return st, rev, nil
}

// DraftFromTemplateRequest drafts one proposal from a template for each of
// ClientIDs (at most MaxTemplateBatch). The proposals' ids are derived from
// BatchID and each client (proposaltemplate.ProposalID), so sending the
// same batch again drafts nothing twice; a zero BatchID is derived from the
// command id (the Idempotency-Key). DryRun checks and previews each draft
// and appends nothing.
type DraftFromTemplateRequest struct {
	TemplateID uuid.UUID
	ClientIDs  []uuid.UUID
	BatchID    uuid.UUID
	StartDate  domain.Date // optional; the proposals' start date
	DryRun     bool
}

// MaxTemplateBatch bounds the clients of one bulk drafting.
const MaxTemplateBatch = 500

// TemplateDraft is the outcome for one client of a bulk drafting: the
// proposal's id, its title and totals per billing period (one per package
// when the template offers packages: "Silver: A$440.00 a month"), whether
// it was drafted now (Created) or by an earlier run of the same batch
// (Existed), or why it cannot be (Err).
type TemplateDraft struct {
	ClientID   uuid.UUID
	ClientName string
	ProposalID uuid.UUID
	Title      string
	Totals     []string
	Created    bool
	Existed    bool
	Err        error
}

// DraftFromTemplate drafts (or, DryRun, previews) one proposal per client
// from a template: each its own append, so a client refused does not stop
// the others. It fails as a whole only when the template or a client does
// not exist, or the template is archived.
func (s *Service) DraftFromTemplate(ctx context.Context, r DraftFromTemplateRequest, meta Meta) ([]TemplateDraft, error) {
	meta = s.begin(meta)
	var p domain.Problems
	switch n := len(r.ClientIDs); {
	case n == 0:
		p.Add("client_ids", "choose the clients to draft proposals for")
	case n > MaxTemplateBatch:
		p.Add("client_ids", "draft for at most %d clients at once (%d chosen)", MaxTemplateBatch, n)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	t, _, err := s.ProposalTemplate(ctx, r.TemplateID)
	if err != nil {
		return nil, err
	}
	if t.Archived {
		return nil, domain.Conflict("this template is archived: choose another")
	}
	f, err := s.firm(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	today := s.today(f, now)
	batch := r.BatchID
	if batch == uuid.Nil {
		batch = DeriveID(meta.CommandID, "template-batch")
	}
	out := make([]TemplateDraft, 0, len(r.ClientIDs))
	seen := map[uuid.UUID]bool{}
	for i, cid := range r.ClientIDs {
		if seen[cid] {
			continue
		}
		seen[cid] = true
		cl, _, ok, err := fold(ctx, s.env, clientDecider, clientStream(cid))
		if err != nil {
			return nil, err
		}
		if !ok || !cl.Created() {
			return nil, domain.Invalid(fmt.Sprintf("client_ids[%d]", i), "there is no client %s", cid)
		}
		d, err := s.draftOne(ctx, t, cl, f, batch, r, today, meta)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *Service) draftOne(ctx context.Context, t proposaltemplate.State, cl client.State, f firm.State, batch uuid.UUID, r DraftFromTemplateRequest, today domain.Date, meta Meta) (TemplateDraft, error) {
	pid := proposaltemplate.ProposalID(batch, cl.ID)
	d := proposaltemplate.DraftFrom(t, pid, today)
	out := TemplateDraft{ClientID: cl.ID, ClientName: cl.Name, ProposalID: pid, Title: d.Title}
	cmd := proposal.DraftProposal{
		ProposalID: pid, ClientID: cl.ID, Title: d.Title, Currency: cl.Currency, StartDate: r.StartDate, Lines: d.Lines,
		Offer:  proposal.Offer{Letter: d.Letter, Packages: d.Packages, AddOns: d.AddOns, ExpiresOn: d.ExpiresOn, TemplateID: t.ID, Today: today},
		Client: cl.Facts(), Now: s.now(),
	}
	events, err := proposal.Decide(proposal.State{}, cmd)
	if err != nil {
		out.Err = err
		return out, nil
	}
	out.Totals = templateTotals(proposal.Fold(events), f.TaxMode, today)
	if r.DryRun {
		return out, nil
	}
	m := meta
	m.CommandID = meta.CommandID + "/" + cl.ID.String()
	_, err = s.proposal(ctx, cmd, pid, m, pid)
	var de *domain.Error
	switch {
	case err == nil:
		out.Created = true
	case errors.As(err, &de) && de.Code == domain.ECONFLICT:
		out.Existed = true // drafted by an earlier run of this batch
	default:
		if domain.ErrorCode(err) == domain.EINTERNAL {
			return out, err
		}
		out.Err = err
	}
	return out, nil
}

// templateTotals says what a drafted proposal bills per period: its core
// lines, or its core lines with each package.
func templateTotals(st proposal.State, mode domain.TaxMode, today domain.Date) []string {
	say := func(prefix string, lines []proposal.Line) string {
		s := st
		s.Lines = lines
		v, err := proposal.ValueOf(s, mode, today)
		if err != nil {
			return prefix + "—"
		}
		return prefix + proposal.FormatCadences(v.Cadences)
	}
	if len(st.Packages) == 0 {
		return []string{say("", st.Lines)}
	}
	out := make([]string, len(st.Packages))
	for i, p := range st.Packages {
		out[i] = say(p.Name+": ", append(append([]proposal.Line(nil), st.Lines...), p.Lines...))
	}
	return out
}
