package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/billing"
	"remit/domain"
	"remit/eventstore/pii"
	"remit/web/auth"
)

// ForgetRequest is the body of POST /api/clients/{id}/forget: Confirm must
// repeat the client's id, so an erasure is never a slip.
type ForgetRequest struct {
	Confirm string `json:"confirm"`
}

// registerForgetRoutes registers the client erasure (owners only) and the
// revocation of a client's links (staff).
func (s *Server) registerForgetRoutes(r *mux.Router) {
	r.HandleFunc("/api/clients/{id}/forget", s.handleClientForget).Methods(http.MethodPost)
	r.HandleFunc("/api/clients/{id}/revoke-links", s.handleClientRevokeLinks).Methods(http.MethodPost)
}

// handleClientForget destroys the client's key and records ClientErased:
// the client's personal data reads as erased everywhere from then on, and
// the read models rebuild without it. It cannot be undone.
func (s *Server) handleClientForget(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.clients(), nil, func(ctx context.Context, id uuid.UUID, b ForgetRequest, meta billing.Meta) (billing.Result, error) {
		if c, err := uuid.Parse(strings.TrimSpace(b.Confirm)); err != nil || c != id {
			return billing.Result{}, domain.Invalid("confirm", "repeat the client's id (%s) to confirm: erasing a client's personal data cannot be undone", id)
		}
		return pii.Erase(ctx, s.cfg.Store, id, meta, s.cfg.Now())
	})
}

// handleClientRevokeLinks ends every signed link sent to the client so far.
func (s *Server) handleClientRevokeLinks(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.clients(), nil, func(ctx context.Context, id uuid.UUID, _ none, meta billing.Meta) (billing.Result, error) {
		return auth.RevokeClientLinks(ctx, s.cfg.Store, id, meta, s.cfg.Now())
	})
}
