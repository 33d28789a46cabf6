package ui

import (
	"bytes"
	"fmt"
	"net/http"

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
	recs, err := h.cfg.Store.ReadStream(r.Context(), client.StreamName(d.ClientID), 0, eventstore.Forward, 0)
	if err != nil {
		h.fail(w, r, fmt.Errorf("read client %s: %w", d.ClientID, err))
		return
	}
	evs := make([]domain.Event, 0, len(recs))
	for _, rec := range recs {
		e, err := h.cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			h.fail(w, r, fmt.Errorf("decode client@%d: %w", rec.Revision, err))
			return
		}
		evs = append(evs, e)
	}
	var buf bytes.Buffer
	if err := pdf.Invoice(&buf, pdf.FromDetail(d, f, client.Fold(evs))); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", d.Number+".pdf"))
	w.Write(buf.Bytes())
}
