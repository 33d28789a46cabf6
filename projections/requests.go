package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
)

// RequestStatus selects requests for payment details by whether the client
// answered.
type RequestStatus string

// Request statuses.
const (
	RequestsUnanswered RequestStatus = "unanswered" // no method added or replaced since
	RequestsAnswered   RequestStatus = "answered"   // a method was put on file since
	RequestsAll        RequestStatus = "all"        // every client ever asked
)

// PaymentDetailsRequestQuery selects the list of requests for payment
// details: one row per client, about its latest request.
type PaymentDetailsRequestQuery struct {
	Status RequestStatus // RequestsUnanswered when empty
	Paging
}

// PaymentDetailsRequestItem is one client's latest request for payment
// details. Unanswered rows are sorted by WaitingSince (longest waiting
// first), the others by RequestedAt, latest first.
type PaymentDetailsRequestItem struct {
	ClientID    uuid.UUID
	ClientName  string
	RequestID   uuid.UUID
	ContactName string
	Email       string // where the latest request went
	Note        string
	RequestedAt time.Time // the latest request
	// WaitingSince is the first request not answered (zero when answered);
	// Requests counts the requests since then (reminders included).
	WaitingSince time.Time
	Requests     int
	AnsweredAt   time.Time // zero while unanswered
	AnsweredBy   uuid.UUID // the method that answered it
}

// PaymentDetailsRequests returns one page of the clients asked for payment
// details, by status.
func (m *Models) PaymentDetailsRequests(ctx context.Context, q PaymentDetailsRequestQuery) (Page[PaymentDetailsRequestItem], error) {
	var cond string
	switch q.Status {
	case RequestsUnanswered, "":
		cond = "WHERE created = 1 AND request_open IS NOT NULL"
	case RequestsAnswered:
		cond = "WHERE created = 1 AND last_request IS NOT NULL AND request_open IS NULL"
	case RequestsAll:
		cond = "WHERE created = 1 AND last_request IS NOT NULL"
	default:
		return Page[PaymentDetailsRequestItem]{}, domain.Invalid("status", "must be one of unanswered, answered, all")
	}
	order := " ORDER BY last_request DESC, key"
	if q.Status == RequestsUnanswered || q.Status == "" {
		order = " ORDER BY request_open, key"
	}
	p := m.Clients
	var total int
	if err := p.db.QueryRow(ctx, "SELECT COUNT(*) FROM "+p.clients.View()+" "+cond).Scan(&total); err != nil {
		return Page[PaymentDetailsRequestItem]{}, fmt.Errorf("read models: clients: %w", err)
	}
	page := Page[PaymentDetailsRequestItem]{Total: total, Offset: max(q.Offset, 0), Limit: pageLimit(q.Paging), Items: []PaymentDetailsRequestItem{}}
	if page.Offset >= total {
		return page, nil
	}
	recs, err := p.clients.Find(ctx, p.db, cond+order+" LIMIT ? OFFSET ?", page.Limit, page.Offset)
	if err != nil {
		return Page[PaymentDetailsRequestItem]{}, err
	}
	for _, r := range recs {
		st := r.State
		last, ok := st.LatestPaymentDetailsRequest()
		if !ok {
			continue
		}
		it := PaymentDetailsRequestItem{
			ClientID: st.ID, ClientName: st.Name, RequestID: last.ID, ContactName: last.Name, Email: last.Email,
			Note: last.Note, RequestedAt: last.At, AnsweredAt: last.AnsweredAt, AnsweredBy: last.AnsweredBy, Requests: 1,
		}
		if first, open := st.FirstUnansweredRequest(); open {
			it.WaitingSince, it.Requests = first.At, 0
			for _, x := range st.PaymentDetailsRequests {
				if !x.Answered() {
					it.Requests++
				}
			}
		}
		page.Items = append(page.Items, it)
	}
	return page, nil
}

// SelectClients returns every client (all pages) of the clients list q
// selects, in list order: the clients a bulk action acts on.
func (m *Models) SelectClients(ctx context.Context, q ClientQuery) ([]ClientListItem, error) {
	var out []ClientListItem
	q.Paging = Paging{Limit: MaxLimit}
	for {
		page, err := m.ListClients(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		q.Offset += len(page.Items)
		if len(page.Items) == 0 || q.Offset >= page.Total {
			return out, nil
		}
	}
}

// LatestPaymentDetailsRequest is the client's latest request for payment
// details, or nil.
func (s ClientSummary) LatestPaymentDetailsRequest() *client.PaymentDetailsRequest {
	if n := len(s.PaymentDetailsRequests); n > 0 {
		r := s.PaymentDetailsRequests[n-1]
		return &r
	}
	return nil
}
