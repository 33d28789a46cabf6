package api

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/projections"
)

func (s *Server) registerInvoiceRoutes(r *mux.Router) {
	r.HandleFunc("/api/invoices", s.handleInvoiceList).Methods(http.MethodGet)
	r.HandleFunc("/api/invoices", s.handleInvoiceIssue).Methods(http.MethodPost)
	r.HandleFunc("/api/invoices/{id}", s.handleInvoiceView).Methods(http.MethodGet)
	r.HandleFunc("/api/invoices/{id}/resend", s.handleInvoiceResend).Methods(http.MethodPost)
	r.HandleFunc("/api/invoices/{id}/schedule-collection", s.handleInvoiceScheduleCollection).Methods(http.MethodPost)
	r.HandleFunc("/api/invoices/{id}/cancel-collection", s.handleInvoiceCancelCollection).Methods(http.MethodPost)
	r.HandleFunc("/api/invoices/{id}/retry", s.handleInvoiceRetry).Methods(http.MethodPost)
	r.HandleFunc("/api/invoices/{id}/write-off", s.handleInvoiceWriteOff).Methods(http.MethodPost)
	r.HandleFunc("/api/invoices/{id}/void", s.handleInvoiceVoid).Methods(http.MethodPost)
	r.HandleFunc("/api/invoices/{id}/reminders/pause", s.handleInvoiceRemindersPause).Methods(http.MethodPost)
	r.HandleFunc("/api/invoices/{id}/reminders/resume", s.handleInvoiceRemindersResume).Methods(http.MethodPost)
	r.HandleFunc("/api/invoices/{id}/attempts", s.handleAttemptList).Methods(http.MethodGet)
	r.HandleFunc("/api/invoices/{id}/attempts", s.handleAttemptRecord).Methods(http.MethodPost)
	r.HandleFunc("/api/invoices/{id}/attempts/{attempt_id}", s.handleAttemptView).Methods(http.MethodGet)
	r.HandleFunc("/api/invoices/{id}/credit-notes", s.handleCreditNoteList).Methods(http.MethodGet)
	r.HandleFunc("/api/invoices/{id}/credit-notes", s.handleCreditNoteIssue).Methods(http.MethodPost)
	r.HandleFunc("/api/invoices/{id}/credit-notes/{credit_note_id}", s.handleCreditNoteView).Methods(http.MethodGet)
}

// InvoiceSend sends the invoice (again), to the client's primary contact
// when no recipient is given.
type InvoiceSend struct {
	Recipient string `json:"recipient,omitempty"`
}

// CollectionRequest schedules collecting the balance (or retrying a
// rejected collection, also replacing a retry still pending) on a date from a
// payment method; absent fields take the firm's defaults (a retry: today)
// and the invoice's method.
type CollectionRequest struct {
	Date            domain.Date `json:"date,omitzero"`
	PaymentMethodID uuid.UUID   `json:"payment_method_id,omitzero"`
}

// VoidRequest voids an invoice; the reason is required.
type VoidRequest struct {
	Reason string `json:"reason"`
}

// AttemptRequest records what the gateway answered to a collection attempt.
type AttemptRequest struct {
	AttemptID        uuid.UUID              `json:"attempt_id,omitzero"`
	Outcome          invoice.AttemptOutcome `json:"outcome"`
	PaymentMethodID  uuid.UUID              `json:"payment_method_id,omitzero"`
	GatewayReference string                 `json:"gateway_reference,omitempty"`
	DeclineCode      string                 `json:"decline_code,omitempty"`
	DeclineMessage   string                 `json:"decline_message,omitempty"`
	Amount           decimal.Decimal        `json:"amount"`
}

// CreditNoteRequest credits part or all of an invoice's balance.
type CreditNoteRequest struct {
	CreditNoteID uuid.UUID       `json:"credit_note_id,omitzero"`
	Amount       decimal.Decimal `json:"amount"`
	Reason       string          `json:"reason,omitempty"`
}

// AttemptResource is one collection attempt of an invoice.
type AttemptResource struct {
	AttemptView
	InvoiceID ID     `json:"invoice_id"`
	Revision  uint64 `json:"revision"`
}

