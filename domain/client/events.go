package client

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// StreamName returns the name of a client's stream: "client-<uuid>".
func StreamName(id uuid.UUID) string { return "client-" + id.String() }

// ClientCreated records a new client with its first contacts.
type ClientCreated struct {
	ClientID         uuid.UUID       `json:"client_id"`
	Name             string          `json:"name"`
	Kind             Kind            `json:"kind"`
	Contacts         []Contact       `json:"contacts"`
	PrimaryContactID uuid.UUID       `json:"primary_contact_id"`
	Address          domain.Address  `json:"address"`
	TaxNumber        string          `json:"tax_number,omitempty"`
	Currency         domain.Currency `json:"currency"`
	// PaymentTermsDays overrides the firm's default payment terms; nil means
	// the firm's default applies.
	PaymentTermsDays *int      `json:"payment_terms_days,omitempty"`
	At               time.Time `json:"at"`
}

// ClientDetailsChanged records new details of a client, replaced whole.
type ClientDetailsChanged struct {
	ClientID         uuid.UUID       `json:"client_id"`
	Name             string          `json:"name"`
	Kind             Kind            `json:"kind"`
	Address          domain.Address  `json:"address"`
	TaxNumber        string          `json:"tax_number,omitempty"`
	Currency         domain.Currency `json:"currency"`
	PaymentTermsDays *int            `json:"payment_terms_days,omitempty"`
	At               time.Time       `json:"at"`
}

// ClientContactAdded records a new contact at the client.
type ClientContactAdded struct {
	ClientID uuid.UUID `json:"client_id"`
	Contact  Contact   `json:"contact"`
	At       time.Time `json:"at"`
}

// ClientContactChanged records new details of a contact, replaced whole.
type ClientContactChanged struct {
	ClientID uuid.UUID `json:"client_id"`
	Contact  Contact   `json:"contact"`
	At       time.Time `json:"at"`
}

// ClientContactRemoved records that a contact was removed. It is never the
// primary billing contact: a ClientPrimaryContactChanged comes first.
type ClientContactRemoved struct {
	ClientID  uuid.UUID `json:"client_id"`
	ContactID uuid.UUID `json:"contact_id"`
	At        time.Time `json:"at"`
}

// ClientPrimaryContactChanged records a new primary billing contact.
type ClientPrimaryContactChanged struct {
	ClientID          uuid.UUID `json:"client_id"`
	ContactID         uuid.UUID `json:"contact_id"`
	PreviousContactID uuid.UUID `json:"previous_contact_id"`
	At                time.Time `json:"at"`
}

// ClientArchived records that the client was archived: it is read-only until
// restored.
type ClientArchived struct {
	ClientID uuid.UUID `json:"client_id"`
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
}

// ClientRestored records that an archived client was restored.
type ClientRestored struct {
	ClientID uuid.UUID `json:"client_id"`
	At       time.Time `json:"at"`
}

// PaymentMethodAdded records a payment method put on file for the client.
type PaymentMethodAdded struct {
	ClientID        uuid.UUID            `json:"client_id"`
	PaymentMethodID uuid.UUID            `json:"payment_method_id"`
	Method          PaymentMethodDetails `json:"method"`
	At              time.Time            `json:"at"`
}

// PaymentMethodSetAsDefault records the client's new default payment method.
// PreviousPaymentMethodID is uuid.Nil when there was no default.
type PaymentMethodSetAsDefault struct {
	ClientID                uuid.UUID `json:"client_id"`
	PaymentMethodID         uuid.UUID `json:"payment_method_id"`
	PreviousPaymentMethodID uuid.UUID `json:"previous_payment_method_id"`
	At                      time.Time `json:"at"`
}

// PaymentMethodReplaced records that a new payment method took a stored one's
// place: it becomes the default if the replaced one was, and the services paid
// with the replaced one are to be paid with the new one.
type PaymentMethodReplaced struct {
	ClientID                uuid.UUID            `json:"client_id"`
	ReplacedPaymentMethodID uuid.UUID            `json:"replaced_payment_method_id"`
	PaymentMethodID         uuid.UUID            `json:"payment_method_id"`
	Method                  PaymentMethodDetails `json:"method"`
	At                      time.Time            `json:"at"`
}

// PaymentMethodRemoved records that a payment method was taken off file. When
// it was the default and others remain, a PaymentMethodSetAsDefault follows.
type PaymentMethodRemoved struct {
	ClientID        uuid.UUID `json:"client_id"`
	PaymentMethodID uuid.UUID `json:"payment_method_id"`
	At              time.Time `json:"at"`
}

