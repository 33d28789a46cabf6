package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/projections"
)

func (s *Server) registerPaymentDetailsRoutes(r *mux.Router) {
	r.HandleFunc("/api/clients/{id}/payment-details-requests", s.handlePaymentDetailsRequest).Methods(http.MethodPost)
	r.HandleFunc("/api/payment-details-requests", s.handlePaymentDetailsRequestBulk).Methods(http.MethodPost)
	r.HandleFunc("/api/payment-details-requests", s.handlePaymentDetailsRequestList).Methods(http.MethodGet)
}

// PaymentDetailsRequestBody asks one client for payment details.
// RequestID is optional (derived from the Idempotency-Key, or new).
type PaymentDetailsRequestBody struct {
	RequestID ID     `json:"request_id,omitzero"`
	Note      string `json:"note,omitempty"`
}

// PaymentDetailsRequestView is one request for payment details sent to a
// client.
type PaymentDetailsRequestView struct {
	ID          ID     `json:"id"`
	ContactID   ID     `json:"contact_id"`
	ContactName string `json:"contact_name"`
	Email       string `json:"email"`
	Note        string `json:"note"`
	RequestedAt Time   `json:"requested_at"`
	Answered    bool   `json:"answered"`
	AnsweredAt  Time   `json:"answered_at"`
	// AnsweredBy is the payment method that answered it (null until then).
	AnsweredBy ID `json:"answered_by"`
}

// paymentDetailsRequestViewOf converts a client.PaymentDetailsRequest.
func paymentDetailsRequestViewOf(r client.PaymentDetailsRequest) PaymentDetailsRequestView {
	return PaymentDetailsRequestView{
		ID: ID(r.ID), ContactID: ID(r.ContactID), ContactName: r.Name, Email: r.Email, Note: r.Note,
		RequestedAt: Time(r.At), Answered: r.Answered(), AnsweredAt: Time(r.AnsweredAt), AnsweredBy: ID(r.AnsweredBy),
	}
}

// PaymentDetailsRequestResource is a request with its client.
type PaymentDetailsRequestResource struct {
	PaymentDetailsRequestView
	ClientID ID     `json:"client_id"`
	Revision uint64 `json:"revision"`
}

// BulkPaymentDetailsRequestBody asks many clients at once: the clients the
// clients list selects with Filter and Search (as GET /api/clients reads
// them), or the ClientIDs named. BatchID is optional; sending the same
// batch again emails nobody twice.
type BulkPaymentDetailsRequestBody struct {
	Filter    string `json:"filter,omitempty"`
	Search    string `json:"search,omitempty"`
	ClientIDs []ID   `json:"client_ids,omitempty"`
	Note      string `json:"note,omitempty"`
	BatchID   ID     `json:"batch_id,omitzero"`
}

// SkippedClientView is a client a bulk request did not email, and why.
type SkippedClientView struct {
	ClientID ID     `json:"client_id"`
	Name     string `json:"name"`
	Reason   string `json:"reason"`
}

// BulkPaymentDetailsResult says what a bulk request did: the clients
// emailed now, those this batch had already asked (a retry), and those
// skipped (archived, no billing email).
type BulkPaymentDetailsResult struct {
	BatchID          ID                  `json:"batch_id"`
	Selected         int                 `json:"selected"`
	Requested        []ID                `json:"requested"`
	AlreadyRequested []ID                `json:"already_requested"`
	Skipped          []SkippedClientView `json:"skipped"`
}

// PaymentDetailsRequestItem is one client's latest request for payment
// details, in the list of requests.
type PaymentDetailsRequestItem struct {
	ClientID     ID     `json:"client_id"`
	ClientName   string `json:"client_name"`
	RequestID    ID     `json:"request_id"`
	ContactName  string `json:"contact_name"`
	Email        string `json:"email"`
	Note         string `json:"note"`
	RequestedAt  Time   `json:"requested_at"`
	WaitingSince Time   `json:"waiting_since"`
	Requests     int    `json:"requests"`
	Answered     bool   `json:"answered"`
	AnsweredAt   Time   `json:"answered_at"`
	AnsweredBy   ID     `json:"answered_by"`
}

// paymentDetailsRequestItemOf converts a projections.PaymentDetailsRequestItem.
func paymentDetailsRequestItemOf(v projections.PaymentDetailsRequestItem) PaymentDetailsRequestItem {
	return PaymentDetailsRequestItem{
		ClientID: ID(v.ClientID), ClientName: v.ClientName, RequestID: ID(v.RequestID), ContactName: v.ContactName,
		Email: v.Email, Note: v.Note, RequestedAt: Time(v.RequestedAt), WaitingSince: Time(v.WaitingSince),
		Requests: v.Requests, Answered: !v.AnsweredAt.IsZero(), AnsweredAt: Time(v.AnsweredAt), AnsweredBy: ID(v.AnsweredBy),
	}
}

// readPaymentDetailsRequest reads a client's request as the read models
// show it, with the client stream's revision.
func (s *Server) readPaymentDetailsRequest(ctx context.Context, clientID, requestID uuid.UUID) (PaymentDetailsRequestResource, uint64, error) {
	sum, err := s.readClient(ctx, clientID)
	if err != nil {
		return PaymentDetailsRequestResource{}, 0, err
	}
	for _, r := range sum.PaymentDetailsRequests {
		if r.ID == requestID {
			return PaymentDetailsRequestResource{PaymentDetailsRequestView: paymentDetailsRequestViewOf(r), ClientID: ID(clientID), Revision: sum.Revision}, sum.Revision, nil
		}
	}
	return PaymentDetailsRequestResource{}, 0, domain.NotFound("There is no request %s for payment details from this client.", requestID)
}

