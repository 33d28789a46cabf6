package ui

import (
	"fmt"
	"net/http"

	"remit/formats/einvoice"
)

// handleInvoiceUBL answers the invoice as a UBL 2.1 e-invoice (EN 16931,
// Peppol BIS Billing 3.0), the document `remit export invoice` writes. A
// void invoice, or a firm setting the document needs, gets the error page.
func (h *handler) handleInvoiceUBL(w http.ResponseWriter, r *http.Request) {
	iid, ok := h.idParam(w, r, "iid")
	if !ok {
		return
	}
	in, err := einvoice.Load(r.Context(), h.cfg.Store, einvoice.Ref{InvoiceID: iid})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in.SellerEmail = h.cfg.SellerEmail
	doc, err := einvoice.Marshal(in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", in.FileName()))
	w.Write(doc)
}
