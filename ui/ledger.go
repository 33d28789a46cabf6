package ui

import (
	"context"
	"net/http"

	"remit/billing"
	"remit/ledgersync"
)

// registerLedgerRoutes adds the invoice page's "Re-create in ledger" button.
func (h *handler) registerLedgerRoutes() {
	h.mux.HandleFunc("POST /invoices/{iid}/ledger-recreate", h.handleInvoiceLedgerRecreate)
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
