package billing

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
)

// PaymentDetailsRequest asks one client for payment details. RequestID is
// optional: without it the request's id is derived from the command id, so
// a retried request (same Idempotency-Key) emails once.
type PaymentDetailsRequest struct {
	ClientID  uuid.UUID `json:"client_id"`
	RequestID uuid.UUID `json:"request_id,omitzero"`
	Note      string    `json:"note,omitempty"`
}

// RequestPaymentDetails records a request for payment details (the outbox
// emails it); Result.ID is the request's id.
func (s *Service) RequestPaymentDetails(ctx context.Context, r PaymentDetailsRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	id := pick(r.RequestID, meta, "payment-details-request")
	return s.client(ctx, client.RequestPaymentDetails{ClientID: r.ClientID, RequestID: id, Note: r.Note, Now: s.now()}, r.ClientID, meta, id)
}

// BulkPaymentDetailsRequest asks many clients at once. BatchID names the
// batch: each client's request id is PaymentDetailsRequestID(BatchID,
// client), so sending the same batch again emails nobody twice.
type BulkPaymentDetailsRequest struct {
	BatchID   uuid.UUID
	ClientIDs []uuid.UUID
	Note      string
}

// SkippedClient is a client a bulk request did not email, and why.
type SkippedClient struct {
	ClientID uuid.UUID
	Reason   string
}

// BulkPaymentDetailsResult is what a bulk request did.
type BulkPaymentDetailsResult struct {
	BatchID uuid.UUID
	// Requested are the clients asked now; AlreadyRequested those this
	// batch had asked before (a retry); Skipped those refused (archived,
	// no billing email), with the reason.
	Requested        []uuid.UUID
	AlreadyRequested []uuid.UUID
	Skipped          []SkippedClient
	// Position is the highest position appended at (for read-your-writes).
	Position uint64
}

// PaymentDetailsRequestID is the id of a bulk request's request to one
// client.
func PaymentDetailsRequestID(batchID, clientID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(batchID, clientID[:])
}

// RequestPaymentDetailsBulk asks every client of r.ClientIDs for payment
// details. A client refused by the rules (archived, no billing email, not
// found) is skipped and counted; it does not fail the others.
func (s *Service) RequestPaymentDetailsBulk(ctx context.Context, r BulkPaymentDetailsRequest, meta Meta) (BulkPaymentDetailsResult, error) {
	meta = s.begin(meta)
	if r.BatchID == uuid.Nil {
		r.BatchID = DeriveID(meta.CommandID, "payment-details-batch")
	}
	if len(r.ClientIDs) > maxBulkRequest {
		return BulkPaymentDetailsResult{}, domain.Invalid("client_ids", "at most %d clients at once", maxBulkRequest)
	}
	now := s.now()
	seen := map[uuid.UUID]bool{}
	var cmds []Command[client.Command]
	for _, id := range r.ClientIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		m := meta
		m.CommandID = meta.CommandID + "/" + id.String()
		m.CorrelationID = meta.CommandID
		cmds = append(cmds, Command[client.Command]{Stream: client.StreamName(id), Meta: m, Command: client.RequestPaymentDetails{
			ClientID: id, RequestID: PaymentDetailsRequestID(r.BatchID, id), Note: r.Note, Now: now,
		}})
	}
	outs, err := HandleBatch(ctx, s.env, clientDecider, cmds, HandleOptions[client.State]{Workers: 2})
	if err != nil {
		return BulkPaymentDetailsResult{}, err
	}
	res := BulkPaymentDetailsResult{BatchID: r.BatchID}
	for i, o := range outs {
		id := cmds[i].Command.(client.RequestPaymentDetails).ClientID
		switch {
		case o.Err != nil && isRefusal(o.Err):
			res.Skipped = append(res.Skipped, SkippedClient{ClientID: id, Reason: refusalReason(o.Err)})
		case o.Err != nil:
			return res, fmt.Errorf("request payment details from client %s: %w", id, o.Err)
		case o.Appended > 0:
			res.Requested = append(res.Requested, id)
		default:
			res.AlreadyRequested = append(res.AlreadyRequested, id)
		}
		res.Position = max(res.Position, o.Position)
	}
	return res, nil
}

// maxBulkRequest bounds the clients of one bulk request.
const maxBulkRequest = 5000

// refusalReason is a refusal's message for people.
func refusalReason(err error) string { return domain.ErrorMessage(err) }
