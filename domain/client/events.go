package client

import (
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
		"ClientErased",
		"ClientLinksRevoked",
		"ClientPaymentDetailsRequested",
		"ClientTagsChanged",
	}
}

// DecodeEvent decodes an event of the Client aggregate from its type name and
// JSON data, returning the event as a value.
func DecodeEvent(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case "ClientCreated":
		return domain.DecodeAs[ClientCreated](eventType, data)
	case "ClientDetailsChanged":
		return domain.DecodeAs[ClientDetailsChanged](eventType, data)
	case "ClientContactAdded":
		return domain.DecodeAs[ClientContactAdded](eventType, data)
	case "ClientContactChanged":
		return domain.DecodeAs[ClientContactChanged](eventType, data)
	case "ClientContactRemoved":
		return domain.DecodeAs[ClientContactRemoved](eventType, data)
	case "ClientPrimaryContactChanged":
		return domain.DecodeAs[ClientPrimaryContactChanged](eventType, data)
	case "ClientArchived":
		return domain.DecodeAs[ClientArchived](eventType, data)
	case "ClientRestored":
		return domain.DecodeAs[ClientRestored](eventType, data)
	case "PaymentMethodAdded":
		return domain.DecodeAs[PaymentMethodAdded](eventType, data)
	case "PaymentMethodSetAsDefault":
		return domain.DecodeAs[PaymentMethodSetAsDefault](eventType, data)
	case "PaymentMethodReplaced":
		return domain.DecodeAs[PaymentMethodReplaced](eventType, data)
	case "PaymentMethodRemoved":
		return domain.DecodeAs[PaymentMethodRemoved](eventType, data)
	case "PaymentMethodExpired":
		return domain.DecodeAs[PaymentMethodExpired](eventType, data)
	case "PaymentMethodFailed":
		return domain.DecodeAs[PaymentMethodFailed](eventType, data)
	case "ClientErased":
		return domain.DecodeAs[ClientErased](eventType, data)
	case "ClientLinksRevoked":
		return domain.DecodeAs[ClientLinksRevoked](eventType, data)
	case "ClientPaymentDetailsRequested":
		return domain.DecodeAs[ClientPaymentDetailsRequested](eventType, data)
	case "ClientTagsChanged":
		return domain.DecodeAs[ClientTagsChanged](eventType, data)
	}
	return nil, fmt.Errorf("client: unknown event type %q", eventType)
}
