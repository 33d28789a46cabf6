package api

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"remit/domain/client"
	"remit/domain/firm"
	"remit/formats/pdf"
	"remit/projections"
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
	doc, err := s.invoiceDocument(r, func(d projections.InvoiceDetail, f firm.State, _ *time.Location, c client.State) (pdfDoc, error) {
		var buf bytes.Buffer
		err := pdf.Invoice(&buf, pdf.FromDetail(d, f, c))
		return pdfDoc{buf.Bytes(), d.Number}, err
	})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	servePDF(w, doc)
}

// handleCreditNotePDF answers one of an invoice's credit notes, named by
// its id as the credit notes list gives it.
func (s *Server) handleCreditNotePDF(w http.ResponseWriter, r *http.Request) {
	cn, err := pathID(r, "credit_note_id", "credit note")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	doc, err := s.invoiceDocument(r, func(d projections.InvoiceDetail, f firm.State, loc *time.Location, c client.State) (pdfDoc, error) {
		data, err := pdf.LoadCreditNote(r.Context(), s.cfg.Store, s.cat, pdf.CreditNoteRef{InvoiceID: d.ID, ID: cn}, f, c, loc)
		if err != nil {
			return pdfDoc{}, err
		}
		var buf bytes.Buffer
		err = pdf.CreditNote(&buf, data)
		return pdfDoc{buf.Bytes(), data.Number}, err
	})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	servePDF(w, doc)
}

// pdfDoc is a rendered document and the number it is named after.
type pdfDoc struct {
	body   []byte
	number string
}

// invoiceDocument renders a document of the invoice in the path with what
// it names: the invoice's read model, the firm (and its time zone) and the
// client, all as of the request's as_of when it has one.
func (s *Server) invoiceDocument(r *http.Request, render func(projections.InvoiceDetail, firm.State, *time.Location, client.State) (pdfDoc, error)) (pdfDoc, error) {
	id, err := pathID(r, "id", "invoice")
	if err != nil {
		return pdfDoc{}, err
	}
	d, err := s.readInvoice(r.Context(), id)
	if err != nil {
		return pdfDoc{}, err
	}
	f, _, loc, err := s.firmAndZone(r.Context())
	if err != nil {
		return pdfDoc{}, err
	}
	c, err := s.models(r.Context()).ClientState(r.Context(), d.ClientID)
	if err != nil {
		return pdfDoc{}, err
	}
	return render(d, f, loc, c)
}

// servePDF answers doc as an attachment named after its number.
func servePDF(w http.ResponseWriter, doc pdfDoc) {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", doc.number+".pdf"))
	_, _ = w.Write(doc.body)
}
