package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"remit/domain"
	"remit/domain/invoice"
	"remit/web/auth"
)

func (s *Server) registerPaymentLinkRoutes(r *mux.Router) {
	r.HandleFunc("/api/invoices/{id}/payment-link", s.handleInvoicePaymentLink).Methods(http.MethodPost)
}

// PaymentLinkTTL is how long a pay-now link stays valid (as the client
// links staff copy from the UI).
const PaymentLinkTTL = 30 * 24 * time.Hour

// PaymentLinkView is an invoice's signed pay-now link: the client opens
// URL, sees the invoice and pays its outstanding balance once, by card or
// bank account, on the gateway's hosted page.
type PaymentLinkView struct {
	InvoiceID ID     `json:"invoice_id"`
	URL       string `json:"url"`
	ExpiresAt Time   `json:"expires_at"`
}

// handleInvoicePaymentLink signs a pay-now link for an open invoice with a
// balance (409 for a paid, void or written-off one). Every call signs a new
// link; each is valid until it expires or the client's links are revoked.
func (s *Server) handleInvoicePaymentLink(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "invoice")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if s.cfg.Links == nil {
		s.Error(w, r, domain.NotFound("Client links are off on this server (no link key)."))
		return
	}
	today, err := s.today(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d, err := s.models(r.Context()).Invoice(r.Context(), id, today)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	switch {
	case d.StoredStatus == invoice.StatusVoid, d.StoredStatus == invoice.StatusWrittenOff:
		s.Error(w, r, domain.Conflict("Invoice %s is %s: there is nothing to pay.", d.Number, strings.ReplaceAll(string(d.StoredStatus), "_", " ")))
		return
	case !d.Balance.Amount.IsPositive():
		s.Error(w, r, domain.Conflict("Invoice %s is paid: there is nothing to pay.", d.Number))
		return
	}
	now := s.cfg.Now()
	l := auth.Link{ClientID: d.ClientID, Purpose: auth.PurposePayInvoice, Resource: d.ID, Expires: now.Add(PaymentLinkTTL), Issued: now}
	token := s.cfg.Links.Sign(l)
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	s.writeJSON(w, r, http.StatusOK, PaymentLinkView{InvoiceID: ID(d.ID), URL: scheme + "://" + r.Host + "/c/i/" + token, ExpiresAt: Time(l.Expires.UTC().Truncate(time.Second))})
}
