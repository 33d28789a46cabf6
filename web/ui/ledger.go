package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/ledger"
	"remit/eventstore"
	"remit/processes/ledgersync"
	"remit/projections"
)

// registerLedgerRoutes adds the Ledger page, what an owner does there
// (map a client to a ledger contact, re-create what failed, disconnect:
// the same ledgersync functions as `remit ledger map-contact` and
// `disconnect`), and the invoice page's "Re-create in ledger" button.
func (h *handler) registerLedgerRoutes(rt routes) {
	rt.get("/ledger", h.handleLedger)
	rt.post("/ledger/connections/{provider}/contacts", h.handleLedgerMapContact)
	rt.post("/ledger/connections/{provider}/invoices/{iid}/recreate", h.handleLedgerRetry)
	rt.post("/ledger/connections/{provider}/disconnect", h.handleLedgerDisconnect)
	rt.post("/invoices/{iid}/ledger-recreate", h.handleInvoiceLedgerRecreate)
}

// ledgerPage is what the Ledger page shows: each connection with its sync
// counts and what waits, and the recorded reconciliation runs.
type ledgerPage struct {
	Connections     []ledgersync.ConnectionStatus
	Reconciliations []reconciliationRow
	// CanConnect shows the Connect buttons: an owner, with LedgerOAuth set.
	CanConnect bool
	// CanManage shows an owner's actions on a connection: map contacts,
	// re-create what failed, disconnect.
	CanManage bool
	// Clients are the clients to map to a ledger contact; ClientNames
	// names the mapped ones.
	Clients     []projections.ClientListItem
	ClientNames map[uuid.UUID]string
	// FormFor is the form Form belongs to after an error: "<provider>/map"
	// or "<provider>/disconnect".
	FormFor string
}

type reconciliationRow struct {
	At          time.Time
	Invoices    int
	Pushes      int
	Differences int
	Summary     string
}

// handleLedger shows the ledger connections and the daily reconciliation
// runs, newest first: for staff and auditors alike, with an owner's actions.
func (h *handler) handleLedger(w http.ResponseWriter, r *http.Request) {
	h.renderLedger(w, r, http.StatusOK, newForm(), "")
}

// renderLedger renders the Ledger page, with form f (after an error) open
// as formFor.
func (h *handler) renderLedger(w http.ResponseWriter, r *http.Request, status int, f *form, formFor string) {
	ctx := r.Context()
	conns, err := ledgersync.Status(ctx, h.cfg.Store)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := ledgerPage{Connections: conns, CanConnect: h.oauthOn() && h.isOwner(r), CanManage: h.isOwner(r), FormFor: formFor, ClientNames: map[uuid.UUID]string{}}
	for _, c := range conns {
		for id := range c.ContactMap {
			d.ClientNames[id] = ""
		}
	}
	if d.CanManage && len(conns) > 0 {
		page, err := h.models(ctx).ListClients(ctx, projections.ClientQuery{Filter: projections.ClientsActive, Paging: projections.Paging{Limit: projections.MaxLimit}})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Clients = page.Items
		for _, c := range d.Clients {
			if _, ok := d.ClientNames[c.ID]; ok {
				d.ClientNames[c.ID] = c.Name
			}
		}
	}
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
	h.render(w, r, status, "ledger", &view{Title: "Ledger", Section: "ledger", D: d, Form: f})
}

// ledgerGuard answers 404 for an unknown provider and 403 (a page in the
// app's layout) for anyone but an owner.
func (h *handler) ledgerGuard(w http.ResponseWriter, r *http.Request) (string, bool) {
	provider := r.PathValue("provider")
	if !slices.Contains(ledger.Providers(), provider) {
		h.notFound(w, r, "There is no such ledger.")
		return "", false
	}
	if err := h.canConnectLedger(r); err != nil {
		h.fail(w, r, domain.Forbidden("Only an owner can change the ledger connection."))
		return "", false
	}
	return provider, true
}

// ledgerForm runs an owner's ledger command from a form on the Ledger page:
// errors come back beside the form's fields, success redirects with done.
func (h *handler) ledgerForm(w http.ResponseWriter, r *http.Request, formFor, done string, do func(ctx context.Context, meta billing.Meta) (billing.Result, error)) {
	if _, err := h.run(r, do); err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.renderLedger(w, r, statusOf(err), f, formFor)
		return
	}
	redirect(w, r, "/ledger", done)
}

// handleLedgerMapContact pushes a client's invoices to an existing ledger
// contact instead of one matched by name (remit ledger map-contact).
func (h *handler) handleLedgerMapContact(w http.ResponseWriter, r *http.Request) {
	provider, ok := h.ledgerGuard(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	clientID, contactID := fs.id("client_id"), fs.str("contact_id")
	if err := fs.err(); err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.renderLedger(w, r, statusOf(err), f, provider+"/map")
		return
	}
	h.ledgerForm(w, r, provider+"/map", "The client's invoices go to ledger contact "+contactID+".", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return ledgersync.MapContact(ctx, h.cfg.Store, provider, clientID, contactID, h.cfg.Now(), meta)
	})
}

// handleLedgerRetry re-creates an invoice whose push failed in one ledger
// (after the mapping was fixed): it and everything after it are pushed
// again as new documents.
func (h *handler) handleLedgerRetry(w http.ResponseWriter, r *http.Request) {
	provider, ok := h.ledgerGuard(w, r)
	if !ok {
		return
	}
	iid, ok := h.idParam(w, r, "iid")
	if !ok {
		return
	}
	h.button(w, r, "/ledger", "Re-create in the ledger requested.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return ledgersync.RequestRecreate(ctx, h.cfg.Store, ledgersync.RecreateRequest{InvoiceID: iid, Provider: provider, Reason: "re-created from the Ledger page", Now: h.cfg.Now()}, meta)
	})
}

// handleLedgerDisconnect stops pushing to a ledger (remit ledger
// disconnect); connecting again resumes where it stopped.
func (h *handler) handleLedgerDisconnect(w http.ResponseWriter, r *http.Request) {
	provider, ok := h.ledgerGuard(w, r)
	if !ok {
		return
	}
	_ = r.ParseForm()
	if r.PostFormValue("confirm") != "on" {
		f := formFrom(r)
		f.Errors["confirm"] = "Tick this to confirm: nothing is pushed to the ledger until it is connected again."
		h.renderLedger(w, r, http.StatusUnprocessableEntity, f, provider+"/disconnect")
		return
	}
	reason := r.PostFormValue("reason")
	h.ledgerForm(w, r, provider+"/disconnect", "Disconnected: nothing more is pushed to the ledger until it is connected again.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return ledgersync.Disconnect(ctx, h.cfg.Store, provider, reason, h.cfg.Now(), meta)
	})
}

// handleInvoiceLedgerRecreate asks every connected ledger to create the
// invoice again (remit/processes/ledgersync pushes it, its payments, credits and void).
func (h *handler) handleInvoiceLedgerRecreate(w http.ResponseWriter, r *http.Request) {
	iid, ok := h.idParam(w, r, "iid")
	if !ok {
		return
	}
	h.button(w, r, "/invoices/"+iid.String(), "Re-create in the ledger requested.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return ledgersync.RequestRecreate(ctx, h.cfg.Store, ledgersync.RecreateRequest{InvoiceID: iid, Reason: "re-created from the invoice page", Now: h.cfg.Now()}, meta)
	})
}
