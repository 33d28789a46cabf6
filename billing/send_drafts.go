package billing

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/proposal"
)

// SendDraftsRequest sends every draft of ProposalIDs (at most
// MaxTemplateBatch): "Send them all" after drafting from a template.
type SendDraftsRequest struct {
	ProposalIDs []uuid.UUID
}

// DraftSent is the outcome for one proposal of SendDrafts: sent now
// (Sent), not a draft any more (AlreadySent: sent, or answered, before), or
// why it could not be sent (Err).
type DraftSent struct {
	ProposalID  uuid.UUID
	ClientID    uuid.UUID
	Title       string
	To          []string // the addresses it was sent to
	Sent        bool
	AlreadySent bool
	Err         error
}

// Unsent counts the proposals of ids that are still drafts: what
// SendDrafts would send.
func (s *Service) Unsent(ctx context.Context, ids []uuid.UUID) (int, error) {
	n := 0
	for _, id := range ids {
		p, _, ok, err := fold(ctx, s.env, proposalDecider, proposal.StreamName(id))
		if err != nil {
			return 0, err
		}
		if ok && p.Status == proposal.StatusDraft {
			n++
		}
	}
	return n, nil
}

// SendDrafts sends each proposal of r that is still a draft, each its own
// append (one refused does not stop the others): to its signatories (each
// then emailed their own signing link), or, without any, to the client's
// primary billing contact. Each send's command id is derived from meta's
// and the proposal, so a repeated request sends nothing twice; proposals
// no longer drafts are reported as AlreadySent and left alone.
func (s *Service) SendDrafts(ctx context.Context, r SendDraftsRequest, meta Meta) ([]DraftSent, error) {
	meta = s.begin(meta)
	switch n := len(r.ProposalIDs); {
	case n == 0:
		return nil, domain.Invalid("proposal_ids", "there are no drafts to send")
	case n > MaxTemplateBatch:
		return nil, domain.Invalid("proposal_ids", "send at most %d proposals at once (%d chosen)", MaxTemplateBatch, n)
	}
	out := make([]DraftSent, 0, len(r.ProposalIDs))
	seen := map[uuid.UUID]bool{}
	for _, id := range r.ProposalIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		d, err := s.sendDraft(ctx, id, meta)
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *Service) sendDraft(ctx context.Context, id uuid.UUID, meta Meta) (DraftSent, error) {
	p, _, ok, err := fold(ctx, s.env, proposalDecider, proposal.StreamName(id))
	if err != nil {
		return DraftSent{}, err
	}
	out := DraftSent{ProposalID: id, ClientID: p.ClientID, Title: p.Title}
	if !ok {
		out.Err = domain.NotFound("this proposal does not exist")
		return out, nil
	}
	if p.Status != proposal.StatusDraft {
		out.AlreadySent = true
		return out, nil
	}
	var to []proposal.Recipient
	for _, g := range p.Signatories {
		to = append(to, proposal.Recipient{ContactID: g.ContactID, Name: g.Name, Email: g.Email})
	}
	if len(to) == 0 {
		cl, _, _, err := fold(ctx, s.env, clientDecider, clientStream(p.ClientID))
		if err != nil {
			return out, err
		}
		ct, ok := cl.PrimaryContact()
		if !ok || ct.Email == "" {
			out.Err = domain.Invalid("recipients", "the client has no primary billing contact with an email address, and the proposal no signatories: send it from its page")
			return out, nil
		}
		to = append(to, proposal.Recipient{ContactID: ct.ID, Name: ct.Name, Email: ct.Email})
	}
	for _, r := range to {
		out.To = append(out.To, r.Email)
	}
	m := meta
	m.CommandID = meta.CommandID + "/send/" + id.String()
	_, err = s.proposal(ctx, proposal.SendProposal{ProposalID: id, Recipients: to, Now: s.now()}, id, m, uuid.Nil)
	switch {
	case err == nil:
		out.Sent = true
	case domain.ErrorCode(err) == domain.EINTERNAL:
		return out, fmt.Errorf("send proposal %s: %w", id, err)
	default:
		out.Err = err
	}
	return out, nil
}
