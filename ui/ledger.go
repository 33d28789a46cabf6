package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"remit/billing"
	"remit/domain/ledger"
	"remit/eventstore"
	"remit/ledgersync"
)

// registerLedgerRoutes adds the Ledger page and the invoice page's
// "Re-create in ledger" button.
func (h *handler) registerLedgerRoutes() {
	h.mux.HandleFunc("GET /ledger", h.handleLedger)
	h.mux.HandleFunc("POST /invoices/{iid}/ledger-recreate", h.handleInvoiceLedgerRecreate)
}

// ledgerPage is what the Ledger page shows: each connection with its sync
// counts and what waits, and the recorded reconciliation runs.
type ledgerPage struct {
	Connections     []ledgersync.ConnectionStatus
	Reconciliations []reconciliationRow
	// CanConnect shows the Connect buttons: an owner, with LedgerOAuth set.
	CanConnect bool
}

type reconciliationRow struct {
	At          time.Time
	Invoices    int
	Pushes      int
	Differences int
	Summary     string
}

// handleLedger shows the ledger connections (remit ledger connect) and the
// daily reconciliation runs, newest first: for staff and auditors alike.
func (h *handler) handleLedger(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	conns, err := ledgersync.Status(ctx, h.cfg.Store)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := ledgerPage{Connections: conns, CanConnect: h.oauthOn() && h.isOwner(r)}
	recs, err := h.cfg.Store.ReadStream(ctx, ledger.StreamName(ledger.ReconciliationID()), eventstore.End, eventstore.Backward, 30)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, rec := range recs {
		var e ledger.LedgerReconciled
		if rec.Type != e.EventType() {
			continue
		}
		if err := json.Unmarshal(rec.Data, &e); err != nil {
			h.fail(w, r, fmt.Errorf("reconciliation at %d: %w", rec.Position, err))
			return
		}
		d.Reconciliations = append(d.Reconciliations, reconciliationRow{At: e.At, Invoices: e.Invoices, Pushes: e.Pushes, Differences: e.Differences, Summary: e.Summary})
	}
	h.render(w, r, http.StatusOK, "ledger", &view{Title: "Ledger", Section: "ledger", D: d})
}

// handleInvoiceLedgerRecreate asks every connected ledger to create the
// invoice again (remit/ledgersync pushes it, its payments, credits and void).
func (h *handler) handleInvoiceLedgerRecreate(w http.ResponseWriter, r *http.Request) {
	iid, ok := h.idParam(w, r, "iid")
	if !ok {
		return
	}
	h.button(w, r, "/invoices/"+iid.String(), "Re-create in the ledger requested.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return ledgersync.RequestRecreate(ctx, h.cfg.Store, ledgersync.RecreateRequest{InvoiceID: iid, Reason: "re-created from the invoice page", Now: h.cfg.Now()}, meta)
	})
}
