package client

import (
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// Command is a request to change a client. It is sealed: only this package's
// command types implement it.
type Command interface{ isClientCommand() }

// CreateClient creates a client with at least one contact. PrimaryContactID
// names the primary billing contact among Contacts; it may be left uuid.Nil
// when there is exactly one contact.
type CreateClient struct {
	ClientID         uuid.UUID
	Name             string
	Kind             Kind
	Contacts         []Contact
	PrimaryContactID uuid.UUID
	Address          domain.Address
	TaxNumber        string
	Currency         domain.Currency
	PaymentTermsDays *int // nil: the firm's default applies
	Now              time.Time
}

// ChangeClientDetails replaces the client's details (not its contacts).
type ChangeClientDetails struct {
	ClientID         uuid.UUID
	Name             string
	Kind             Kind
	Address          domain.Address
	TaxNumber        string
	Currency         domain.Currency
	PaymentTermsDays *int
	Now              time.Time
}

// AddContact adds a contact; Contact.ID is the new contact's id.
type AddContact struct {
	ClientID uuid.UUID
	Contact  Contact
	Now      time.Time
}

// ChangeContact replaces the details of the contact with Contact.ID.
type ChangeContact struct {
	ClientID uuid.UUID
	Contact  Contact
	Now      time.Time
}

// RemoveContact removes a contact. Removing the primary billing contact needs
// NewPrimaryContactID, another contact who becomes the primary.
type RemoveContact struct {
	ClientID            uuid.UUID
	ContactID           uuid.UUID
	NewPrimaryContactID uuid.UUID
	Now                 time.Time
}

// SetPrimaryContact makes a contact the primary billing contact.
type SetPrimaryContact struct {
	ClientID  uuid.UUID
	ContactID uuid.UUID
	Now       time.Time
}

// ArchiveClient archives the client. ActiveServices are the client's services
// that have not ended, gathered by the caller from the service streams; a
// client with active services cannot be archived.
type ArchiveClient struct {
	ClientID       uuid.UUID
	Reason         string
	ActiveServices []uuid.UUID
	Now            time.Time
}

// RestoreClient restores an archived client.
type RestoreClient struct {
	ClientID uuid.UUID
	Now      time.Time
}

// AddPaymentMethod puts a card or a bank debit account on file. The first
// method (or the first after all were removed) becomes the default.
type AddPaymentMethod struct {
	ClientID        uuid.UUID
	PaymentMethodID uuid.UUID
	Method          PaymentMethodDetails
	Now             time.Time
}

// SetDefaultPaymentMethod makes an active method the client's default.
type SetDefaultPaymentMethod struct {
	ClientID        uuid.UUID
	PaymentMethodID uuid.UUID
	Now             time.Time
}

// ReplacePaymentMethod replaces a stored method (PaymentMethodID) with a new
// one (NewPaymentMethodID), which takes its place as default and for the
// services that used it.
type ReplacePaymentMethod struct {
	ClientID           uuid.UUID
	PaymentMethodID    uuid.UUID
	NewPaymentMethodID uuid.UUID
	Method             PaymentMethodDetails
	Now                time.Time
}

// RemovePaymentMethod takes a method off file. DependentAutomaticServices are
// the automatic services paid with it, gathered by the caller from the service
// streams. When the method is the default, NewDefaultPaymentMethodID may name
// the method to become the default; otherwise the first active one does.
type RemovePaymentMethod struct {
	ClientID                   uuid.UUID
	PaymentMethodID            uuid.UUID
	DependentAutomaticServices []uuid.UUID
	NewDefaultPaymentMethodID  uuid.UUID
	Now                        time.Time
}

// MarkPaymentMethodExpired records that a method expired.
type MarkPaymentMethodExpired struct {
	ClientID        uuid.UUID
	PaymentMethodID uuid.UUID
	Now             time.Time
}

// MarkPaymentMethodFailed records that a method can no longer be charged.
type MarkPaymentMethodFailed struct {
	ClientID        uuid.UUID
	PaymentMethodID uuid.UUID
	Reason          string
	Now             time.Time
}

func (CreateClient) isClientCommand()             {}
func (ChangeClientDetails) isClientCommand()      {}
func (AddContact) isClientCommand()               {}
func (ChangeContact) isClientCommand()            {}
func (RemoveContact) isClientCommand()            {}
func (SetPrimaryContact) isClientCommand()        {}
func (ArchiveClient) isClientCommand()            {}
func (RestoreClient) isClientCommand()            {}
func (AddPaymentMethod) isClientCommand()         {}
func (SetDefaultPaymentMethod) isClientCommand()  {}
func (ReplacePaymentMethod) isClientCommand()     {}
func (RemovePaymentMethod) isClientCommand()      {}
func (MarkPaymentMethodExpired) isClientCommand() {}
func (MarkPaymentMethodFailed) isClientCommand()  {}
