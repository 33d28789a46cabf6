package web

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
	r.HandleFunc("/api/invoices/{id}/retry", s.handleInvoiceRetry).Methods(http.MethodPost)
	r.HandleFunc("/api/invoices/{id}/write-off", s.handleInvoiceWriteOff).Methods(http.MethodPost)
	r.HandleFunc("/api/invoices/{id}/void", s.handleInvoiceVoid).Methods(http.MethodPost)
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
// rejected collection) on a date from a payment method; absent fields take
// the firm's defaults and the invoice's method.
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
	projections.AttemptView
	InvoiceID uuid.UUID
	Revision  uint64
}

// CreditNoteResource is one credit note of an invoice.
type CreditNoteResource struct {
	projections.CreditNoteView
	InvoiceID uuid.UUID
	Revision  uint64
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
	return s.cfg.Models.Invoice(id, today)
}

// invoiceCommand is a command on an invoice's stream that answers it.
func (s *Server) invoiceCommand(id uuid.UUID, run func(ctx context.Context, meta billing.Meta) (billing.Result, error)) command {
	return command{stream: invoice.StreamName(id), location: fixedLocation("/api/invoices/" + id.String()), run: run,
		read: func(ctx context.Context, _ billing.Result) (any, string, error) {
			d, err := s.readInvoice(ctx, id)
			return d, etag(d.Revision), err
		}}
}

// invoiceCreation is a command that issues an invoice: 201 with it.
func (s *Server) invoiceCreation(run func(ctx context.Context, meta billing.Meta) (billing.Result, error)) command {
	return command{created: true, location: idLocation("/api/invoices/"), run: run,
		read: func(ctx context.Context, res billing.Result) (any, string, error) {
			d, err := s.readInvoice(ctx, res.ID)
			return d, etag(d.Revision), err
		}}
}

// invoiceSub is a command on an invoice's stream that creates one of its
// parts (attempt, payment, credit note): 201 with the part, found by find.
func (s *Server) invoiceSub(id uuid.UUID, kind string, run func(ctx context.Context, meta billing.Meta) (billing.Result, error), find func(d projections.InvoiceDetail, partID uuid.UUID) (any, bool)) command {
	return command{stream: invoice.StreamName(id), created: true, run: run,
		location: func(res billing.Result) string {
			return "/api/invoices/" + id.String() + "/" + kind + "/" + res.ID.String()
		},
		read: func(ctx context.Context, res billing.Result) (any, string, error) {
			d, err := s.readInvoice(ctx, id)
			if err != nil {
				return nil, "", err
			}
			v, ok := find(d, res.ID)
			if !ok {
				return nil, "", domain.NotFound("Invoice %s has no %s %s.", id, kind, res.ID)
			}
			return v, etag(d.Revision), nil
		}}
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
	writeList(s, w, r, s.cfg.Models.ListInvoices(projections.InvoiceQuery{ClientID: clientID, Statuses: statuses, Today: today, Paging: p}))
}

func (s *Server) handleInvoiceList(w http.ResponseWriter, r *http.Request) {
	var clientID uuid.UUID
	if v := r.URL.Query().Get("client_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			s.Error(w, r, malformed(domain.Invalid("client_id", "must be an id (a UUID)")))
			return
		}
		clientID = id
	}
	s.listInvoices(w, r, clientID)
}

func (s *Server) handleInvoiceIssue(w http.ResponseWriter, r *http.Request) {
	readCommand(s, w, r, []string{"client_id"}, func(b billing.IssueInvoiceRequest) (command, error) {
		return s.invoiceCreation(func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.IssueInvoice(ctx, b, meta)
		}), nil
	})
}

func (s *Server) handleInvoiceView(w http.ResponseWriter, r *http.Request) {
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
	s.writeResource(w, r, d, d.Revision)
}

// invoiceAction reads the invoice id and a body B, and runs the command
// build makes on the invoice's stream.
func invoiceAction[B any](s *Server, w http.ResponseWriter, r *http.Request, required []string, run func(ctx context.Context, id uuid.UUID, b B, meta billing.Meta) (billing.Result, error)) {
	id, err := pathID(r, "id", "invoice")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, required, func(b B) (command, error) {
		return s.invoiceCommand(id, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return run(ctx, id, b, meta)
		}), nil
	})
}

func (s *Server) handleInvoiceResend(w http.ResponseWriter, r *http.Request) {
	invoiceAction(s, w, r, nil, func(ctx context.Context, id uuid.UUID, b InvoiceSend, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.SendInvoice(ctx, billing.InvoiceRequest{InvoiceID: id, Recipient: b.Recipient}, meta)
	})
}