// CreditNoteResource is one credit note of an invoice.
type CreditNoteResource struct {
	CreditNoteView
	InvoiceID ID     `json:"invoice_id"`
	Revision  uint64 `json:"revision"`
}

var invoiceStatuses = []invoice.Status{
	invoice.StatusAwaitingPayment, invoice.StatusPaymentScheduled, invoice.StatusPaid, invoice.StatusPartlyPaid,
	invoice.StatusPaymentRejected, invoice.StatusWrittenOff, invoice.StatusVoid, invoice.StatusOverdue,
}

func (s *Server) readInvoice(ctx context.Context, id uuid.UUID) (projections.InvoiceDetail, error) {
	today, err := s.today(ctx)
	if err != nil {
		return projections.InvoiceDetail{}, err
	}
	return s.models(ctx).Invoice(ctx, id, today)
}

// invoices are the clients' invoices.
func (s *Server) invoices() root[InvoiceDetail] {
	return root[InvoiceDetail]{what: "invoice", base: "/api/invoices/", stream: invoice.StreamName, read: readAs(s.readInvoice, invoiceDetailOf),
		rev: func(d InvoiceDetail) uint64 { return d.Revision }}
}

// invoicePart is a kind of part of an invoice (attempt, payment, credit
// note), answered with the invoice's id and revision as R.
func invoicePart[V, R any](s *Server, what, segment, idVar string, parts func(InvoiceDetail) []V, idOf func(V) uuid.UUID, resource func(v V, invoiceID uuid.UUID, rev uint64) R) child[InvoiceDetail, V, R] {
	return child[InvoiceDetail, V, R]{parent: s.invoices(), what: what, segment: segment, idVar: idVar,
		items: parts, idOf: idOf, resource: resource}
}

// attempts are an invoice's collection attempts.
func (s *Server) attempts() child[InvoiceDetail, AttemptView, AttemptResource] {
	return invoicePart(s, "attempt", "attempts", "attempt_id",
		func(d InvoiceDetail) []AttemptView { return d.Attempts },
		func(a AttemptView) uuid.UUID { return uuid.UUID(a.ID) },
		func(a AttemptView, id uuid.UUID, rev uint64) AttemptResource {
			return AttemptResource{AttemptView: a, InvoiceID: ID(id), Revision: rev}
		})
}

// creditNotes are an invoice's credit notes.
func (s *Server) creditNotes() child[InvoiceDetail, CreditNoteView, CreditNoteResource] {
	return invoicePart(s, "credit note", "credit-notes", "credit_note_id",
		func(d InvoiceDetail) []CreditNoteView { return d.CreditNotes },
		func(c CreditNoteView) uuid.UUID { return uuid.UUID(c.ID) },
		func(c CreditNoteView, id uuid.UUID, rev uint64) CreditNoteResource {
			return CreditNoteResource{CreditNoteView: c, InvoiceID: ID(id), Revision: rev}
		})
}

func (s *Server) listInvoices(w http.ResponseWriter, r *http.Request, clientID uuid.UUID) {
	p, err := paging(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var statuses []invoice.Status
	if v := r.URL.Query().Get("status"); v != "" {
		for _, st := range strings.Split(v, ",") {
			if !slices.Contains(invoiceStatuses, invoice.Status(st)) {
				s.Error(w, r, malformed(domain.Invalid("status", "%q is not an invoice status", st)))
				return
			}
			statuses = append(statuses, invoice.Status(st))
		}
	}
	today, err := s.today(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	servePages(s, w, r, p, func(p projections.Paging) (projections.Page[projections.InvoiceListItem], error) {
		return s.models(r.Context()).ListInvoices(r.Context(), projections.InvoiceQuery{ClientID: clientID, Statuses: statuses, Today: today, Paging: p})
	}, invoiceListItemOf)
}

func (s *Server) handleInvoiceList(w http.ResponseWriter, r *http.Request) {
	clientID, err := queryID(r, "client_id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.listInvoices(w, r, clientID)
}

func (s *Server) handleInvoiceIssue(w http.ResponseWriter, r *http.Request) {
	readCommand(s, w, r, []string{"client_id"}, func(b billing.IssueInvoiceRequest) command {
		return s.invoices().creation(func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.IssueInvoice(ctx, b, meta)
		})
	})
}

func (s *Server) handleInvoiceView(w http.ResponseWriter, r *http.Request) {
	s.invoices().view(s, w, r)
}

func (s *Server) handleInvoiceResend(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.invoices(), nil, func(ctx context.Context, id uuid.UUID, b InvoiceSend, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.SendInvoice(ctx, billing.InvoiceRequest{InvoiceID: id, Recipient: b.Recipient}, meta)
	})
}

func (s *Server) handleInvoiceScheduleCollection(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.invoices(), nil, func(ctx context.Context, id uuid.UUID, b CollectionRequest, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: id, Date: b.Date, PaymentMethodID: b.PaymentMethodID}, meta)
	})
}

