package api

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"

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
	r.HandleFunc("/api/proposals/{id}/document", s.handleProposalDocument).Methods(http.MethodGet)
	r.HandleFunc("/api/proposals/{id}/signatures", s.handleProposalSign).Methods(http.MethodPost)
}

// ProposalContent is a draft's title, start date, core service lines and
// offer: the letter, packages, add-ons, signatories and expiry date (every
// id optional).
type ProposalContent struct {
	Title     string          `json:"title"`
	StartDate domain.Date     `json:"start_date,omitzero"`
	Lines     []proposal.Line `json:"lines,omitempty"`
	billing.ProposalOffer
}

// ProposalSigning is one signature, by a signatory (signatory_id) or, for a
// proposal without signatories, by whoever holds its link (name and email).
// document_hash is the hash of the document the signer read (GET
// /api/proposals/{id}/document); the signer's IP address and user agent are
// taken from the request.
type ProposalSigning struct {
	SignatoryID     uuid.UUID   `json:"signatory_id,omitzero"`
	Name            string      `json:"name,omitempty"`
	Email           string      `json:"email,omitempty"`
	SignedName      string      `json:"signed_name"`
	DocumentHash    string      `json:"document_hash"`
	PackageID       uuid.UUID   `json:"package_id,omitzero"`
	AddOnIDs        []uuid.UUID `json:"add_on_ids,omitempty"`
	PaymentMethodID uuid.UUID   `json:"payment_method_id,omitzero"`
}

// ProposalDocument is the document a proposal's signers read and sign
// (Markdown) and its SHA-256.
type ProposalDocument struct {
	Document     string `json:"document"`
	DocumentHash string `json:"document_hash"`
}

// ProposalPackage is the wire form of proposal.Package.
type ProposalPackage struct {
	ID          ID             `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Lines       []ProposalLine `json:"lines"`
}

// ProposalSignatory is the wire form of proposal.Signatory, with whether
// they have signed.
type ProposalSignatory struct {
	ID        ID     `json:"id"`
	ContactID ID     `json:"contact_id,omitzero"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Signed    bool   `json:"signed"`
}

// ProposalSignature is one signature's evidence.
type ProposalSignature struct {
	SignatoryID  ID     `json:"signatory_id,omitzero"`
	SignedName   string `json:"signed_name"`
	Email        string `json:"email"`
	IP           string `json:"ip"`
	UserAgent    string `json:"user_agent"`
	DocumentHash string `json:"document_hash"`
	At           Time   `json:"at"`
}

// ProposalVisit is one recorded view of a sent proposal.
type ProposalVisit struct {
	SignatoryID ID     `json:"signatory_id,omitzero"`
	IP          string `json:"ip"`
	UserAgent   string `json:"user_agent"`
	At          Time   `json:"at"`
}

// ProposalSend sends (or re-sends) a proposal to some of the client's
// contacts and/or an email address; the outbox emails it to each.
type ProposalSend struct {
	ContactIDs     []uuid.UUID `json:"contact_ids,omitempty"`
	RecipientEmail string      `json:"recipient_email,omitempty"`
}

// ProposalAcceptance is the client's acceptance of a proposal without
// signatories, with the package chosen and add-ons ticked when it offers
// them.
type ProposalAcceptance struct {
	AcceptedByName  string      `json:"accepted_by_name"`
	AcceptedByEmail string      `json:"accepted_by_email"`
	SignatureName   string      `json:"signature_name"`
	PaymentMethodID uuid.UUID   `json:"payment_method_id,omitzero"`
	PackageID       uuid.UUID   `json:"package_id,omitzero"`
	AddOnIDs        []uuid.UUID `json:"add_on_ids,omitempty"`
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
	// The offer: letter ("" : the default letter), packages, add-ons,
	// signatories and the date it is open until (null: no expiry).
	Letter      string              `json:"letter"`
	Packages    []ProposalPackage   `json:"packages"`
	AddOns      []ProposalLine      `json:"add_ons"`
	Signatories []ProposalSignatory `json:"signatories"`
	OpenUntil   domain.Date         `json:"open_until"`
	TemplateID  ID                  `json:"template_id,omitzero"`
	RenewalOf   ID                  `json:"renewal_of,omitzero"`
	// The answer so far: the choice fixed by the first signature, each
	// signature's evidence, views and reminders.
	PackageID      ID                  `json:"package_id,omitzero"`
	AddOnIDs       []ID                `json:"add_on_ids"`
	Signatures     []ProposalSignature `json:"signatures"`
	Views          []ProposalVisit     `json:"views"`
	Reminders      int                 `json:"reminders"`
	LastReminderAt Time                `json:"last_reminder_at"`
	// DocumentHash is the accepted document's hash once accepted by
	// signature (GET …/document for the document).
	DocumentHash string `json:"document_hash,omitempty"`
	Revision     uint64 `json:"revision"`
}