// PaymentMethodExpired records that a payment method can no longer be charged
// because it expired.
type PaymentMethodExpired struct {
	ClientID        uuid.UUID `json:"client_id"`
	PaymentMethodID uuid.UUID `json:"payment_method_id"`
	At              time.Time `json:"at"`
}

// PaymentMethodFailed records that a payment method can no longer be charged,
// with the gateway's or a person's reason.
type PaymentMethodFailed struct {
	ClientID        uuid.UUID `json:"client_id"`
	PaymentMethodID uuid.UUID `json:"payment_method_id"`
	Reason          string    `json:"reason"`
	At              time.Time `json:"at"`
}

// EventType implements domain.Event.
func (ClientCreated) EventType() string { return "ClientCreated" }

// EventType implements domain.Event.
func (ClientDetailsChanged) EventType() string { return "ClientDetailsChanged" }

// EventType implements domain.Event.
func (ClientContactAdded) EventType() string { return "ClientContactAdded" }

// EventType implements domain.Event.
func (ClientContactChanged) EventType() string { return "ClientContactChanged" }

// EventType implements domain.Event.
func (ClientContactRemoved) EventType() string { return "ClientContactRemoved" }

// EventType implements domain.Event.
func (ClientPrimaryContactChanged) EventType() string { return "ClientPrimaryContactChanged" }

// EventType implements domain.Event.
func (ClientArchived) EventType() string { return "ClientArchived" }

// EventType implements domain.Event.
func (ClientRestored) EventType() string { return "ClientRestored" }

// EventType implements domain.Event.
func (PaymentMethodAdded) EventType() string { return "PaymentMethodAdded" }

// EventType implements domain.Event.
func (PaymentMethodSetAsDefault) EventType() string { return "PaymentMethodSetAsDefault" }

// EventType implements domain.Event.
func (PaymentMethodReplaced) EventType() string { return "PaymentMethodReplaced" }

// EventType implements domain.Event.
func (PaymentMethodRemoved) EventType() string { return "PaymentMethodRemoved" }

// EventType implements domain.Event.
func (PaymentMethodExpired) EventType() string { return "PaymentMethodExpired" }

// EventType implements domain.Event.
func (PaymentMethodFailed) EventType() string { return "PaymentMethodFailed" }

// EventTypes lists every event type of the Client aggregate.
func EventTypes() []string {
	return []string{
		"ClientCreated",
		"ClientDetailsChanged",
		"ClientContactAdded",
		"ClientContactChanged",
		"ClientContactRemoved",
		"ClientPrimaryContactChanged",
		"ClientArchived",
		"ClientRestored",
		"PaymentMethodAdded",
		"PaymentMethodSetAsDefault",
		"PaymentMethodReplaced",
		"PaymentMethodRemoved",
		"PaymentMethodExpired",
		"PaymentMethodFailed",
	}
}

// DecodeEvent decodes an event of the Client aggregate from its type name and
// JSON data, returning the event as a value.
func DecodeEvent(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case "ClientCreated":
		return decode[ClientCreated](eventType, data)
	case "ClientDetailsChanged":
		return decode[ClientDetailsChanged](eventType, data)
	case "ClientContactAdded":
		return decode[ClientContactAdded](eventType, data)
	case "ClientContactChanged":
		return decode[ClientContactChanged](eventType, data)
	case "ClientContactRemoved":
		return decode[ClientContactRemoved](eventType, data)
	case "ClientPrimaryContactChanged":
		return decode[ClientPrimaryContactChanged](eventType, data)
	case "ClientArchived":
		return decode[ClientArchived](eventType, data)
	case "ClientRestored":
		return decode[ClientRestored](eventType, data)
	case "PaymentMethodAdded":
		return decode[PaymentMethodAdded](eventType, data)
	case "PaymentMethodSetAsDefault":
		return decode[PaymentMethodSetAsDefault](eventType, data)
	case "PaymentMethodReplaced":
		return decode[PaymentMethodReplaced](eventType, data)
	case "PaymentMethodRemoved":
		return decode[PaymentMethodRemoved](eventType, data)
	case "PaymentMethodExpired":
		return decode[PaymentMethodExpired](eventType, data)
	case "PaymentMethodFailed":
		return decode[PaymentMethodFailed](eventType, data)
	}
	return nil, fmt.Errorf("client: unknown event type %q", eventType)
}

func decode[E domain.Event](eventType string, data []byte) (domain.Event, error) {
	var e E
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
