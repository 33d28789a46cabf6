package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/billing"
	"remit/domain/client"
)

func (s *Server) registerPaymentMethodRoutes(r *mux.Router) {
	r.HandleFunc("/api/clients/{id}/payment-methods", s.handlePaymentMethodList).Methods(http.MethodGet)
	r.HandleFunc("/api/clients/{id}/payment-methods", s.handlePaymentMethodAdd).Methods(http.MethodPost)
	r.HandleFunc("/api/clients/{id}/payment-methods/{method_id}", s.handlePaymentMethodView).Methods(http.MethodGet)
	r.HandleFunc("/api/clients/{id}/payment-methods/{method_id}", s.handlePaymentMethodRemove).Methods(http.MethodDelete)
	r.HandleFunc("/api/clients/{id}/payment-methods/{method_id}/replace", s.handlePaymentMethodReplace).Methods(http.MethodPost)
	r.HandleFunc("/api/clients/{id}/payment-methods/{method_id}/make-default", s.handlePaymentMethodMakeDefault).Methods(http.MethodPost)
	r.HandleFunc("/api/clients/{id}/payment-methods/{method_id}/mark-expired", s.handlePaymentMethodMarkExpired).Methods(http.MethodPost)
	r.HandleFunc("/api/clients/{id}/payment-methods/{method_id}/mark-failed", s.handlePaymentMethodMarkFailed).Methods(http.MethodPost)
}

// NewPaymentMethod is a card or bank account to put on file: the gateway's
// token and what a person recognises it by. ID is optional.
type NewPaymentMethod struct {
	ID uuid.UUID `json:"id,omitzero"`
	client.PaymentMethodDetails
}

// PaymentMethodResource is a payment method with its client's stream
// revision.
type PaymentMethodResource struct {
	PaymentMethodView
	ClientID ID     `json:"client_id"`
	Revision uint64 `json:"revision"`
}

// paymentMethods are a client's payment methods.
func (s *Server) paymentMethods() child[ClientSummary, PaymentMethodView, PaymentMethodResource] {
	return child[ClientSummary, PaymentMethodView, PaymentMethodResource]{
		parent: s.clients(), what: "payment method", segment: "payment-methods", idVar: "method_id", fieldPrefix: "method.",
		items: func(c ClientSummary) []PaymentMethodView { return c.PaymentMethods },
		idOf:  func(v PaymentMethodView) uuid.UUID { return uuid.UUID(v.ID) },
		resource: func(v PaymentMethodView, clientID uuid.UUID, rev uint64) PaymentMethodResource {
			return PaymentMethodResource{PaymentMethodView: v, ClientID: ID(clientID), Revision: rev}
		}}
}

var paymentMethodRequired = []string{"kind", "gateway", "gateway_token"}

func (s *Server) handlePaymentMethodList(w http.ResponseWriter, r *http.Request) {
	s.paymentMethods().list(s, w, r)
}

func (s *Server) handlePaymentMethodAdd(w http.ResponseWriter, r *http.Request) {
	addChild(s, w, r, s.paymentMethods(), paymentMethodRequired, func(ctx context.Context, clientID uuid.UUID, b NewPaymentMethod, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: clientID, PaymentMethodID: b.ID, Method: b.PaymentMethodDetails}, meta)
	})
}

func (s *Server) handlePaymentMethodView(w http.ResponseWriter, r *http.Request) {
	s.paymentMethods().view(s, w, r)
}

// handlePaymentMethodReplace answers the new method.
func (s *Server) handlePaymentMethodReplace(w http.ResponseWriter, r *http.Request) {
	actOnChild(s, w, r, s.paymentMethods(), true, paymentMethodRequired, func(ctx context.Context, clientID, id uuid.UUID, b NewPaymentMethod, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.ReplacePaymentMethod(ctx, billing.PaymentMethodRequest{
			ClientID: clientID, PaymentMethodID: id, NewPaymentMethodID: b.ID, Method: b.PaymentMethodDetails,
		}, meta)
	})
}

func (s *Server) handlePaymentMethodMakeDefault(w http.ResponseWriter, r *http.Request) {
	actOnChild(s, w, r, s.paymentMethods(), false, nil, func(ctx context.Context, clientID, id uuid.UUID, _ none, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.SetDefaultPaymentMethod(ctx, billing.PaymentMethodRef{ClientID: clientID, PaymentMethodID: id}, meta)
	})
}

func (s *Server) handlePaymentMethodRemove(w http.ResponseWriter, r *http.Request) {
	removeChild(s, w, r, s.paymentMethods(), "new_default_payment_method_id", func(ctx context.Context, clientID, id, next uuid.UUID, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.RemovePaymentMethod(ctx, billing.PaymentMethodRef{ClientID: clientID, PaymentMethodID: id, NewDefaultPaymentMethodID: next}, meta)
	})
}

func (s *Server) handlePaymentMethodMarkExpired(w http.ResponseWriter, r *http.Request) {
	actOnChild(s, w, r, s.paymentMethods(), false, nil, func(ctx context.Context, clientID, id uuid.UUID, _ none, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.MarkPaymentMethodExpired(ctx, billing.PaymentMethodRef{ClientID: clientID, PaymentMethodID: id}, meta)
	})
}

func (s *Server) handlePaymentMethodMarkFailed(w http.ResponseWriter, r *http.Request) {
	actOnChild(s, w, r, s.paymentMethods(), false, []string{"reason"}, func(ctx context.Context, clientID, id uuid.UUID, b Reason, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.MarkPaymentMethodFailed(ctx, billing.PaymentMethodRef{ClientID: clientID, PaymentMethodID: id, Reason: b.Reason}, meta)
	})
}
