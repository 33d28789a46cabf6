package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/library"
	"remit/projections"
)

func (s *Server) registerLibraryRoutes(r *mux.Router) {
	r.HandleFunc("/api/library-services", s.handleLibraryServiceList).Methods(http.MethodGet)
	r.HandleFunc("/api/library-services", s.handleLibraryServiceAdd).Methods(http.MethodPost)
	r.HandleFunc("/api/library-services/{id}", s.handleLibraryServiceView).Methods(http.MethodGet)
	r.HandleFunc("/api/library-services/{id}", s.handleLibraryServiceChange).Methods(http.MethodPut)
	r.HandleFunc("/api/library-services/{id}/archive", s.handleLibraryServiceArchive).Methods(http.MethodPost)
	r.HandleFunc("/api/library-services/{id}/restore", s.handleLibraryServiceRestore).Methods(http.MethodPost)
}

// LibraryServiceBody is a service of the firm's services library as a
// client sends it: to add one (POST), or to replace one's terms whole
// (PUT). unit_price is in the firm's base currency; quantity defaults to 1.
type LibraryServiceBody struct {
	ID             uuid.UUID          `json:"id,omitzero"`
	Name           string             `json:"name"`
	Description    string             `json:"description,omitempty"`
	UnitPrice      decimal.Decimal    `json:"unit_price"`
	Quantity       decimal.Decimal    `json:"quantity"`
	Unit           string             `json:"unit,omitempty"`
	BillingRule    domain.BillingRule `json:"billing_rule"`
	Automatic      bool               `json:"automatic"`
	TaxRate        decimal.Decimal    `json:"tax_rate"`
	RevenueAccount string             `json:"revenue_account,omitempty"`
	Terms          string             `json:"terms,omitempty"`
}

func (b LibraryServiceBody) request(id uuid.UUID) billing.LibraryServiceRequest {
	return billing.LibraryServiceRequest{
		LibraryServiceID: id, Name: b.Name, Description: b.Description, UnitPrice: b.UnitPrice, Quantity: b.Quantity,
		Unit: b.Unit, BillingRule: b.BillingRule, Automatic: b.Automatic, TaxRate: b.TaxRate,
		RevenueAccount: b.RevenueAccount, Terms: b.Terms,
	}
}

// LibraryService is one service of the firm's services library: the
// default terms proposals and instant bills start from (each may override
// any of them). revision is the library's (one stream for every library
// service), the ETag If-Match names.
type LibraryService struct {
	ID             ID          `json:"id"`
	Name           string      `json:"name"`
	Description    string      `json:"description"`
	UnitPrice      Decimal     `json:"unit_price"`
	Quantity       Decimal     `json:"quantity"`
	Unit           string      `json:"unit"`
	BillingRule    BillingRule `json:"billing_rule"`
	Automatic      bool        `json:"automatic"`
	TaxRate        Decimal     `json:"tax_rate"`
	RevenueAccount string      `json:"revenue_account"`
	Terms          string      `json:"terms"`
	Archived       bool        `json:"archived"`
	AddedAt        Time        `json:"added_at"`
	ChangedAt      Time        `json:"changed_at"`
	Revision       uint64      `json:"revision"`
}

// libraryServiceOf converts a projections.LibraryServiceView, with the
// library's revision rev.
func libraryServiceOf(v projections.LibraryServiceView, rev uint64) LibraryService {
	return LibraryService{
		ID: ID(v.ServiceID), Name: v.Name, Description: v.Description, UnitPrice: decimalOf(v.UnitPrice),
		Quantity: decimalOf(v.Quantity), Unit: v.Unit, BillingRule: billingRuleOf(v.BillingRule), Automatic: v.Automatic,
		TaxRate: decimalOf(v.TaxRate), RevenueAccount: v.RevenueAccount, Terms: v.Terms, Archived: v.Archived,
		AddedAt: Time(v.AddedAt), ChangedAt: Time(v.ChangedAt), Revision: rev,
	}
}

func (s *Server) readLibraryService(ctx context.Context, id uuid.UUID) (LibraryService, error) {
	v, err := s.models(ctx).LibraryService(ctx, id)
	if err != nil {
		return LibraryService{}, err
	}
	rev, err := s.models(ctx).LibraryRevision(ctx)
	return libraryServiceOf(v, rev), err
}

// libraryServices are the library's services: parts of the one library
// stream, each at its own URL.
func (s *Server) libraryServices() root[LibraryService] {
	return root[LibraryService]{what: "library service", base: "/api/library-services/", read: s.readLibraryService,
		stream: func(uuid.UUID) string { return library.StreamName() },
		rev:    func(v LibraryService) uint64 { return v.Revision }}
}

func (s *Server) handleLibraryServiceList(w http.ResponseWriter, r *http.Request) {
	p, err := paging(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	status := q.Get("status")
	if status != "" && status != "active" && status != "archived" && status != "all" {
		s.Error(w, r, malformed(domain.Invalid("status", "must be active, archived or all")))
		return
	}
	items, err := s.models(r.Context()).LibraryServices(r.Context(), projections.LibraryFilter{Status: status, Search: q.Get("search")})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	rev, err := s.models(r.Context()).LibraryRevision(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	servePages(s, w, r, p, func(p projections.Paging) (projections.Page[projections.LibraryServiceView], error) {
		return pageOf(items, p), nil
	},
		func(v projections.LibraryServiceView) LibraryService { return libraryServiceOf(v, rev) })
}

// handleLibraryServiceAdd answers the new service (201); If-Match, when
// sent, names the library stream.
func (s *Server) handleLibraryServiceAdd(w http.ResponseWriter, r *http.Request) {
	readCommand(s, w, r, []string{"name", "unit_price", "billing_rule"}, func(b LibraryServiceBody) command {
		k := s.libraryServices()
		return answering(library.StreamName(), k.base, uuid.Nil, true, k.get, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.AddLibraryService(ctx, b.request(b.ID), meta)
		})
	})
}

func (s *Server) handleLibraryServiceView(w http.ResponseWriter, r *http.Request) {
	s.libraryServices().view(s, w, r)
}

func (s *Server) handleLibraryServiceChange(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.libraryServices(), []string{"name", "unit_price", "billing_rule"}, func(ctx context.Context, id uuid.UUID, b LibraryServiceBody, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.ChangeLibraryService(ctx, b.request(id), meta)
	})
}

func (s *Server) handleLibraryServiceArchive(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.libraryServices(), nil, func(ctx context.Context, id uuid.UUID, _ none, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.ArchiveLibraryService(ctx, billing.LibraryServiceRef{LibraryServiceID: id}, meta)
	})
}

func (s *Server) handleLibraryServiceRestore(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.libraryServices(), nil, func(ctx context.Context, id uuid.UUID, _ none, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.RestoreLibraryService(ctx, billing.LibraryServiceRef{LibraryServiceID: id}, meta)
	})
}
