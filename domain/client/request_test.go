package client_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/decidertest"
)

var (
	requestID  = uuid.MustParse("d0000000-0000-4000-8000-000000000001")
	request2ID = uuid.MustParse("d0000000-0000-4000-8000-000000000002")
)

func requested(id uuid.UUID, at time.Time) client.ClientPaymentDetailsRequested {
	return client.ClientPaymentDetailsRequested{
		ClientID: clientID, RequestID: id, ContactID: aliceID, Name: "Alice Ng", Email: "alice@acme.example",
		Note: "for the new year", At: at,
	}
}

func TestRequestPaymentDetails(t *testing.T) {
	ask := client.RequestPaymentDetails{ClientID: clientID, RequestID: requestID, Note: " for the new year ", Now: later}
	again := client.RequestPaymentDetails{ClientID: clientID, RequestID: request2ID, Note: "for the new year", Now: later}
	noID := ask
	noID.RequestID = uuid.Nil
	longNote := ask
	longNote.Note = strings.Repeat("x", 1001)
	carolAdded := client.ClientContactAdded{ClientID: clientID, Contact: client.Contact{ID: carolID, Name: "Carol"}, At: now}
	carolPrimary := client.ClientPrimaryContactChanged{ClientID: clientID, ContactID: carolID, PreviousContactID: aliceID, At: now}
	bobAdded := client.ClientContactAdded{ClientID: clientID, Contact: bob(), At: now}
	bobPrimary := client.ClientPrimaryContactChanged{ClientID: clientID, ContactID: bobID, PreviousContactID: aliceID, At: now}
	toBob := requested(requestID, later)
	toBob.ContactID, toBob.Name, toBob.Email = bobID, "Bob Li", "bob@acme.example"

	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OK", Given: events(created()), When: ask, Then: events(requested(requestID, later))},
		{Name: "OKToThePrimaryContact", Given: events(created(), bobAdded, bobPrimary), When: ask, Then: events(toBob)},
		{Name: "OKWithAMethodOnFile", Given: withCard(), When: ask, Then: events(requested(requestID, later))},
		{Name: "OKAskedAgain", Given: events(created(), requested(requestID, now)), When: again, Then: events(requested(request2ID, later))},
		{Name: "OKRetriedSendsNothing", Given: events(created(), requested(requestID, now)), When: ask, Then: nil},
		{Name: "OKRetriedAfterArchiving", Given: events(created(), requested(requestID, now), archived()), When: ask, Then: nil},
		{Name: "ErrNotFound", When: ask, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrArchived", Given: events(created(), archived()), When: ask, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrErased", Given: events(created(), client.ClientErased{ClientID: clientID, At: now}), When: ask, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNoBillingEmail", Given: events(created(), carolAdded, carolPrimary), When: ask, Err: decidertest.ThenErr(domain.EINVALID, "primary_contact")},
		{Name: "ErrNoID", Given: events(created()), When: noID, Err: decidertest.ThenErr(domain.EINVALID, "request_id")},
		{Name: "ErrNoteTooLong", Given: events(created()), When: longNote, Err: decidertest.ThenErr(domain.EINVALID, "note")},
	})
}

// TestPaymentDetailsRequestAnswered checks that the next method put on file
// answers every open request, and that a later request is open again.
func TestPaymentDetailsRequestAnswered(t *testing.T) {
	s := client.Fold(events(created(), requested(requestID, now), requested(request2ID, now)))
	if r, ok := s.FirstUnansweredRequest(); !ok || r.ID != requestID {
		t.Fatalf("first unanswered = %v, %v; want the first request", r.ID, ok)
	}
	s = client.Evolve(s, added(cardID, visa("tok_1")))
	if _, ok := s.FirstUnansweredRequest(); ok {
		t.Fatal("a method added must answer every open request")
	}
	for _, r := range s.PaymentDetailsRequests {
		if r.AnsweredBy != cardID || !r.AnsweredAt.Equal(now) {
			t.Errorf("request %s answered by %s at %s; want the card at %s", r.ID, r.AnsweredBy, r.AnsweredAt, now)
		}
	}
	third := uuid.MustParse("d0000000-0000-4000-8000-000000000003")
	s = client.Evolve(s, requested(third, later))
	if r, ok := s.FirstUnansweredRequest(); !ok || r.ID != third {
		t.Fatalf("a request after the method must be open; got %v, %v", r.ID, ok)
	}
	s = client.Evolve(s, client.PaymentMethodReplaced{ClientID: clientID, ReplacedPaymentMethodID: cardID, PaymentMethodID: card2ID, Method: visa("tok_2"), At: later})
	if latest, _ := s.LatestPaymentDetailsRequest(); !latest.Answered() || latest.AnsweredBy != card2ID {
		t.Fatalf("a replaced method must answer the open request; got %+v", latest)
	}
	// An expired or failed method answers nothing.
	s = client.Fold(events(created(), added(cardID, visa("tok_1")), requested(requestID, later),
		client.PaymentMethodExpired{ClientID: clientID, PaymentMethodID: cardID, At: later}))
	if _, ok := s.FirstUnansweredRequest(); !ok {
		t.Fatal("a method expiring does not answer a request")
	}
	if s.HasActiveMethod() {
		t.Fatal("an expired card is not an active method")
	}
}