func (s *Server) handleInvoiceCancelCollection(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.invoices(), nil, func(ctx context.Context, id uuid.UUID, b Reason, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.CancelCollection(ctx, billing.InvoiceRequest{InvoiceID: id, Reason: b.Reason}, meta)
	})
}

func (s *Server) handleInvoiceRetry(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.invoices(), nil, func(ctx context.Context, id uuid.UUID, b CollectionRequest, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.ScheduleRetry(ctx, billing.InvoiceRequest{InvoiceID: id, Date: b.Date, PaymentMethodID: b.PaymentMethodID}, meta)
	})
}

func (s *Server) handleInvoiceWriteOff(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.invoices(), nil, func(ctx context.Context, id uuid.UUID, b Reason, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.WriteOffInvoice(ctx, billing.InvoiceRequest{InvoiceID: id, Reason: b.Reason}, meta)
	})
}

func (s *Server) handleInvoiceVoid(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.invoices(), []string{"reason"}, func(ctx context.Context, id uuid.UUID, b VoidRequest, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.VoidInvoice(ctx, billing.InvoiceRequest{InvoiceID: id, Reason: b.Reason}, meta)
	})
}

func (s *Server) handleInvoiceRemindersPause(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.invoices(), nil, func(ctx context.Context, id uuid.UUID, b Reason, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.PauseReminders(ctx, billing.InvoiceRequest{InvoiceID: id, Reason: b.Reason}, meta)
	})
}

func (s *Server) handleInvoiceRemindersResume(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.invoices(), nil, func(ctx context.Context, id uuid.UUID, _ none, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.ResumeReminders(ctx, billing.InvoiceRequest{InvoiceID: id}, meta)
	})
}

func (s *Server) handleAttemptList(w http.ResponseWriter, r *http.Request) {
	s.attempts().list(s, w, r)
}

func (s *Server) handleAttemptView(w http.ResponseWriter, r *http.Request) {
	s.attempts().view(s, w, r)
}

func (s *Server) handleAttemptRecord(w http.ResponseWriter, r *http.Request) {
	addChild(s, w, r, s.attempts(), []string{"outcome"}, func(ctx context.Context, id uuid.UUID, b AttemptRequest, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.RecordCollectionAttempt(ctx, billing.InvoiceRequest{
			InvoiceID: id, AttemptID: b.AttemptID, Outcome: b.Outcome, PaymentMethodID: b.PaymentMethodID,
			GatewayReference: b.GatewayReference, DeclineCode: b.DeclineCode, DeclineMessage: b.DeclineMessage, Amount: b.Amount,
		}, meta)
	})
}

func (s *Server) handleCreditNoteList(w http.ResponseWriter, r *http.Request) {
	s.creditNotes().list(s, w, r)
}

func (s *Server) handleCreditNoteView(w http.ResponseWriter, r *http.Request) {
	s.creditNotes().view(s, w, r)
}

func (s *Server) handleCreditNoteIssue(w http.ResponseWriter, r *http.Request) {
	addChild(s, w, r, s.creditNotes(), []string{"amount"}, func(ctx context.Context, id uuid.UUID, b CreditNoteRequest, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.IssueCreditNote(ctx, billing.InvoiceRequest{InvoiceID: id, CreditNoteID: b.CreditNoteID, Amount: b.Amount, Reason: b.Reason}, meta)
	})
}
