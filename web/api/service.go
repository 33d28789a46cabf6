package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/service"
	"remit/projections"
)

func (s *Server) registerServiceRoutes(r *mux.Router) {
	r.HandleFunc("/api/clients/{id}/services", s.handleServiceActivate).Methods(http.MethodPost)
	r.HandleFunc("/api/services/{id}", s.handleServiceView).Methods(http.MethodGet)
	r.HandleFunc("/api/services/{id}", s.handleServiceEdit).Methods(http.MethodPatch)
	r.HandleFunc("/api/services/{id}/schedule", s.handleServiceSchedule).Methods(http.MethodGet)
	r.HandleFunc("/api/services/{id}/switch-to-manual", s.handleServiceSwitchToManual).Methods(http.MethodPost)
	r.HandleFunc("/api/services/{id}/switch-to-automatic", s.handleServiceSwitchToAutomatic).Methods(http.MethodPost)
	r.HandleFunc("/api/services/{id}/end", s.handleServiceEnd).Methods(http.MethodPost)
}

// NewService is an additional service from an instant bill (recurring or
// scheduled). ID is optional; currency defaults to the client's.
type NewService struct {
	ID              uuid.UUID          `json:"id,omitzero"`
	Name            string             `json:"name"`
	Description     string             `json:"description,omitempty"`
	UnitPrice       decimal.Decimal    `json:"unit_price"`
	Quantity        decimal.Decimal    `json:"quantity"`
	Unit            string             `json:"unit,omitempty"`
	Discount        domain.Discount    `json:"discount"`
	TaxRate         decimal.Decimal    `json:"tax_rate"`
	Currency        string             `json:"currency,omitempty"`
	BillingRule     domain.BillingRule `json:"billing_rule"`
	Automatic       bool               `json:"automatic"`
	PaymentMethodID uuid.UUID          `json:"payment_method_id,omitzero"`
	// LibraryServiceID names the services library's entry the service
	// starts from (the fields above are as sent: GET the library service
	// and change what differs); RevenueAccount is the ledger account code
	// its sales go to.
	LibraryServiceID uuid.UUID `json:"library_service_id,omitzero"`
	RevenueAccount   string    `json:"revenue_account,omitempty"`
}

// ServiceEdit changes a service's terms from a date (today when absent); a
// new billing rule replaces the unbilled items from first_date.
type ServiceEdit struct {
	EffectiveFrom domain.Date `json:"effective_from,omitzero"`
	service.Changes
	BillingRule               *domain.BillingRule `json:"billing_rule,omitempty"`
	FirstDate                 domain.Date         `json:"first_date,omitzero"`
	NotifyClientOfPriceChange bool                `json:"notify_client_of_price_change,omitempty"`
}

// ServiceEnding ends a service on a date (today when absent); it cannot be
// undone.
type ServiceEnding struct {
	On     domain.Date `json:"on,omitzero"`
	Reason string      `json:"reason,omitempty"`
}

func (s *Server) readService(ctx context.Context, id uuid.UUID) (projections.ServiceView, error) {
	today, err := s.today(ctx)
	if err != nil {
		return projections.ServiceView{}, err
	}
	return s.models(ctx).Service(ctx, id, today)
}

// services are the clients' services.
func (s *Server) services() root[ServiceView] {
	return root[ServiceView]{what: "service", base: "/api/services/", stream: service.StreamName, read: readAs(s.readService, serviceViewOf),
		rev: func(v ServiceView) uint64 { return v.Revision }}
}

func (s *Server) handleServiceActivate(w http.ResponseWriter, r *http.Request) {
	clientID, err := s.clients().id(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, []string{"name", "unit_price", "quantity", "billing_rule"}, func(b NewService) command {
		return s.services().creation(func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.ActivateService(ctx, billing.ServiceRequest{
				ServiceID: b.ID, ClientID: clientID, Name: b.Name, Description: b.Description, UnitPrice: b.UnitPrice,
				Quantity: b.Quantity, Unit: b.Unit, Discount: b.Discount, TaxRate: b.TaxRate, Currency: b.Currency,
				BillingRule: b.BillingRule, Automatic: b.Automatic, PaymentMethodID: b.PaymentMethodID,
				LibraryServiceID: b.LibraryServiceID, RevenueAccount: b.RevenueAccount,
			}, meta)
		})
	})
}

func (s *Server) handleServiceView(w http.ResponseWriter, r *http.Request) {
	s.services().view(s, w, r)
}

func (s *Server) handleServiceEdit(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.services(), nil, func(ctx context.Context, id uuid.UUID, b ServiceEdit, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.EditService(ctx, billing.EditServiceRequest{
			ServiceID: id, EffectiveFrom: b.EffectiveFrom, Changes: b.Changes, BillingRule: b.BillingRule,
			FirstDate: b.FirstDate, NotifyClientOfPriceChange: b.NotifyClientOfPriceChange,
		}, meta)
	})
}

func (s *Server) handleServiceSchedule(w http.ResponseWriter, r *http.Request) {
	serveList(s, w, r, "id", "service", func(id uuid.UUID) ([]projections.ScheduleItem, error) {
		q, err := s.scheduleQuery(r)
		if err != nil {
			return nil, err
		}
		return s.models(r.Context()).ServiceSchedule(r.Context(), id, q)
	}, scheduleItemOf)
}

func (s *Server) handleServiceSwitchToManual(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.services(), nil, func(ctx context.Context, id uuid.UUID, _ none, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.SwitchServiceToManual(ctx, billing.ServiceRef{ServiceID: id}, meta)
	})
}

func (s *Server) handleServiceSwitchToAutomatic(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.services(), nil, func(ctx context.Context, id uuid.UUID, _ none, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.SwitchServiceToAutomatic(ctx, billing.ServiceRef{ServiceID: id}, meta)
	})
}

func (s *Server) handleServiceEnd(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.services(), nil, func(ctx context.Context, id uuid.UUID, b ServiceEnding, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.EndService(ctx, billing.ServiceRef{ServiceID: id, On: b.On, Reason: b.Reason}, meta)
	})
}
