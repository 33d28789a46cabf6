package api

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"
)

func (s *Server) registerBillingRunRoutes(r *mux.Router) {
	r.HandleFunc("/api/billing-runs", s.handleBillingRun).Methods(http.MethodPost)
}

// handleBillingRun runs billing (and collection) now, for today in the
// firm's time zone: what the daily scheduled run does, on demand. Running it
// twice, or in two processes at once, issues and charges nothing twice.
func (s *Server) handleBillingRun(w http.ResponseWriter, r *http.Request) {
	if s.cfg.BillingRun == nil {
		s.handleNotFound(w, r)
		return
	}
	res, err := s.cfg.BillingRun(context.WithoutCancel(r.Context()))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, res)
}
