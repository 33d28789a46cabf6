package web

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/billing"
	"remit/ledgersync"
)

func (s *Server) registerLedgerRoutes(r *mux.Router) {
	r.HandleFunc("/api/invoices/{id}/ledger/recreate", s.handleInvoiceLedgerRecreate).Methods(http.MethodPost)
}

// LedgerRecreateRequest asks for an invoice to be created again in a
// connected ledger (all of them when provider is empty), with its payments,
// credits and void: after it was deleted there, or after a push failed for
// good and the mapping was fixed.
type LedgerRecreateRequest struct {
	Provider string `json:"provider,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

func (s *Server) handleInvoiceLedgerRecreate(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.invoices(), nil, func(ctx context.Context, id uuid.UUID, b LedgerRecreateRequest, meta billing.Meta) (billing.Result, error) {
		return ledgersync.RequestRecreate(ctx, s.cfg.Store, ledgersync.RecreateRequest{InvoiceID: id, Provider: b.Provider, Reason: b.Reason, Now: s.cfg.Now()}, meta)
	})
}
