package ui

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"remit/domain"
	"remit/formats/pdf"
	"remit/projections"
)

// handleInvoicePDF answers the invoice as the PDF its email carries (the
// same renderer), with what it shows now: payments so far and the amount
// still due.
func (h *handler) handleInvoicePDF(w http.ResponseWriter, r *http.Request) {
	d, _, _, ok := h.loadInvoice(w, r)
	if !ok {
		return
	}
	doc, err := h.invoicePDF(r.Context(), d)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sendPDF(w, doc, d.Number+".pdf")
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
	sendPDF(w, doc, name)
}

// invoicePDF renders the invoice d as it stands, with the firm and the
// client as the request sees them (as of its moment, when it has one).
func (h *handler) invoicePDF(ctx context.Context, d projections.InvoiceDetail) ([]byte, error) {
	f, _, err := h.firmNow(ctx)
	if err != nil {
		return nil, err
	}
	c, err := h.models(ctx).ClientState(ctx, d.ClientID)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := pdf.Invoice(&buf, pdf.FromDetail(d, f, c)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sendPDF answers doc as an attachment named file, kept by no cache (it
// holds a client's details).
func sendPDF(w http.ResponseWriter, doc []byte, file string) {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", file))
	_, _ = w.Write(doc)
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
	c, err := h.models(ctx).ClientState(ctx, clientID)
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
