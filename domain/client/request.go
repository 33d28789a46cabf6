package client

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// maxRequestNote bounds the note staff add to a payment-details request.
const maxRequestNote = 1000

// ClientPaymentDetailsRequested records that the client was asked, by email, to
// put a payment method on file through their signed link. It is answered by
// the next PaymentMethodAdded or PaymentMethodReplaced after it.
type ClientPaymentDetailsRequested struct {
	ClientID  uuid.UUID `json:"client_id"`
	RequestID uuid.UUID `json:"request_id"`
	// ContactID, Name and Email are the contact the request went to: the
	// primary billing contact when it was made.
	ContactID uuid.UUID `json:"contact_id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Note      string    `json:"note,omitempty"`
	At        time.Time `json:"at"`
}

// EventType implements domain.Event.
func (ClientPaymentDetailsRequested) EventType() string { return "ClientPaymentDetailsRequested" }

// PaymentDetailsRequest is one request for payment details and whether the
// client answered it.
type PaymentDetailsRequest struct {
	ID        uuid.UUID
	ContactID uuid.UUID
	Name      string
	Email     string
	Note      string
	At        time.Time
	// AnsweredAt is when the client next added or replaced a payment
	// method (zero while unanswered); AnsweredBy is that method.
	AnsweredAt time.Time
	AnsweredBy uuid.UUID
}

// Answered reports whether the client put a method on file after the
// request.
func (r PaymentDetailsRequest) Answered() bool { return !r.AnsweredAt.IsZero() }

// RequestPaymentDetails emails the client's primary billing contact a link
// to put a payment method on file. RequestID is the request's id: a
// request with an id already recorded changes nothing, so a retried
// (bulk) request sends nothing twice.
type RequestPaymentDetails struct {
	ClientID  uuid.UUID
	RequestID uuid.UUID
	Note      string
	Now       time.Time
}

func (RequestPaymentDetails) isClientCommand() {}

// LatestPaymentDetailsRequest returns the client's latest request for
// payment details, if there was one.
func (s State) LatestPaymentDetailsRequest() (PaymentDetailsRequest, bool) {
	if n := len(s.PaymentDetailsRequests); n > 0 {
		return s.PaymentDetailsRequests[n-1], true
	}
	return PaymentDetailsRequest{}, false
}

// FirstUnansweredRequest returns the earliest request the client has not
// answered: since when they have been waited on.
func (s State) FirstUnansweredRequest() (PaymentDetailsRequest, bool) {
	for _, r := range s.PaymentDetailsRequests {
		if !r.Answered() {
			return r, true
		}
	}
	return PaymentDetailsRequest{}, false
}

// HasActiveMethod reports whether the client has a payment method on file
// that can be charged.
func (s State) HasActiveMethod() bool {
	for _, m := range s.PaymentMethods {
		if m.Status == MethodActive {
			return true
		}
	}
	return false
}

// answerRequests marks every unanswered request answered by the method
// just put on file.
func (s State) answerRequests(methodID uuid.UUID, at time.Time) State {
	if _, open := s.FirstUnansweredRequest(); !open {
		return s
	}
	rs := make([]PaymentDetailsRequest, len(s.PaymentDetailsRequests))
	copy(rs, s.PaymentDetailsRequests)
	for i := range rs {
		if !rs[i].Answered() {
			rs[i].AnsweredAt, rs[i].AnsweredBy = at, methodID
		}
	}
	s.PaymentDetailsRequests = rs
	return s
}

func requestPaymentDetails(s State, c RequestPaymentDetails) ([]domain.Event, error) {
	if err := requireClient(s); err != nil {
		return nil, err
	}
	if c.RequestID == uuid.Nil {
		return nil, domain.Invalid("request_id", "a request needs an id")
	}
	for _, r := range s.PaymentDetailsRequests {
		if r.ID == c.RequestID {
			return nil, nil // a retry: already requested
		}
	}
	if s.Archived {
		return nil, domain.Conflict("this client is archived: restore it before asking for payment details")
	}
	if s.Erased {
		return nil, domain.Conflict("this client's personal data was erased: there is nobody to ask")
	}
	note := strings.TrimSpace(c.Note)
	if len(note) > maxRequestNote {
		return nil, domain.Invalid("note", "the note is too long (at most %d characters)", maxRequestNote)
	}
	contact, ok := s.PrimaryContact()
	if !ok || !isEmail(contact.Email) {
		return nil, domain.Invalid("primary_contact", "the client has no billing email address: give the primary billing contact an email first")
	}
	return []domain.Event{ClientPaymentDetailsRequested{
		ClientID: s.ID, RequestID: c.RequestID, ContactID: contact.ID, Name: contact.Name, Email: contact.Email,
		Note: note, At: c.Now,
	}}, nil
}