func (s *Server) handlePaymentDetailsRequest(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "client")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, nil, func(b PaymentDetailsRequestBody) command {
		return command{stream: client.StreamName(id), created: true,
			run: func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
				return s.cfg.Billing.RequestPaymentDetails(ctx, billing.PaymentDetailsRequest{ClientID: id, RequestID: uuid.UUID(b.RequestID), Note: b.Note}, meta)
			},
			location: func(billing.Result) string { return "/api/clients/" + id.String() },
			read: func(ctx context.Context, res billing.Result) (any, string, error) {
				v, rev, err := s.readPaymentDetailsRequest(ctx, id, res.ID)
				return v, etag(rev), err
			}}
	})
}

// handlePaymentDetailsRequestBulk asks every client a filter selects. The
// selection is read from the clients list at the moment of the request;
// the batch id (from the body, else the Idempotency-Key, else new) makes a
// retry email nobody twice.
func (s *Server) handlePaymentDetailsRequestBulk(w http.ResponseWriter, r *http.Request) {
	raw, err := readBody(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var b BulkPaymentDetailsRequestBody
	if err := decodeJSON(raw, &b); err != nil {
		s.Error(w, r, err)
		return
	}
	ctx := context.WithoutCancel(r.Context())
	ids, names, err := s.selectClients(ctx, b)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	meta := billing.Meta{Actor: actor(r)}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		meta.CommandID = meta.Actor + ":" + key
	}
	res, err := s.cfg.Billing.RequestPaymentDetailsBulk(ctx, billing.BulkPaymentDetailsRequest{BatchID: uuid.UUID(b.BatchID), ClientIDs: ids, Note: b.Note}, meta)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.cfg.Runner.WaitFor(ctx, res.Position); err != nil {
		s.log.Warn("read models did not reach the bulk request's position", "position", res.Position, "err", err)
	}
	out := BulkPaymentDetailsResult{BatchID: ID(res.BatchID), Selected: len(ids),
		Requested: wireList(res.Requested, toID), AlreadyRequested: wireList(res.AlreadyRequested, toID), Skipped: []SkippedClientView{}}
	for _, sk := range res.Skipped {
		out.Skipped = append(out.Skipped, SkippedClientView{ClientID: ID(sk.ClientID), Name: names[sk.ClientID], Reason: sk.Reason})
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

func toID(id uuid.UUID) ID { return ID(id) }

// selectClients returns the clients a bulk request names: its ClientIDs, or
// every client of the clients list with its filter and search (all pages),
// and their names.
func (s *Server) selectClients(ctx context.Context, b BulkPaymentDetailsRequestBody) ([]uuid.UUID, map[uuid.UUID]string, error) {
	names := map[uuid.UUID]string{}
	if len(b.ClientIDs) > 0 {
		if b.Filter != "" || b.Search != "" {
			return nil, nil, domain.Invalid("client_ids", "name the clients or a filter, not both")
		}
		var ids []uuid.UUID
		seen := map[uuid.UUID]bool{}
		for _, id := range b.ClientIDs {
			if !seen[uuid.UUID(id)] {
				seen[uuid.UUID(id)] = true
				ids = append(ids, uuid.UUID(id))
			}
		}
		return ids, names, nil
	}
	filter, err := parseClientFilter(b.Filter)
	if err != nil {
		return nil, nil, err
	}
	if filter == projections.ClientsAll && strings.TrimSpace(b.Search) == "" {
		return nil, nil, domain.Invalid("filter", "choose a filter or a search: asking every client at once is refused")
	}
	today, err := s.today(ctx)
	if err != nil {
		return nil, nil, err
	}
	items, err := s.models(ctx).SelectClients(ctx, projections.ClientQuery{Filter: filter, Search: b.Search, Today: today})
	if err != nil {
		return nil, nil, err
	}
	ids := make([]uuid.UUID, len(items))
	for i, it := range items {
		ids[i], names[it.ID] = it.ID, it.Name
	}
	return ids, names, nil
}

// parseClientFilter reads the clients list's filter.
func parseClientFilter(v string) (projections.ClientFilter, error) {
	f := projections.ClientFilter(v)
	if f == projections.ClientsAll {
		return f, nil
	}
	var names []string
	for _, known := range projections.ClientFilters() {
		if f == known {
			return f, nil
		}
		names = append(names, string(known))
	}
	return "", malformed(domain.Invalid("filter", "must be one of %s", strings.Join(names, ", ")))
}

func (s *Server) handlePaymentDetailsRequestList(w http.ResponseWriter, r *http.Request) {
	p, err := paging(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	status := projections.RequestStatus(r.URL.Query().Get("status"))
	switch status {
	case "", projections.RequestsUnanswered, projections.RequestsAnswered, projections.RequestsAll:
	default:
		s.Error(w, r, malformed(domain.Invalid("status", "must be one of unanswered, answered, all")))
		return
	}
	page, err := s.models(r.Context()).PaymentDetailsRequests(r.Context(), projections.PaymentDetailsRequestQuery{Status: status, Paging: p})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeList(s, w, r, page, paymentDetailsRequestItemOf)
}
