package billing

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/proposal"
	"remit/domain/service"
)

// ProposalRequest drafts a proposal (ProposalID optional) or edits a draft
// (ProposalID required; ClientID and Currency ignored). Lines without an id
// get one derived from the command id.
type ProposalRequest struct {
	ProposalID uuid.UUID       `json:"proposal_id,omitzero"`
	ClientID   uuid.UUID       `json:"client_id,omitzero"`
	Title      string          `json:"title"`
	Currency   string          `json:"currency,omitempty"` // ISO 4217; empty: the client's currency
	StartDate  domain.Date     `json:"start_date,omitzero"`
	Lines      []proposal.Line `json:"lines,omitempty"`
}

// SendProposalRequest sends (or re-sends) a proposal to the client's
// contacts named by ContactIDs and to RecipientEmail (either may be empty,
// not both); the outbox emails it to each.
type SendProposalRequest struct {
	ProposalID     uuid.UUID   `json:"proposal_id"`
	ContactIDs     []uuid.UUID `json:"contact_ids,omitempty"`
	RecipientEmail string      `json:"recipient_email,omitempty"`
}

// AcceptProposalRequest records the client's acceptance; the acceptance date
// is today in the firm's time zone.
type AcceptProposalRequest struct {
	ProposalID      uuid.UUID `json:"proposal_id"`
	AcceptedByName  string    `json:"accepted_by_name"`
	AcceptedByEmail string    `json:"accepted_by_email"`
	SignatureName   string    `json:"signature_name"`
	PaymentMethodID uuid.UUID `json:"payment_method_id,omitzero"`
}

// ProposalRef names a proposal, with an optional reason (decline, withdraw)
// or expiry date (expire).
type ProposalRef struct {
	ProposalID uuid.UUID   `json:"proposal_id"`
	Reason     string      `json:"reason,omitempty"`
	ExpiresOn  domain.Date `json:"expires_on,omitzero"`
}

func (s *Service) proposal(ctx context.Context, c proposal.Command, id uuid.UUID, meta Meta, created uuid.UUID) (Result, error) {
	return run(ctx, s, proposalDecider, proposal.StreamName(id), c, meta, created)
}

func withLineIDs(lines []proposal.Line, meta Meta) []proposal.Line {
	out := slices.Clone(lines)
	for i := range out {
		out[i].ID = pick(out[i].ID, meta, fmt.Sprintf("line/%d", i))
	}
	return out
}

// DraftProposal starts a draft proposal; Result.ID is its id.
func (s *Service) DraftProposal(ctx context.Context, r ProposalRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	var p domain.Problems
	var cl client.State
	if r.ClientID != uuid.Nil || r.Currency == "" {
		var ok bool
		var err error
		cl, _, ok, err = fold(ctx, s.env, clientDecider, clientStream(r.ClientID))
		if err != nil {
			return Result{}, err
		}
		if !ok {
			return Result{}, domain.NotFound("There is no such client.")
		}
	}
	cur := parseCurrency(&p, "currency", r.Currency, cl.Currency)
	if err := p.Err(); err != nil {
		return Result{}, err
	}
	id := pick(r.ProposalID, meta, "proposal")
	return s.proposal(ctx, proposal.DraftProposal{
		ProposalID: id, ClientID: r.ClientID, Title: r.Title, Currency: cur, StartDate: r.StartDate,
		Lines: withLineIDs(r.Lines, meta), Client: cl.Facts(), Now: s.now(),
	}, id, meta, id)
}

// EditProposal replaces a draft's title, start date and lines.
func (s *Service) EditProposal(ctx context.Context, r ProposalRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.proposal(ctx, proposal.EditDraft{ProposalID: r.ProposalID, Title: r.Title, StartDate: r.StartDate, Lines: withLineIDs(r.Lines, meta), Now: s.now()}, r.ProposalID, meta, uuid.Nil)
}

// SendProposal sends a draft, or re-sends a sent proposal.
func (s *Service) SendProposal(ctx context.Context, r SendProposalRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	var to []proposal.Recipient
	if len(r.ContactIDs) > 0 {
		p, _, ok, err := fold(ctx, s.env, proposalDecider, proposal.StreamName(r.ProposalID))
		if err != nil {
			return Result{}, err
		}
		if !ok {
			return Result{}, domain.NotFound("this proposal does not exist")
		}
		c, _, _, err := fold(ctx, s.env, clientDecider, clientStream(p.ClientID))
		if err != nil {
			return Result{}, err
		}
		var probs domain.Problems
		for i, id := range r.ContactIDs {
			ct, ok := c.Contact(id)
			if !ok {
				probs.Add(fmt.Sprintf("contact_ids[%d]", i), "the client has no such contact")
				continue
			}
			to = append(to, proposal.Recipient{ContactID: ct.ID, Name: ct.Name, Email: ct.Email})
		}
		if err := probs.Err(); err != nil {
			return Result{}, err
		}
	}
	return s.proposal(ctx, proposal.SendProposal{ProposalID: r.ProposalID, Recipients: to, RecipientEmail: r.RecipientEmail, Now: s.now()}, r.ProposalID, meta, uuid.Nil)
}

