package client

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"remit/domain"
)

// Decide returns the events that carry out c on a client in state s, or the
// reason it is refused (a *domain.Error, or several field problems). It is
// pure: everything it needs is in s and c. A command that would change nothing
// returns no events.
func Decide(s State, c Command) ([]domain.Event, error) {
	switch c := c.(type) {
	case CreateClient:
		return create(s, c)
	case ChangeClientDetails:
		return changeDetails(s, c)
	case AddContact:
		return addContact(s, c)
	case ChangeContact:
		return changeContact(s, c)
	case RemoveContact:
		return removeContact(s, c)
	case SetPrimaryContact:
		return setPrimaryContact(s, c)
	case ArchiveClient:
		return archive(s, c)
	case RestoreClient:
		return restore(s, c)
	case AddPaymentMethod:
		return addPaymentMethod(s, c)
	case SetDefaultPaymentMethod:
		return setDefaultPaymentMethod(s, c)
	case ReplacePaymentMethod:
		return replacePaymentMethod(s, c)
	case RemovePaymentMethod:
		return removePaymentMethod(s, c)
	case MarkPaymentMethodExpired:
		return markExpired(s, c)
	case MarkPaymentMethodFailed:
		return markFailed(s, c)
	case RecordErasure:
		return recordErasure(s, c)
	case RevokeLinks:
		return revokeLinks(s, c)
	case RequestPaymentDetails:
		return requestPaymentDetails(s, c)
	case ChangeTags:
		return changeTags(s, c)
	}
	return nil, domain.Errorf(domain.EINTERNAL, "unknown client command %T", c)
}

func requireClient(s State) error {
	if !s.Created() {
		return domain.NotFound("this client does not exist")
	}
	return nil
}

// requireEditable refuses changes to an archived client: it is read-only
// until restored.
func requireEditable(s State) error {
	if err := requireClient(s); err != nil {
		return err
	}
	if s.Archived {
		return domain.Conflict("this client is archived: restore it before changing it")
	}
	return nil
}

