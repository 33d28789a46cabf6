package web

import (
	"net/http"

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
	clientID, methodID, err := methodPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if _, err := s.readPaymentMethod(r.Context(), clientID, methodID); err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeActivity(w, r, projections.SubjectPaymentMethod, "method_id", "payment method")
}

// writeActivity writes one page of a subject's history, oldest first.
func (s *Server) writeActivity(w http.ResponseWriter, r *http.Request, subject projections.Subject, idVar, what string) {
	id, err := pathID(r, idVar, what)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p, err := paging(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	lines, err := s.cfg.Models.ActivityOf(subject, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeList(s, w, r, pageOf(lines, p))
}
