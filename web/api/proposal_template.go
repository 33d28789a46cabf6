package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposaltemplate"
)

func (s *Server) registerProposalTemplateRoutes(r *mux.Router) {
	r.HandleFunc("/api/proposal-templates", s.handleProposalTemplateList).Methods(http.MethodGet)
	r.HandleFunc("/api/proposal-templates", s.handleProposalTemplateCreate).Methods(http.MethodPost)
	r.HandleFunc("/api/proposal-templates/{id}", s.handleProposalTemplateView).Methods(http.MethodGet)
	r.HandleFunc("/api/proposal-templates/{id}", s.handleProposalTemplateEdit).Methods(http.MethodPut)
	r.HandleFunc("/api/proposal-templates/{id}/archive", s.handleProposalTemplateArchive).Methods(http.MethodPost)
	r.HandleFunc("/api/proposal-templates/{id}/proposals", s.handleProposalTemplateDraft).Methods(http.MethodPost)
}

// ProposalTemplateResource is a proposal template: the content each
// proposal drafted from it starts with.
type ProposalTemplateResource struct {
	ID         ID                `json:"id"`
	Name       string            `json:"name"`
	Title      string            `json:"title"`
	Letter     string            `json:"letter"`
	Lines      []ProposalLine    `json:"lines"`
	Packages   []ProposalPackage `json:"packages"`
	AddOns     []ProposalLine    `json:"add_ons"`
	ExpiryDays int               `json:"expiry_days"`
	Archived   bool              `json:"archived"`
	CreatedAt  Time              `json:"created_at"`
	UpdatedAt  Time              `json:"updated_at"`
	Revision   uint64            `json:"revision"`
}

func proposalTemplateOf(t proposaltemplate.State, rev uint64) ProposalTemplateResource {
	return ProposalTemplateResource{
		ID: ID(t.ID), Name: t.Name, Title: t.Title, Letter: t.Letter, Lines: wireList(t.Lines, proposalLineOf),
		Packages: wireList(t.Packages, proposalPackageOf), AddOns: wireList(t.AddOns, proposalLineOf),
		ExpiryDays: t.ExpiryDays, Archived: t.Archived, CreatedAt: Time(t.CreatedAt), UpdatedAt: Time(t.UpdatedAt), Revision: rev,
	}
}

// TemplateProposals drafts one proposal from a template for each client
// named (client_ids) or selected by the clients list's filter and search;
// dry_run previews them and drafts nothing. batch_id (else the
// Idempotency-Key) names the batch: sent again, it drafts nothing twice.
type TemplateProposals struct {
	ClientIDs []ID        `json:"client_ids,omitempty"`
	Filter    string      `json:"filter,omitempty"`
	Search    string      `json:"search,omitempty"`
	StartDate domain.Date `json:"start_date,omitzero"`
	BatchID   ID          `json:"batch_id,omitzero"`
	DryRun    bool        `json:"dry_run,omitempty"`
}

// TemplateProposalsResult is the outcome per client of drafting from a
// template.
type TemplateProposalsResult struct {
	DryRun bool                  `json:"dry_run"`
	Items  []TemplateProposalRow `json:"items"`
}

// TemplateProposalRow is one client's proposal drafted from a template:
// status "preview" (dry run), "created", "existed" (by an earlier run of
// the batch) or "refused" (problem says why); totals per billing period,
// one per package when it offers packages.
type TemplateProposalRow struct {
	ClientID   ID       `json:"client_id"`
	ClientName string   `json:"client_name"`
	ProposalID ID       `json:"proposal_id"`
	Title      string   `json:"title"`
	Totals     []string `json:"totals"`
	Status     string   `json:"status"`
	Problem    string   `json:"problem,omitempty"`
}

