package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/billing"
	"remit/domain/ledger"
	"remit/eventstore"
	"remit/processes/ledgersync"
)

func (s *Server) registerLedgerRoutes(r *mux.Router) {
	r.HandleFunc("/api/invoices/{id}/ledger/recreate", s.handleInvoiceLedgerRecreate).Methods(http.MethodPost)
	r.HandleFunc("/api/ledger", s.handleLedger).Methods(http.MethodGet)
}

// LedgerView is the firm's ledger connections and the record of their
// reconciliations, for staff and auditors.
type LedgerView struct {
	Connections []LedgerConnection `json:"connections"`
	// Reconciliations are the recorded reconciliation runs, newest first
	// (at most 100).
	Reconciliations []LedgerReconciliation `json:"reconciliations"`
}

func (s *Server) handleLedger(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	conns, err := ledgersync.Status(ctx, s.cfg.Store)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	recs, err := s.cfg.Store.ReadStream(ctx, ledger.StreamName(ledger.ReconciliationID()), eventstore.End, eventstore.Backward, 100)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	view := LedgerView{Connections: wireList(conns, ledgerConnectionOf), Reconciliations: []LedgerReconciliation{}}
	for _, rec := range recs {
		var e ledger.LedgerReconciled
		if rec.Type != e.EventType() {
			continue
		}
		if err := json.Unmarshal(rec.Data, &e); err != nil {
			s.Error(w, r, fmt.Errorf("reconciliation at %d: %w", rec.Position, err))
			return
		}
		view.Reconciliations = append(view.Reconciliations, ledgerReconciliationOf(e))
	}
	s.writeJSON(w, r, http.StatusOK, view)
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
