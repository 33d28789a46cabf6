package api

import (
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"remit/formats/einvoice"
)

// registerEInvoiceRoutes serves invoices and credit notes as UBL 2.1
// e-invoices (EN 16931, Peppol BIS Billing 3.0), built by package einvoice
// from the events, as `remit export invoice` writes them.
func (s *Server) registerEInvoiceRoutes(r *mux.Router) {
	r.HandleFunc("/api/invoices/{id}/ubl", s.handleInvoiceUBL).Methods(http.MethodGet)
	r.HandleFunc("/api/invoices/{id}/credit-notes/{credit_note_id}/ubl", s.handleCreditNoteUBL).Methods(http.MethodGet)
}

func (s *Server) handleInvoiceUBL(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "invoice")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.serveUBL(w, r, einvoice.Ref{InvoiceID: id})
}

func (s *Server) handleCreditNoteUBL(w http.ResponseWriter, r *http.Request) {
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
	s.serveUBL(w, r, einvoice.Ref{InvoiceID: id, CreditNoteID: cn})
}

// serveUBL answers the document as an attachment named after its number. A
// void invoice is 409, a firm setting the document needs but lacks 422.
func (s *Server) serveUBL(w http.ResponseWriter, r *http.Request, ref einvoice.Ref) {
	in, err := einvoice.Load(r.Context(), s.cfg.Store, ref)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	in.SellerEmail = s.cfg.SellerEmail
	doc, err := einvoice.Marshal(in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", in.FileName()))
	_, _ = w.Write(doc)
}
