package client_test

import (
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/decidertest"
)

var (
	now       = time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC)
	later     = now.Add(48 * time.Hour)
	clientID  = uuid.MustParse("c0000000-0000-4000-8000-000000000001")
	aliceID   = uuid.MustParse("a0000000-0000-4000-8000-000000000001")
	bobID     = uuid.MustParse("a0000000-0000-4000-8000-000000000002")
	carolID   = uuid.MustParse("a0000000-0000-4000-8000-000000000003")
	cardID    = uuid.MustParse("b0000000-0000-4000-8000-000000000001")
	card2ID   = uuid.MustParse("b0000000-0000-4000-8000-000000000002")
	bankID    = uuid.MustParse("b0000000-0000-4000-8000-000000000003")
	serviceID = uuid.MustParse("5e000000-0000-4000-8000-000000000001")
	aud       = domain.MustCurrency("AUD")
)

func alice() client.Contact {
	return client.Contact{ID: aliceID, Name: "Alice Ng", Email: "alice@acme.example", Phone: "+61 2 9999 0000", Role: "Finance"}
}

func bob() client.Contact {
	return client.Contact{ID: bobID, Name: "Bob Li", Email: "bob@acme.example"}
}

func acmeAddress() domain.Address {
	return domain.Address{Line1: "1 George St", City: "Sydney", Region: "NSW", Postcode: "2000", Country: "AU"}
}

func intPtr(n int) *int { return &n }

func created() client.ClientCreated {
	return client.ClientCreated{
		ClientID:         clientID,
		Name:             "Acme Pty Ltd",
		Kind:             client.KindBusiness,
		Contacts:         []client.Contact{alice()},
		PrimaryContactID: aliceID,
		Address:          acmeAddress(),
		TaxNumber:        "51 824 753 556",
		Currency:         aud,
		PaymentTermsDays: intPtr(14),
		At:               now,
	}
}

func visa(token string) client.PaymentMethodDetails {
	return client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: token,
		Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2028,
	}
}

func becs(token string) client.PaymentMethodDetails {
	return client.PaymentMethodDetails{
		Kind: client.MethodBankDebit, Gateway: "sandbox", GatewayToken: token,
		Scheme: client.SchemeAUBECS, MaskedAccount: "062-000 ****1234", MandateReference: "MD-0001",
	}
}

func added(id uuid.UUID, m client.PaymentMethodDetails) client.PaymentMethodAdded {
	return client.PaymentMethodAdded{ClientID: clientID, PaymentMethodID: id, Method: m, At: now}
}

func defaultSet(id, previous uuid.UUID) client.PaymentMethodSetAsDefault {
	return client.PaymentMethodSetAsDefault{ClientID: clientID, PaymentMethodID: id, PreviousPaymentMethodID: previous, At: now}
}

func archived() client.ClientArchived {
	return client.ClientArchived{ClientID: clientID, At: now}
}

// events is a short way to write a list of events.
// decider is the client decider, its events compared whole.
var decider = decidertest.Decider[client.State, client.Command]{Fold: client.Fold, Decide: client.Decide}

func events(es ...domain.Event) []domain.Event { return es }

// withCard is a client with one card on file, the default.
func withCard() []domain.Event {
	return events(created(), added(cardID, visa("tok_1")), defaultSet(cardID, uuid.Nil))
}

// withTwoMethods is a client with a card (the default) and a bank account.
func withTwoMethods() []domain.Event {
	return append(withCard(), added(bankID, becs("ba_1")))
}
