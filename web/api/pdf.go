package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/domain"
	"remit/domain/client"
	"remit/formats/pdf"
)

// registerPDFRoutes serves invoices and credit notes as the PDF documents
// their emails attach and the client's pay-now page links (package pdf).
func (s *Server) registerPDFRoutes(r *mux.Router) {
	r.HandleFunc("/api/invoices/{id}/pdf", s.handleInvoicePDF).Methods(http.MethodGet)
	r.HandleFunc("/api/invoices/{id}/credit-notes/{credit_note_id}/pdf", s.handleCreditNotePDF).Methods(http.MethodGet)
}

// handleInvoicePDF answers the invoice as it stands (payments so far, the
// amount still due), as of the request's as_of when it has one.
func (s *Server) handleInvoicePDF(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "invoice")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d, err := s.readInvoice(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	f, _, err := s.firmState(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := s.clientOf(r.Context(), d.ClientID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := pdf.Invoice(&buf, pdf.FromDetail(d, f, c)); err != nil {
		s.Error(w, r, err)
		return
	}
	servePDF(w, buf.Bytes(), d.Number)
}

// handleCreditNotePDF answers one of an invoice's credit notes, named by
// its id as the credit notes list gives it.
func (s *Server) handleCreditNotePDF(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "invoice")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	cn, err := pathID(r, "credit_note_id", "credit note")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d, err := s.readInvoice(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	f, _, loc, err := s.firmAndZone(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := s.clientOf(r.Context(), d.ClientID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	data, err := pdf.LoadCreditNote(r.Context(), s.cfg.Store, s.cat, pdf.CreditNoteRef{InvoiceID: id, ID: cn}, f, c, loc)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := pdf.CreditNote(&buf, data); err != nil {
		s.Error(w, r, err)
		return
	}
	servePDF(w, buf.Bytes(), data.Number)
}

// clientOf is the client's state from the read models (as of the
// request's as_of), for a document's "Bill to" and how to pay.
func (s *Server) clientOf(ctx context.Context, id uuid.UUID) (client.State, error) {
	cs, err := s.models(ctx).ClientsByID(ctx, []uuid.UUID{id})
	if err != nil {
		return client.State{}, err
	}
	c, ok := cs[id]
	if !ok {
		return client.State{}, domain.NotFound("There is no client %s.", id)
	}
	return c, nil
}

// servePDF answers doc as an attachment named after the document's number.
func servePDF(w http.ResponseWriter, doc []byte, number string) {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", number+".pdf"))
	_, _ = w.Write(doc)
}
