package ui

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/eventstore"
	"remit/formats/pdf"
)

// handleInvoicePDF answers the invoice as the PDF its email carries (the
// same renderer), with what it shows now: payments so far and the amount
// still due.
func (h *handler) handleInvoicePDF(w http.ResponseWriter, r *http.Request) {
	d, _, _, ok := h.loadInvoice(w, r)
	if !ok {
		return
	}
	f, _, err := h.firmNow(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.clientState(r.Context(), d.ClientID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := pdf.Invoice(&buf, pdf.FromDetail(d, f, c)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", d.Number+".pdf"))
	w.Write(buf.Bytes())
}

// clientState folds a client's stream (for a document's "Bill to").
func (h *handler) clientState(ctx context.Context, id uuid.UUID) (client.State, error) {
	recs, err := h.cfg.Store.ReadStream(ctx, client.StreamName(id), 0, eventstore.Forward, 0)
	if err != nil {
		return client.State{}, fmt.Errorf("read client %s: %w", id, err)
	}
	evs := make([]domain.Event, 0, len(recs))
	for _, rec := range recs {
		e, err := h.cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return client.State{}, fmt.Errorf("decode client@%d: %w", rec.Revision, err)
		}
		evs = append(evs, e)
	}
	return client.Fold(evs), nil
}

// handleCreditNotePDF answers the PDF of an invoice's n-th credit note
// (numbered <invoice>-CN<n>).
func (h *handler) handleCreditNotePDF(w http.ResponseWriter, r *http.Request) {
	d, _, _, ok := h.loadInvoice(w, r)
	if !ok {
		return
	}
	doc, name, err := h.creditNotePDF(r.Context(), d.ID, d.ClientID, r.PathValue("n"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Write(doc)
}

// creditNotePDF renders the n-th credit note (n as the path gives it,
// from 1) of an invoice of the client (pdf.LoadCreditNote), with the firm
// and the client as they are.
func (h *handler) creditNotePDF(ctx context.Context, invoiceID, clientID uuid.UUID, n string) ([]byte, string, error) {
	seq, err := strconv.Atoi(n)
	if err != nil || seq < 1 {
		return nil, "", domain.NotFound("There is no such credit note.")
	}
	f, loc, err := h.firmNow(ctx)
	if err != nil {
		return nil, "", err
	}
	c, err := h.clientState(ctx, clientID)
	if err != nil {
		return nil, "", err
	}
	data, err := pdf.LoadCreditNote(ctx, h.cfg.Store, h.cat, pdf.CreditNoteRef{InvoiceID: invoiceID, Seq: seq}, f, c, loc)
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	if err := pdf.CreditNote(&buf, data); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), data.Number + ".pdf", nil
}
