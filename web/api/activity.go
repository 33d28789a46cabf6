package api

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/projections"
)

func (s *Server) registerActivityRoutes(r *mux.Router) {
	r.HandleFunc("/api/clients/{id}/activity", s.handleClientActivity).Methods(http.MethodGet)
	r.HandleFunc("/api/clients/{id}/payment-methods/{method_id}/activity", s.handlePaymentMethodActivity).Methods(http.MethodGet)
	r.HandleFunc("/api/services/{id}/activity", s.handleServiceActivity).Methods(http.MethodGet)
	r.HandleFunc("/api/invoices/{id}/activity", s.handleInvoiceActivity).Methods(http.MethodGet)
	r.HandleFunc("/api/proposals/{id}/activity", s.handleProposalActivity).Methods(http.MethodGet)
}

func (s *Server) handleClientActivity(w http.ResponseWriter, r *http.Request) {
	s.writeActivity(w, r, projections.SubjectClient, "id", "client")
}

func (s *Server) handleServiceActivity(w http.ResponseWriter, r *http.Request) {
	s.writeActivity(w, r, projections.SubjectService, "id", "service")
}

func (s *Server) handleInvoiceActivity(w http.ResponseWriter, r *http.Request) {
	s.writeActivity(w, r, projections.SubjectInvoice, "id", "invoice")
}

func (s *Server) handleProposalActivity(w http.ResponseWriter, r *http.Request) {
	s.writeActivity(w, r, projections.SubjectProposal, "id", "proposal")
}

// handlePaymentMethodActivity checks that the method is the client's first.
func (s *Server) handlePaymentMethodActivity(w http.ResponseWriter, r *http.Request) {
	k := s.paymentMethods()
	clientID, methodID, err := k.path(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if _, _, err := k.read(r.Context(), clientID, methodID); err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeActivity(w, r, projections.SubjectPaymentMethod, "method_id", "payment method")
}

// writeActivity writes one page of a subject's history, oldest first.
func (s *Server) writeActivity(w http.ResponseWriter, r *http.Request, subject projections.Subject, idVar, what string) {
	serveList(s, w, r, idVar, what, func(id uuid.UUID) ([]projections.ActivityLine, error) {
		return s.cfg.Models.ActivityOf(r.Context(), subject, id)
	}, activityLineOf)
}
