package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/projections"
)

func (s *Server) registerClientRoutes(r *mux.Router) {
	r.HandleFunc("/api/clients", s.handleClientList).Methods(http.MethodGet)
	r.HandleFunc("/api/clients", s.handleClientCreate).Methods(http.MethodPost)
	r.HandleFunc("/api/clients/{id}", s.handleClientView).Methods(http.MethodGet)
	r.HandleFunc("/api/clients/{id}", s.handleClientEdit).Methods(http.MethodPut)
	r.HandleFunc("/api/clients/{id}/archive", s.handleClientArchive).Methods(http.MethodPost)
	r.HandleFunc("/api/clients/{id}/restore", s.handleClientRestore).Methods(http.MethodPost)
	r.HandleFunc("/api/clients/{id}/services", s.handleClientServices).Methods(http.MethodGet)
	r.HandleFunc("/api/clients/{id}/schedule", s.handleClientSchedule).Methods(http.MethodGet)
	r.HandleFunc("/api/clients/{id}/invoices", s.handleClientInvoices).Methods(http.MethodGet)
	r.HandleFunc("/api/clients/{id}/proposals", s.handleClientProposals).Methods(http.MethodGet)
}

// ClientDetails replaces a client's details (not its contacts).
type ClientDetails struct {
	Name             string         `json:"name"`
	Kind             client.Kind    `json:"kind"`
	Address          domain.Address `json:"address"`
	TaxNumber        string         `json:"tax_number,omitempty"`
	Currency         string         `json:"currency,omitempty"`
	PaymentTermsDays *int           `json:"payment_terms_days,omitempty"`
}

// Reason says why (archive, decline, withdraw, write off, void, end).
type Reason struct {
	Reason string `json:"reason,omitempty"`
}

// readClient returns the Summary tab of a client (the models keep recent
// summaries: projections' query cache).
func (s *Server) readClient(ctx context.Context, id uuid.UUID) (projections.ClientSummary, error) {
	today, err := s.today(ctx)
	if err != nil {
		return projections.ClientSummary{}, err
	}
	return s.models(ctx).Summary(ctx, id, today)
}

// clients are the firm's clients, answered as their Summary tab.
func (s *Server) clients() root[ClientSummary] {
	return root[ClientSummary]{what: "client", base: "/api/clients/", stream: client.StreamName, read: readAs(s.readClient, clientSummaryOf),
		rev: func(c ClientSummary) uint64 { return c.Revision }}
}

func (s *Server) handleClientList(w http.ResponseWriter, r *http.Request) {
	p, err := paging(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	filter, err := parseClientFilter(r.URL.Query().Get("filter"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	today, err := s.today(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	servePages(s, w, r, p, func(p projections.Paging) (projections.Page[projections.ClientListItem], error) {
		return s.models(r.Context()).ListClients(r.Context(), projections.ClientQuery{Search: r.URL.Query().Get("search"), Filter: filter, Tag: r.URL.Query().Get("tag"), Today: today, Paging: p})
	}, clientListItemOf)
}

func (s *Server) handleClientCreate(w http.ResponseWriter, r *http.Request) {
	readCommand(s, w, r, []string{"name", "kind"}, func(b billing.ClientRequest) command {
		return s.clients().creation(func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.CreateClient(ctx, b, meta)
		})
	})
}

func (s *Server) handleClientView(w http.ResponseWriter, r *http.Request) {
	s.clients().view(s, w, r)
}

func (s *Server) handleClientEdit(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.clients(), []string{"name", "kind"}, func(ctx context.Context, id uuid.UUID, b ClientDetails, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.EditClient(ctx, billing.ClientRequest{
			ClientID: id, Name: b.Name, Kind: b.Kind, Address: b.Address, TaxNumber: b.TaxNumber,
			Currency: b.Currency, PaymentTermsDays: b.PaymentTermsDays,
		}, meta)
	})
}

func (s *Server) handleClientArchive(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.clients(), nil, func(ctx context.Context, id uuid.UUID, b Reason, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.ArchiveClient(ctx, billing.ClientRef{ClientID: id, Reason: b.Reason}, meta)
	})
}

func (s *Server) handleClientRestore(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.clients(), nil, func(ctx context.Context, id uuid.UUID, _ none, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.RestoreClient(ctx, billing.ClientRef{ClientID: id}, meta)
	})
}

func (s *Server) handleClientServices(w http.ResponseWriter, r *http.Request) {
	serveList(s, w, r, "id", "client", func(id uuid.UUID) ([]projections.ServiceView, error) {
		status := r.URL.Query().Get("status")
		if status != "" && status != "active" && status != "ended" {
			return nil, malformed(domain.Invalid("status", "must be active or ended"))
		}
		today, err := s.today(r.Context())
		if err != nil {
			return nil, err
		}
		cs, err := s.models(r.Context()).ClientServices(r.Context(), id, today)
		if err != nil {
			return nil, err
		}
		var all []projections.ServiceView
		if status != "ended" {
			all = append(all, cs.Active...)
		}
		if status != "active" {
			all = append(all, cs.Ended...)
		}
		return all, nil
	}, serviceViewOf)
}

// scheduleQuery reads ?through= and ?include_archived=.
func (s *Server) scheduleQuery(r *http.Request) (projections.ScheduleQuery, error) {
	today, err := s.today(r.Context())
	if err != nil {
		return projections.ScheduleQuery{}, err
	}
	f, _, err := s.firmState(r.Context())
	if err != nil {
		return projections.ScheduleQuery{}, err
	}
	// Billing groups and catch-ups as the billing run of today forms them.
	q := projections.ScheduleQuery{Today: today, OneInvoicePerItem: !f.GroupItems, SkipMissed: f.SkipsMissedBillings()}
	var probs domain.Problems
	if v := r.URL.Query().Get("through"); v != "" {
		d, err := domain.ParseDate(v)
		if err != nil {
			probs.Add("through", "must be a date in the form YYYY-MM-DD")
		}
		q.Through = d
	}
	if v := r.URL.Query().Get("include_archived"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			probs.Add("include_archived", "must be true or false")
		}
		q.IncludeArchived = b
	}
	if err := probs.Err(); err != nil {
		return q, malformed(err)
	}
	return q, nil
}

func (s *Server) handleClientSchedule(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "client")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	q, err := s.scheduleQuery(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	sched, err := s.models(r.Context()).Schedule(r.Context(), id, q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	body := clientScheduleOf(sched)
	writeTable(s, w, r, "schedule", body.Items, body)
}

func (s *Server) handleClientInvoices(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "client")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if _, err := s.readClient(r.Context(), id); err != nil {
		s.Error(w, r, err)
		return
	}
	s.listInvoices(w, r, id)
}

func (s *Server) handleClientProposals(w http.ResponseWriter, r *http.Request) {
	serveList(s, w, r, "id", "client", func(id uuid.UUID) ([]projections.ProposalView, error) {
		c, err := s.readClient(r.Context(), id)
		return c.Proposals, err
	}, proposalViewOf)
}