func create(s State, c CreateClient) ([]domain.Event, error) {
	if s.Created() {
		return nil, domain.Conflict("a client with this id already exists")
	}
	var p domain.Problems
	if c.ClientID == uuid.Nil {
		p.Add("client_id", "a new client needs an id")
	}
	d := details{c.Name, c.Kind, c.Address, c.TaxNumber, c.Currency, c.PaymentTermsDays}.normalize()
	d.validate(&p)

	contacts := make([]Contact, len(c.Contacts))
	for i, ct := range c.Contacts {
		contacts[i] = normalizeContact(ct)
	}
	primary := c.PrimaryContactID
	if primary == uuid.Nil && len(contacts) == 1 {
		primary = contacts[0].ID
	}
	switch {
	case len(contacts) == 0:
		p.Add("contacts", "add at least one contact")
	case primary == uuid.Nil:
		p.Add("primary_contact_id", "choose the primary billing contact")
	case !slices.ContainsFunc(contacts, func(ct Contact) bool { return ct.ID == primary }):
		p.Add("primary_contact_id", "the primary billing contact must be one of the client's contacts")
	}
	seen := map[uuid.UUID]bool{}
	for i, ct := range contacts {
		prefix := fmt.Sprintf("contacts[%d]", i)
		validateContact(&p, prefix, ct, ct.ID == primary)
		if ct.ID != uuid.Nil && seen[ct.ID] {
			p.Add(prefix+".id", "two contacts have the same id")
		}
		seen[ct.ID] = true
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{ClientCreated{
		ClientID:         c.ClientID,
		Name:             d.Name,
		Kind:             d.Kind,
		Contacts:         contacts,
		PrimaryContactID: primary,
		Address:          d.Address,
		TaxNumber:        d.TaxNumber,
		Currency:         d.Currency,
		PaymentTermsDays: d.PaymentTermsDays,
		At:               c.Now,
	}}, nil
}

func changeDetails(s State, c ChangeClientDetails) ([]domain.Event, error) {
	if err := requireEditable(s); err != nil {
		return nil, err
	}
	d := details{c.Name, c.Kind, c.Address, c.TaxNumber, c.Currency, c.PaymentTermsDays}.normalize()
	var p domain.Problems
	d.validate(&p)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if d.equal(s) {
		return nil, nil
	}
	return []domain.Event{ClientDetailsChanged{
		ClientID:         s.ID,
		Name:             d.Name,
		Kind:             d.Kind,
		Address:          d.Address,
		TaxNumber:        d.TaxNumber,
		Currency:         d.Currency,
		PaymentTermsDays: d.PaymentTermsDays,
		At:               c.Now,
	}}, nil
}

func addContact(s State, c AddContact) ([]domain.Event, error) {
	if err := requireEditable(s); err != nil {
		return nil, err
	}
	ct := normalizeContact(c.Contact)
	var p domain.Problems
	validateContact(&p, "contact", ct, false)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if old, ok := s.Contact(ct.ID); ok {
		if old == ct {
			return nil, nil // a retry of the same command
		}
		return nil, domain.Conflict("a contact with this id already exists")
	}
	return []domain.Event{ClientContactAdded{ClientID: s.ID, Contact: ct, At: c.Now}}, nil
}

func changeContact(s State, c ChangeContact) ([]domain.Event, error) {
	if err := requireEditable(s); err != nil {
		return nil, err
	}
	ct := normalizeContact(c.Contact)
	old, ok := s.Contact(ct.ID)
	if !ok {
		return nil, domain.NotFound("this contact is not one of the client's contacts")
	}
	var p domain.Problems
	validateContact(&p, "contact", ct, ct.ID == s.PrimaryContactID)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if old == ct {
		return nil, nil
	}
	return []domain.Event{ClientContactChanged{ClientID: s.ID, Contact: ct, At: c.Now}}, nil
}

// removeContact removes a contact; removing the primary billing contact first
// makes NewPrimaryContactID the primary (NewPrimaryContactID is ignored
// otherwise).
func removeContact(s State, c RemoveContact) ([]domain.Event, error) {
	if err := requireEditable(s); err != nil {
		return nil, err
	}
	if _, ok := s.Contact(c.ContactID); !ok {
		return nil, domain.NotFound("this contact is not one of the client's contacts")
	}
	if len(s.Contacts) == 1 {
		return nil, domain.Conflict("a client needs at least one contact: add another before removing this one")
	}
	var events []domain.Event
	if c.ContactID == s.PrimaryContactID {
		next, ok := s.Contact(c.NewPrimaryContactID)
		switch {
		case c.NewPrimaryContactID == uuid.Nil:
			return nil, domain.Invalid("new_primary_contact_id", "this is the primary billing contact: choose another contact to take over before removing it")
		case !ok || next.ID == c.ContactID:
			return nil, domain.Invalid("new_primary_contact_id", "the new primary billing contact must be another of the client's contacts")
		case next.Email == "":
			return nil, domain.Invalid("new_primary_contact_id", "%s has no email address, so cannot receive invoices as the primary billing contact", next.Name)
		}
		events = append(events, ClientPrimaryContactChanged{
			ClientID: s.ID, ContactID: next.ID, PreviousContactID: s.PrimaryContactID, At: c.Now,
		})
	}
	return append(events, ClientContactRemoved{ClientID: s.ID, ContactID: c.ContactID, At: c.Now}), nil
}

func setPrimaryContact(s State, c SetPrimaryContact) ([]domain.Event, error) {
	if err := requireEditable(s); err != nil {
		return nil, err
	}
	ct, ok := s.Contact(c.ContactID)
	switch {
	case !ok:
		return nil, domain.NotFound("this contact is not one of the client's contacts")
	case ct.ID == s.PrimaryContactID:
		return nil, nil
	case ct.Email == "":
		return nil, domain.Invalid("contact_id", "%s has no email address, so cannot receive invoices as the primary billing contact", ct.Name)
	}
	return []domain.Event{ClientPrimaryContactChanged{
		ClientID: s.ID, ContactID: ct.ID, PreviousContactID: s.PrimaryContactID, At: c.Now,
	}}, nil
}

func archive(s State, c ArchiveClient) ([]domain.Event, error) {
	if err := requireClient(s); err != nil {
		return nil, err
	}
	if s.Archived {
		return nil, nil
	}
	reason := strings.TrimSpace(c.Reason)
	if len(reason) > maxReason {
		return nil, domain.Invalid("reason", "the reason is too long (at most %d characters)", maxReason)
	}
	if n := len(c.ActiveServices); n > 0 {
		return nil, domain.Conflict("this client has %d active %s: end %s before archiving the client",
			n, plural(n, "service", "services"), plural(n, "it", "them"))
	}
	return []domain.Event{ClientArchived{ClientID: s.ID, Reason: reason, At: c.Now}}, nil
}

func restore(s State, c RestoreClient) ([]domain.Event, error) {
	if err := requireClient(s); err != nil {
		return nil, err
	}
	if !s.Archived {
		return nil, nil
	}
	return []domain.Event{ClientRestored{ClientID: s.ID, At: c.Now}}, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
