package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
)

func (s *Server) registerProposalRoutes(r *mux.Router) {
	r.HandleFunc("/api/proposals", s.handleProposalDraft).Methods(http.MethodPost)
	r.HandleFunc("/api/proposals/{id}", s.handleProposalView).Methods(http.MethodGet)
	r.HandleFunc("/api/proposals/{id}", s.handleProposalEdit).Methods(http.MethodPut)
	r.HandleFunc("/api/proposals/{id}/send", s.handleProposalSend).Methods(http.MethodPost)
	r.HandleFunc("/api/proposals/{id}/accept", s.handleProposalAccept).Methods(http.MethodPost)
	r.HandleFunc("/api/proposals/{id}/decline", s.handleProposalDecline).Methods(http.MethodPost)
	r.HandleFunc("/api/proposals/{id}/withdraw", s.handleProposalWithdraw).Methods(http.MethodPost)
	r.HandleFunc("/api/proposals/{id}/expire", s.handleProposalExpire).Methods(http.MethodPost)
}

// ProposalContent is a draft's title, start date and service lines (each
// line's id is optional).
type ProposalContent struct {
	Title     string          `json:"title"`
	StartDate domain.Date     `json:"start_date,omitzero"`
	Lines     []proposal.Line `json:"lines,omitempty"`
}

// ProposalSend sends (or re-sends) a proposal to some of the client's
// contacts and/or an email address; the outbox emails it to each.
type ProposalSend struct {
	ContactIDs     []uuid.UUID `json:"contact_ids,omitempty"`
	RecipientEmail string      `json:"recipient_email,omitempty"`
}

// ProposalAcceptance is the client's acceptance of a proposal.
type ProposalAcceptance struct {
	AcceptedByName  string    `json:"accepted_by_name"`
	AcceptedByEmail string    `json:"accepted_by_email"`
	SignatureName   string    `json:"signature_name"`
	PaymentMethodID uuid.UUID `json:"payment_method_id,omitzero"`
}

// ProposalExpiry expires a sent proposal on a date (today when absent).
type ProposalExpiry struct {
	ExpiresOn domain.Date `json:"expires_on,omitzero"`
}

// ProposalResource is a proposal with its lines, as folded from its stream.
type ProposalResource struct {
	ID              ID             `json:"id"`
	ClientID        ID             `json:"client_id"`
	Title           string         `json:"title"`
	Currency        string         `json:"currency"`
	StartDate       domain.Date    `json:"start_date"`
	Lines           []ProposalLine `json:"lines"`
	Status          string         `json:"status"`
	DraftedAt       Time           `json:"drafted_at"`
	SentTo          string         `json:"sent_to"`
	SentAt          Time           `json:"sent_at"`
	AcceptedByName  string         `json:"accepted_by_name"`
	AcceptedByEmail string         `json:"accepted_by_email"`
	SignatureName   string         `json:"signature_name"`
	AcceptedOn      domain.Date    `json:"accepted_on"`
	PaymentMethodID ID             `json:"payment_method_id"`
	DeclineReason   string         `json:"decline_reason"`
	WithdrawReason  string         `json:"withdraw_reason"`
	ExpiresOn       domain.Date    `json:"expires_on"`
	ClosedAt        Time           `json:"closed_at"`
	Revision        uint64         `json:"revision"`
}

// proposalResourceOf converts a proposal folded to a revision of its stream.
func proposalResourceOf(p proposal.State, rev uint64) ProposalResource {
	return ProposalResource{
		ID: ID(p.ID), ClientID: ID(p.ClientID), Title: p.Title, Currency: p.Currency.Code, StartDate: p.StartDate,
		Lines: wireList(p.Lines, proposalLineOf), Status: string(p.Status), DraftedAt: Time(p.DraftedAt),
		SentTo: p.SentTo, SentAt: Time(p.SentAt), AcceptedByName: p.AcceptedByName, AcceptedByEmail: p.AcceptedByEmail,
		SignatureName: p.SignatureName, AcceptedOn: p.AcceptedOn, PaymentMethodID: ID(p.PaymentMethodID),
		DeclineReason: p.DeclineReason, WithdrawReason: p.WithdrawReason, ExpiresOn: p.ExpiresOn, ClosedAt: Time(p.ClosedAt),
		Revision: rev,
	}
}

func (s *Server) readProposal(ctx context.Context, id uuid.UUID) (ProposalResource, error) {
	st, rev, err := s.proposalState(ctx, id)
	return proposalResourceOf(st, rev), err
}

// proposals are the clients' proposals, folded from their streams.
func (s *Server) proposals() root[ProposalResource] {
	return root[ProposalResource]{what: "proposal", base: "/api/proposals/", stream: proposal.StreamName, read: s.readProposal,
		rev: func(p ProposalResource) uint64 { return p.Revision }}
}

func (s *Server) handleProposalDraft(w http.ResponseWriter, r *http.Request) {
	readCommand(s, w, r, []string{"client_id", "title"}, func(b billing.ProposalRequest) command {
		return s.proposals().creation(func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.DraftProposal(ctx, b, meta)
		})
	})
}

func (s *Server) handleProposalView(w http.ResponseWriter, r *http.Request) {
	s.proposals().view(s, w, r)
}

func (s *Server) handleProposalEdit(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.proposals(), []string{"title"}, func(ctx context.Context, id uuid.UUID, b ProposalContent, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.EditProposal(ctx, billing.ProposalRequest{ProposalID: id, Title: b.Title, StartDate: b.StartDate, Lines: b.Lines}, meta)
	})
}

func (s *Server) handleProposalSend(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.proposals(), nil, func(ctx context.Context, id uuid.UUID, b ProposalSend, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.SendProposal(ctx, billing.SendProposalRequest{ProposalID: id, ContactIDs: b.ContactIDs, RecipientEmail: b.RecipientEmail}, meta)
	})
}

func (s *Server) handleProposalAccept(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.proposals(), []string{"accepted_by_name", "signature_name"}, func(ctx context.Context, id uuid.UUID, b ProposalAcceptance, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.AcceptProposal(ctx, billing.AcceptProposalRequest{
			ProposalID: id, AcceptedByName: b.AcceptedByName, AcceptedByEmail: b.AcceptedByEmail,
			SignatureName: b.SignatureName, PaymentMethodID: b.PaymentMethodID,
		}, meta)
	})
}

func (s *Server) handleProposalDecline(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.proposals(), nil, func(ctx context.Context, id uuid.UUID, b Reason, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.DeclineProposal(ctx, billing.ProposalRef{ProposalID: id, Reason: b.Reason}, meta)
	})
}

func (s *Server) handleProposalWithdraw(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.proposals(), nil, func(ctx context.Context, id uuid.UUID, b Reason, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.WithdrawProposal(ctx, billing.ProposalRef{ProposalID: id, Reason: b.Reason}, meta)
	})
}

func (s *Server) handleProposalExpire(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.proposals(), nil, func(ctx context.Context, id uuid.UUID, b ProposalExpiry, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.ExpireProposal(ctx, billing.ProposalRef{ProposalID: id, ExpiresOn: b.ExpiresOn}, meta)
	})
}