// proposalResourceOf converts a proposal folded to a revision of its stream.
func proposalResourceOf(p proposal.State, rev uint64) ProposalResource {
	return ProposalResource{
		ID: ID(p.ID), ClientID: ID(p.ClientID), Title: p.Title, Currency: p.Currency.Code, StartDate: p.StartDate,
		Lines: wireList(p.Lines, proposalLineOf), Status: string(p.Status), DraftedAt: Time(p.DraftedAt),
		SentTo: p.SentTo, SentAt: Time(p.SentAt), AcceptedByName: p.AcceptedByName, AcceptedByEmail: p.AcceptedByEmail,
		SignatureName: p.SignatureName, AcceptedOn: p.AcceptedOn, PaymentMethodID: ID(p.PaymentMethodID),
		DeclineReason: p.DeclineReason, WithdrawReason: p.WithdrawReason, ExpiresOn: p.ExpiresOn, ClosedAt: Time(p.ClosedAt),
		Letter: p.Letter, Packages: wireList(p.Packages, proposalPackageOf), AddOns: wireList(p.AddOns, proposalLineOf),
		Signatories: wireList(p.Signatories, func(g proposal.Signatory) ProposalSignatory {
			return ProposalSignatory{ID: ID(g.ID), ContactID: ID(g.ContactID), Name: g.Name, Email: g.Email, Signed: p.Signed(g.ID)}
		}),
		OpenUntil: p.OpenUntil, TemplateID: ID(p.TemplateID), RenewalOf: ID(p.RenewalOf),
		PackageID: ID(p.PackageID), AddOnIDs: wireList(p.AddOnIDs, func(id uuid.UUID) ID { return ID(id) }),
		Signatures: wireList(p.Signatures, func(g proposal.Signature) ProposalSignature {
			return ProposalSignature{SignatoryID: ID(g.SignatoryID), SignedName: g.SignedName, Email: g.Email, IP: g.IP,
				UserAgent: g.UserAgent, DocumentHash: g.DocumentHash, At: Time(g.At)}
		}),
		Views: wireList(p.Views, func(v proposal.View) ProposalVisit {
			return ProposalVisit{SignatoryID: ID(v.SignatoryID), IP: v.IP, UserAgent: v.UserAgent, At: Time(v.At)}
		}),
		Reminders: p.Reminders, LastReminderAt: Time(p.LastReminderAt), DocumentHash: p.DocumentHash,
		Revision: rev,
	}
}

func proposalPackageOf(p proposal.Package) ProposalPackage {
	return ProposalPackage{ID: ID(p.ID), Name: p.Name, Description: p.Description, Lines: wireList(p.Lines, proposalLineOf)}
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
		return s.cfg.Billing.EditProposal(ctx, billing.ProposalRequest{ProposalID: id, Title: b.Title, StartDate: b.StartDate, Lines: b.Lines, ProposalOffer: b.ProposalOffer}, meta)
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
			SignatureName: b.SignatureName, PaymentMethodID: b.PaymentMethodID, PackageID: b.PackageID, AddOnIDs: b.AddOnIDs,
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

func (s *Server) handleProposalDocument(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "proposal")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	doc, hash, err := s.cfg.Billing.ProposalDocument(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	// Asked for Markdown, the document itself, its hash in a header.
	if strings.Contains(r.Header.Get("Accept"), "text/markdown") {
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.Header().Set("Document-Hash", hash)
		_, _ = io.WriteString(w, doc)
		return
	}
	s.writeJSON(w, r, http.StatusOK, ProposalDocument{Document: doc, DocumentHash: hash})
}

func (s *Server) handleProposalSign(w http.ResponseWriter, r *http.Request) {
	ip, ua := clientEvidence(r)
	act(s, w, r, s.proposals(), []string{"signed_name", "document_hash"}, func(ctx context.Context, id uuid.UUID, b ProposalSigning, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.SignProposal(ctx, billing.SignProposalRequest{
			ProposalID: id, SignatoryID: b.SignatoryID, Name: b.Name, Email: b.Email, SignedName: b.SignedName,
			DocumentHash: b.DocumentHash, PackageID: b.PackageID, AddOnIDs: b.AddOnIDs, PaymentMethodID: b.PaymentMethodID,
			IP: ip, UserAgent: ua,
		}, meta)
	})
}

// clientEvidence is the IP address (the connection's, not a forwarded
// header's, which anyone can set) and User-Agent of a request.
func clientEvidence(r *http.Request) (ip, userAgent string) {
	ip = r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ip = host
	}
	return ip, r.UserAgent()
}
