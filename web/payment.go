package web

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/projections"
)

func (s *Server) registerPaymentRoutes(r *mux.Router) {
	r.HandleFunc("/api/invoices/{id}/payments", s.handlePaymentList).Methods(http.MethodGet)
	r.HandleFunc("/api/invoices/{id}/payments", s.handlePaymentRecord).Methods(http.MethodPost)
	r.HandleFunc("/api/invoices/{id}/payments/{payment_id}", s.handlePaymentView).Methods(http.MethodGet)
}

// OfflinePayment is money received outside the gateway (bank transfer,
// cash, cheque, other) on a date (today when absent).
type OfflinePayment struct {
	PaymentID uuid.UUID             `json:"payment_id,omitzero"`
	Amount    decimal.Decimal       `json:"amount"`
	Method    invoice.PaymentMethod `json:"method"`
	Reference string                `json:"reference,omitempty"`
	Date      domain.Date           `json:"date,omitzero"`
}

// PaymentResource is money received on an invoice.
type PaymentResource struct {
	projections.PaymentView
	InvoiceID uuid.UUID
	Revision  uint64
}

func findPayment(d projections.InvoiceDetail, id uuid.UUID) (any, bool) {
	for _, p := range d.Payments {
		if p.ID == id {
			return PaymentResource{PaymentView: p, InvoiceID: d.ID, Revision: d.Revision}, true
		}
	}
	return nil, false
}

func (s *Server) handlePaymentList(w http.ResponseWriter, r *http.Request) {
	invoiceParts(s, w, r, func(d projections.InvoiceDetail) []projections.PaymentView { return d.Payments })
}

func (s *Server) handlePaymentView(w http.ResponseWriter, r *http.Request) {
	s.invoicePart(w, r, "payment_id", "payment", findPayment)
}

func (s *Server) handlePaymentRecord(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "invoice")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, []string{"amount", "method"}, func(b OfflinePayment) (command, error) {
		return s.invoiceSub(id, "payments", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.RecordOfflinePayment(ctx, billing.InvoiceRequest{
				InvoiceID: id, PaymentID: b.PaymentID, Amount: b.Amount, Method: b.Method, Reference: b.Reference, Date: b.Date,
			}, meta)
		}, findPayment), nil
	})
}