// AcceptProposal records the acceptance, then activates one service per line
// (ids proposal.ServiceID(proposal, line)), each its own append. Re-running
// it (same or another command id) activates what is missing and nothing
// twice. Result is the proposal stream's; Position covers the activations.
func (s *Service) AcceptProposal(ctx context.Context, r AcceptProposalRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	f, err := s.firm(ctx)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	// The client's facts: the method named must be one of its own, and
	// every service activated is checked against them too.
	ps, _, _, err := fold(ctx, s.env, proposalDecider, proposal.StreamName(r.ProposalID))
	if err != nil {
		return Result{}, err
	}
	cl, _, _, err := fold(ctx, s.env, clientDecider, clientStream(ps.ClientID))
	if err != nil {
		return Result{}, err
	}
	facts := cl.Facts()
	out, err := Handle(ctx, s.env, proposalDecider, proposal.StreamName(r.ProposalID), proposal.Command(proposal.AcceptProposal{
		ProposalID: r.ProposalID, AcceptedByName: r.AcceptedByName, AcceptedByEmail: r.AcceptedByEmail,
		SignatureName: r.SignatureName, AcceptedOn: s.today(f, now), PaymentMethodID: r.PaymentMethodID, Client: facts, Now: now,
	}), meta)
	if err != nil {
		return Result{}, err
	}
	res := out.Result
	for _, spec := range proposal.ServicesToActivate(out.State) {
		mode := service.Manual
		if spec.Automatic {
			mode = service.Automatic
		}
		act, err := Handle(ctx, s.env, s.serviceDecider, service.StreamName(spec.ServiceID), service.Command(service.Activate{
			ServiceID: spec.ServiceID, ClientID: spec.ClientID,
			Source: service.Source{ProposalID: spec.ProposalID, ProposalLineID: spec.LineID},
			Name:   spec.Name, Description: spec.Description, UnitPrice: spec.UnitPrice, Quantity: spec.Quantity,
			Unit: spec.Unit, Discount: spec.Discount, TaxRate: spec.TaxRate, Currency: spec.Currency,
			BillingRule: spec.BillingRule, FirstDate: spec.FirstDate, Mode: mode,
			PaymentMethodID: spec.PaymentMethodID, Client: facts, Now: now,
		}), meta)
		if err != nil {
			if domain.ErrorCode(err) == domain.ECONFLICT && alreadyActivated(ctx, s, spec.ServiceID) {
				continue // activated by an earlier run of another command
			}
			return Result{}, fmt.Errorf("activate service %s of proposal %s: %w", spec.ServiceID, r.ProposalID, err)
		}
		res.Position = max(res.Position, act.Position)
	}
	return res, nil
}

func alreadyActivated(ctx context.Context, s *Service, id uuid.UUID) bool {
	st, _, _, err := fold(ctx, s.env, s.serviceDecider, service.StreamName(id))
	return err == nil && st.Activated()
}

// DeclineProposal records that the client declined.
func (s *Service) DeclineProposal(ctx context.Context, r ProposalRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.proposal(ctx, proposal.DeclineProposal{ProposalID: r.ProposalID, Reason: r.Reason, Now: s.now()}, r.ProposalID, meta, uuid.Nil)
}

// WithdrawProposal withdraws a draft or sent proposal.
func (s *Service) WithdrawProposal(ctx context.Context, r ProposalRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.proposal(ctx, proposal.WithdrawProposal{ProposalID: r.ProposalID, Reason: r.Reason, Now: s.now()}, r.ProposalID, meta, uuid.Nil)
}

// ExpireProposal expires a sent proposal on or after r.ExpiresOn (today
// when zero).
func (s *Service) ExpireProposal(ctx context.Context, r ProposalRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	f, err := s.firm(ctx)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	today := s.today(f, now)
	on := r.ExpiresOn
	if on.IsZero() {
		on = today
	}
	return s.proposal(ctx, proposal.ExpireProposal{ProposalID: r.ProposalID, ExpiresOn: on, Today: today, Now: now}, r.ProposalID, meta, uuid.Nil)
}
