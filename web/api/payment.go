package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
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
	PaymentView
	InvoiceID ID     `json:"invoice_id"`
	Revision  uint64 `json:"revision"`
}

// payments are the money received on an invoice.
func (s *Server) payments() child[InvoiceDetail, PaymentView, PaymentResource] {
	return invoicePart(s, "payment", "payments", "payment_id",
		func(d InvoiceDetail) []PaymentView { return d.Payments },
		func(p PaymentView) uuid.UUID { return uuid.UUID(p.ID) },
		func(p PaymentView, id uuid.UUID, rev uint64) PaymentResource {
			return PaymentResource{PaymentView: p, InvoiceID: ID(id), Revision: rev}
		})
}

func (s *Server) handlePaymentList(w http.ResponseWriter, r *http.Request) {
	s.payments().list(s, w, r)
}

func (s *Server) handlePaymentView(w http.ResponseWriter, r *http.Request) {
	s.payments().view(s, w, r)
}

func (s *Server) handlePaymentRecord(w http.ResponseWriter, r *http.Request) {
	addChild(s, w, r, s.payments(), []string{"amount", "method"}, func(ctx context.Context, id uuid.UUID, b OfflinePayment, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.RecordOfflinePayment(ctx, billing.InvoiceRequest{
			InvoiceID: id, PaymentID: b.PaymentID, Amount: b.Amount, Method: b.Method, Reference: b.Reference, Date: b.Date,
		}, meta)
	})
}