func (s *Server) handleInvoiceScheduleCollection(w http.ResponseWriter, r *http.Request) {
	invoiceAction(s, w, r, nil, func(ctx context.Context, id uuid.UUID, b CollectionRequest, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: id, Date: b.Date, PaymentMethodID: b.PaymentMethodID}, meta)
	})
}

func (s *Server) handleInvoiceRetry(w http.ResponseWriter, r *http.Request) {
	invoiceAction(s, w, r, nil, func(ctx context.Context, id uuid.UUID, b CollectionRequest, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.ScheduleRetry(ctx, billing.InvoiceRequest{InvoiceID: id, Date: b.Date, PaymentMethodID: b.PaymentMethodID}, meta)
	})
}

func (s *Server) handleInvoiceWriteOff(w http.ResponseWriter, r *http.Request) {
	invoiceAction(s, w, r, nil, func(ctx context.Context, id uuid.UUID, b Reason, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.WriteOffInvoice(ctx, billing.InvoiceRequest{InvoiceID: id, Reason: b.Reason}, meta)
	})
}

func (s *Server) handleInvoiceVoid(w http.ResponseWriter, r *http.Request) {
	invoiceAction(s, w, r, []string{"reason"}, func(ctx context.Context, id uuid.UUID, b VoidRequest, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.VoidInvoice(ctx, billing.InvoiceRequest{InvoiceID: id, Reason: b.Reason}, meta)
	})
}

func findAttempt(d projections.InvoiceDetail, id uuid.UUID) (any, bool) {
	for _, a := range d.Attempts {
		if a.ID == id {
			return AttemptResource{AttemptView: a, InvoiceID: d.ID, Revision: d.Revision}, true
		}
	}
	return nil, false
}

func findCreditNote(d projections.InvoiceDetail, id uuid.UUID) (any, bool) {
	for _, c := range d.CreditNotes {
		if c.ID == id {
			return CreditNoteResource{CreditNoteView: c, InvoiceID: d.ID, Revision: d.Revision}, true
		}
	}
	return nil, false
}

// invoicePart answers GET of one part of an invoice.
func (s *Server) invoicePart(w http.ResponseWriter, r *http.Request, idVar, kind string, find func(projections.InvoiceDetail, uuid.UUID) (any, bool)) {
	id, err := pathID(r, "id", "invoice")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	partID, err := pathID(r, idVar, kind)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d, err := s.readInvoice(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v, ok := find(d, partID)
	if !ok {
		s.Error(w, r, domain.NotFound("Invoice %s has no %s %s.", id, kind, partID))
		return
	}
	s.writeResource(w, r, v, d.Revision)
}

// invoiceParts answers GET of a list of an invoice's parts.
func invoiceParts[T any](s *Server, w http.ResponseWriter, r *http.Request, parts func(projections.InvoiceDetail) []T) {
	id, err := pathID(r, "id", "invoice")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p, err := paging(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d, err := s.readInvoice(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeList(s, w, r, pageOf(parts(d), p))
}

func (s *Server) handleAttemptList(w http.ResponseWriter, r *http.Request) {
	invoiceParts(s, w, r, func(d projections.InvoiceDetail) []projections.AttemptView { return d.Attempts })
}

func (s *Server) handleAttemptView(w http.ResponseWriter, r *http.Request) {
	s.invoicePart(w, r, "attempt_id", "attempt", findAttempt)
}

func (s *Server) handleAttemptRecord(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "invoice")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, []string{"outcome"}, func(b AttemptRequest) (command, error) {
		return s.invoiceSub(id, "attempts", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.RecordCollectionAttempt(ctx, billing.InvoiceRequest{
				InvoiceID: id, AttemptID: b.AttemptID, Outcome: b.Outcome, PaymentMethodID: b.PaymentMethodID,
				GatewayReference: b.GatewayReference, DeclineCode: b.DeclineCode, DeclineMessage: b.DeclineMessage, Amount: b.Amount,
			}, meta)
		}, findAttempt), nil
	})
}

func (s *Server) handleCreditNoteList(w http.ResponseWriter, r *http.Request) {
	invoiceParts(s, w, r, func(d projections.InvoiceDetail) []projections.CreditNoteView { return d.CreditNotes })
}

func (s *Server) handleCreditNoteView(w http.ResponseWriter, r *http.Request) {
	s.invoicePart(w, r, "credit_note_id", "credit note", findCreditNote)
}

func (s *Server) handleCreditNoteIssue(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "invoice")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, []string{"amount"}, func(b CreditNoteRequest) (command, error) {
		return s.invoiceSub(id, "credit-notes", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.IssueCreditNote(ctx, billing.InvoiceRequest{InvoiceID: id, CreditNoteID: b.CreditNoteID, Amount: b.Amount, Reason: b.Reason}, meta)
		}, findCreditNote), nil
	})
}
