package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/projections"
)

// Refunds of an invoice's collected gateway payments, and its disputes
// (read-only: the gateway reports them). POST /api/invoices/{id}/refunds
// refunds through the gateway, then records the refund and its credit note;
// send an Idempotency-Key so that a retry after a lost answer names the same
// refund (the gateway refunds it once).

func (s *Server) registerRefundRoutes(r *mux.Router) {
	r.HandleFunc("/api/invoices/{id}/refunds", s.handleRefundList).Methods(http.MethodGet)
	r.HandleFunc("/api/invoices/{id}/refunds", s.handleRefundCreate).Methods(http.MethodPost)
	r.HandleFunc("/api/invoices/{id}/refunds/{refund_id}", s.handleRefundView).Methods(http.MethodGet)
	r.HandleFunc("/api/invoices/{id}/disputes", s.handleDisputeList).Methods(http.MethodGet)
}

// RefundRequest refunds part or all of a collected gateway payment.
type RefundRequest struct {
	// RefundID is optional (derived from the Idempotency-Key or command id).
	RefundID ID `json:"refund_id,omitzero"`
	// ChargeReference names the payment to refund (a payment's reference);
	// empty: the last gateway payment with something left to refund.
	ChargeReference string `json:"charge_reference,omitempty"`
	// Amount is optional: absent refunds all that is left of the payment.
	Amount *decimal.Decimal `json:"amount,omitempty"`
	Reason string           `json:"reason"`
}

// RefundResource is one refund of an invoice.
type RefundResource struct {
	RefundView
	InvoiceID ID     `json:"invoice_id"`
	Revision  uint64 `json:"revision"`
}

// DisputeResource is one dispute of an invoice.
type DisputeResource struct {
	DisputeView
	InvoiceID ID     `json:"invoice_id"`
	Revision  uint64 `json:"revision"`
}

// RefundView is the wire form of projections.RefundView.
type RefundView struct {
	ID                     ID          `json:"id"`
	GatewayReference       string      `json:"gateway_reference"`
	GatewayRefundReference string      `json:"gateway_refund_reference"`
	Amount                 Money       `json:"amount"`
	Reason                 string      `json:"reason"`
	CreditNoteID           ID          `json:"credit_note_id"`
	Date                   domain.Date `json:"date"`
	At                     Time        `json:"at"`
}

func refundViewOf(v projections.RefundView) RefundView {
	return RefundView{ID: ID(v.ID), GatewayReference: v.GatewayReference, GatewayRefundReference: v.GatewayRefundReference,
		Amount: moneyOf(v.Amount), Reason: v.Reason, CreditNoteID: ID(v.CreditNoteID), Date: v.Date, At: Time(v.At)}
}

// DisputeView is the wire form of projections.DisputeView.
type DisputeView struct {
	ID                      ID          `json:"id"`
	GatewayReference        string      `json:"gateway_reference"`
	GatewayDisputeReference string      `json:"gateway_dispute_reference"`
	Amount                  Money       `json:"amount"`
	Reason                  string      `json:"reason"`
	Status                  string      `json:"status"` // open, won or lost
	Fee                     Money       `json:"fee"`
	Opened                  domain.Date `json:"opened"`
	Closed                  domain.Date `json:"closed"`
}

func disputeViewOf(v projections.DisputeView) DisputeView {
	status := string(v.Outcome)
	if v.Open() {
		status = "open"
	}
	return DisputeView{ID: ID(v.ID), GatewayReference: v.GatewayReference, GatewayDisputeReference: v.GatewayDisputeReference,
		Amount: moneyOf(v.Amount), Reason: v.Reason, Status: status, Fee: moneyOf(v.Fee), Opened: v.Opened, Closed: v.Closed}
}

// refunds are an invoice's refunds.
func (s *Server) refunds() child[InvoiceDetail, RefundView, RefundResource] {
	return invoicePart(s, "refund", "refunds", "refund_id",
		func(d InvoiceDetail) []RefundView { return d.Refunds },
		func(v RefundView) uuid.UUID { return uuid.UUID(v.ID) },
		func(v RefundView, id uuid.UUID, rev uint64) RefundResource {
			return RefundResource{RefundView: v, InvoiceID: ID(id), Revision: rev}
		})
}

// disputes are an invoice's disputes.
func (s *Server) disputes() child[InvoiceDetail, DisputeView, DisputeResource] {
	return invoicePart(s, "dispute", "disputes", "dispute_id",
		func(d InvoiceDetail) []DisputeView { return d.Disputes },
		func(v DisputeView) uuid.UUID { return uuid.UUID(v.ID) },
		func(v DisputeView, id uuid.UUID, rev uint64) DisputeResource {
			return DisputeResource{DisputeView: v, InvoiceID: ID(id), Revision: rev}
		})
}

func (s *Server) handleRefundList(w http.ResponseWriter, r *http.Request) {
	s.refunds().list(s, w, r)
}

func (s *Server) handleRefundView(w http.ResponseWriter, r *http.Request) {
	s.refunds().view(s, w, r)
}

func (s *Server) handleDisputeList(w http.ResponseWriter, r *http.Request) {
	s.disputes().list(s, w, r)
}

func (s *Server) handleRefundCreate(w http.ResponseWriter, r *http.Request) {
	addChild(s, w, r, s.refunds(), []string{"reason"}, func(ctx context.Context, id uuid.UUID, b RefundRequest, meta billing.Meta) (billing.Result, error) {
		if s.cfg.Refunds == nil {
			return billing.Result{}, domain.Conflict("Remit runs without a payment gateway here, so it cannot refund payments.")
		}
		return s.cfg.Refunds.Refund(ctx, billing.RefundRequest{InvoiceID: id, RefundID: uuid.UUID(b.RefundID), ChargeReference: b.ChargeReference, Amount: b.Amount, Reason: b.Reason}, meta)
	})
}