// templates are the proposal templates, folded from their streams.
func (s *Server) templates() root[ProposalTemplateResource] {
	return root[ProposalTemplateResource]{what: "proposal template", base: "/api/proposal-templates/", stream: proposaltemplate.StreamName,
		read: func(ctx context.Context, id uuid.UUID) (ProposalTemplateResource, error) {
			t, rev, err := s.cfg.Billing.ProposalTemplate(ctx, id)
			return proposalTemplateOf(t, rev), err
		},
		rev: func(t ProposalTemplateResource) uint64 { return t.Revision }}
}

func (s *Server) handleProposalTemplateList(w http.ResponseWriter, r *http.Request) {
	ts, err := s.models(r.Context()).ProposalTemplates(r.Context(), r.URL.Query().Get("include_archived") == "true")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	items := make([]ProposalTemplateResource, len(ts))
	for i, t := range ts {
		items[i] = proposalTemplateOf(t, 0)
	}
	s.writeJSON(w, r, http.StatusOK, List[ProposalTemplateResource]{Items: items, Total: len(items), Limit: len(items), AsOf: asOfMomentOf(r.Context())})
}

func (s *Server) handleProposalTemplateCreate(w http.ResponseWriter, r *http.Request) {
	readCommand(s, w, r, []string{"name", "title"}, func(b billing.ProposalTemplateRequest) command {
		return s.templates().creation(func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.CreateProposalTemplate(ctx, b, meta)
		})
	})
}

func (s *Server) handleProposalTemplateView(w http.ResponseWriter, r *http.Request) {
	s.templates().view(s, w, r)
}

func (s *Server) handleProposalTemplateEdit(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.templates(), []string{"name", "title"}, func(ctx context.Context, id uuid.UUID, b billing.ProposalTemplateRequest, meta billing.Meta) (billing.Result, error) {
		b.TemplateID = id
		return s.cfg.Billing.EditProposalTemplate(ctx, b, meta)
	})
}

func (s *Server) handleProposalTemplateArchive(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.templates(), nil, func(ctx context.Context, id uuid.UUID, _ none, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.ArchiveProposalTemplate(ctx, id, meta)
	})
}

// handleProposalTemplateDraft drafts (or previews) one proposal per client
// from a template. The selection is read from the clients list at the
// moment of the request.
func (s *Server) handleProposalTemplateDraft(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "proposal template")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	raw, err := readBody(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var b TemplateProposals
	if err := decodeJSON(raw, &b); err != nil {
		s.Error(w, r, err)
		return
	}
	ctx := context.WithoutCancel(r.Context())
	ids, _, err := s.selectClients(ctx, BulkPaymentDetailsRequestBody{ClientIDs: b.ClientIDs, Filter: b.Filter, Search: b.Search})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	meta := billing.Meta{Actor: actor(r)}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		meta.CommandID = meta.Actor + ":" + key
	}
	drafts, err := s.cfg.Billing.DraftFromTemplate(ctx, billing.DraftFromTemplateRequest{
		TemplateID: id, ClientIDs: ids, BatchID: uuid.UUID(b.BatchID), StartDate: b.StartDate, DryRun: b.DryRun,
	}, meta)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	out := TemplateProposalsResult{DryRun: b.DryRun, Items: make([]TemplateProposalRow, len(drafts))}
	for i, d := range drafts {
		out.Items[i] = templateProposalRowOf(d)
	}
	if !b.DryRun {
		if head, err := s.cfg.Store.Head(ctx); err == nil {
			if err := s.cfg.Runner.WaitFor(ctx, head); err != nil {
				s.log.Warn("read models did not reach the drafted proposals", "err", err)
			}
		}
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

func templateProposalRowOf(d billing.TemplateDraft) TemplateProposalRow {
	row := TemplateProposalRow{ClientID: ID(d.ClientID), ClientName: d.ClientName, ProposalID: ID(d.ProposalID), Title: d.Title,
		Totals: d.Totals, Status: "preview"}
	if row.Totals == nil {
		row.Totals = []string{}
	}
	switch {
	case d.Err != nil:
		row.Status, row.Problem = "refused", domain.ErrorMessage(d.Err)
	case d.Created:
		row.Status = "created"
	case d.Existed:
		row.Status = "existed"
	}
	return row
}
