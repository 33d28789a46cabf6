package web

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/projections"
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
	projections.PaymentMethodView
	ClientID uuid.UUID
	Revision uint64
}

func (s *Server) readPaymentMethod(ctx context.Context, clientID, id uuid.UUID) (PaymentMethodResource, error) {
	c, err := s.readClient(ctx, clientID)
	if err != nil {
		return PaymentMethodResource{}, err
	}
	for _, m := range c.PaymentMethods {
		if m.ID == id {
			return PaymentMethodResource{PaymentMethodView: m, ClientID: clientID, Revision: c.Revision}, nil
		}
	}
	return PaymentMethodResource{}, domain.NotFound("Client %s has no payment method %s.", clientID, id)
}

// methodCommand is a command on a client's stream that answers a payment
// method (the created one, when created).
func (s *Server) methodCommand(clientID, id uuid.UUID, created bool, run func(ctx context.Context, meta billing.Meta) (billing.Result, error)) command {
	base := "/api/clients/" + clientID.String() + "/payment-methods/"
	methodID := func(res billing.Result) uuid.UUID {
		if created {
			return res.ID
		}
		return id
	}
	return command{stream: client.StreamName(clientID), created: created, run: run, fieldPrefix: "method.",
		location: func(res billing.Result) string { return base + methodID(res).String() },
		read: func(ctx context.Context, res billing.Result) (any, string, error) {
			m, err := s.readPaymentMethod(ctx, clientID, methodID(res))
			return m, etag(m.Revision), err
		}}
}

func methodPath(r *http.Request) (clientID, methodID uuid.UUID, err error) {
	if clientID, err = pathID(r, "id", "client"); err != nil {
		return
	}
	methodID, err = pathID(r, "method_id", "payment method")
	return
}

var paymentMethodRequired = []string{"kind", "gateway", "gateway_token"}

func (s *Server) handlePaymentMethodList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "client")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p, err := paging(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := s.readClient(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeList(s, w, r, pageOf(c.PaymentMethods, p))
}

func (s *Server) handlePaymentMethodAdd(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "client")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, paymentMethodRequired, func(b NewPaymentMethod) (command, error) {
		return s.methodCommand(id, uuid.Nil, true, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: id, PaymentMethodID: b.ID, Method: b.PaymentMethodDetails}, meta)
		}), nil
	})
}

func (s *Server) handlePaymentMethodView(w http.ResponseWriter, r *http.Request) {
	clientID, id, err := methodPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	m, err := s.readPaymentMethod(r.Context(), clientID, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeResource(w, r, m, m.Revision)
}

func (s *Server) handlePaymentMethodReplace(w http.ResponseWriter, r *http.Request) {
	clientID, id, err := methodPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, paymentMethodRequired, func(b NewPaymentMethod) (command, error) {
		return s.methodCommand(clientID, uuid.Nil, true, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.ReplacePaymentMethod(ctx, billing.PaymentMethodRequest{
				ClientID: clientID, PaymentMethodID: id, NewPaymentMethodID: b.ID, Method: b.PaymentMethodDetails,
			}, meta)
		}), nil
	})
}

func (s *Server) handlePaymentMethodMakeDefault(w http.ResponseWriter, r *http.Request) {
	clientID, id, err := methodPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, nil, func(none) (command, error) {
		return s.methodCommand(clientID, id, false, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.SetDefaultPaymentMethod(ctx, billing.PaymentMethodRef{ClientID: clientID, PaymentMethodID: id}, meta)
		}), nil
	})
}

func (s *Server) handlePaymentMethodRemove(w http.ResponseWriter, r *http.Request) {
	clientID, id, err := methodPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var next uuid.UUID
	if v := r.URL.Query().Get("new_default_payment_method_id"); v != "" {
		if next, err = uuid.Parse(v); err != nil {
			s.Error(w, r, malformed(domain.Invalid("new_default_payment_method_id", "must be an id (a UUID)")))
			return
		}
	}
	readCommand(s, w, r, nil, func(none) (command, error) {
		return s.clientCommand(clientID, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.RemovePaymentMethod(ctx, billing.PaymentMethodRef{ClientID: clientID, PaymentMethodID: id, NewDefaultPaymentMethodID: next}, meta)
		}), nil
	})
}

func (s *Server) handlePaymentMethodMarkExpired(w http.ResponseWriter, r *http.Request) {
	clientID, id, err := methodPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, nil, func(none) (command, error) {
		return s.methodCommand(clientID, id, false, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.MarkPaymentMethodExpired(ctx, billing.PaymentMethodRef{ClientID: clientID, PaymentMethodID: id}, meta)
		}), nil
	})
}

func (s *Server) handlePaymentMethodMarkFailed(w http.ResponseWriter, r *http.Request) {
	clientID, id, err := methodPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, []string{"reason"}, func(b Reason) (command, error) {
		return s.methodCommand(clientID, id, false, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.MarkPaymentMethodFailed(ctx, billing.PaymentMethodRef{ClientID: clientID, PaymentMethodID: id, Reason: b.Reason}, meta)
		}), nil
	})
}
