package client

import (
	"slices"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// State is a client as of its last event. The zero State is a client not yet
// created.
type State struct {
	ID               uuid.UUID
	Name             string
	Kind             Kind
	Contacts         []Contact // in the order they were added
	PrimaryContactID uuid.UUID
	Address          domain.Address
	TaxNumber        string
	Currency         domain.Currency
	PaymentTermsDays *int // nil: the firm's default applies
	Archived         bool
	CreatedAt        time.Time

	PaymentMethods         []PaymentMethod // in the order they were added
	DefaultPaymentMethodID uuid.UUID       // uuid.Nil when there is none

	// Erased is set once the client's personal data was erased.
	Erased bool
	// LinkGeneration is the generation of client links honoured now (0
	// until links are first revoked).
	LinkGeneration int

	// PaymentDetailsRequests are the requests for payment details sent to
	// the client, oldest first; a method added or replaced answers every
	// one still open.
	PaymentDetailsRequests []PaymentDetailsRequest

	// Tags are the firm's labels for the client, sorted (ClientTagsChanged).
	Tags []string
}

// PaymentMethod is a payment method on file and its status.
type PaymentMethod struct {
	ID uuid.UUID
	PaymentMethodDetails
	Status        MethodStatus
	FailureReason string    // set when Status is MethodFailed
	Replaces      uuid.UUID // the method this one replaced, if any
	AddedAt       time.Time
}

// Created reports whether the client exists.
func (s State) Created() bool { return s.ID != uuid.Nil }

// Facts returns what commands on the client's services, invoices and
// proposals are checked against: its currency and its payment methods.
func (s State) Facts() domain.ClientFacts {
	f := domain.ClientFacts{Currency: s.Currency}
	for _, m := range s.PaymentMethods {
		f.PaymentMethods = append(f.PaymentMethods, m.ID)
	}
	return f
}

// Contact returns the contact with the given id.
func (s State) Contact(id uuid.UUID) (Contact, bool) {
	i := s.contactIndex(id)
	if i < 0 {
		return Contact{}, false
	}
	return s.Contacts[i], true
}

// PrimaryContact returns the primary billing contact.
func (s State) PrimaryContact() (Contact, bool) { return s.Contact(s.PrimaryContactID) }

// PaymentMethod returns the payment method with the given id.
func (s State) PaymentMethod(id uuid.UUID) (PaymentMethod, bool) {
	i := s.methodIndex(id)
	if i < 0 {
		return PaymentMethod{}, false
	}
	return s.PaymentMethods[i], true
}

// DefaultPaymentMethod returns the default payment method, if there is one.
func (s State) DefaultPaymentMethod() (PaymentMethod, bool) {
	return s.PaymentMethod(s.DefaultPaymentMethodID)
}

// ExpiresOn returns the last day a card can be charged (the last day of its
// expiry month), or the zero Date for a method that does not expire.
func (m PaymentMethod) ExpiresOn() domain.Date {
	if m.Kind != MethodCard {
		return domain.Date{}
	}
	d, err := domain.NewDate(m.ExpiryYear, time.Month(m.ExpiryMonth), 1)
	if err != nil {
		return domain.Date{}
	}
	return d.AddMonthsClamped(0, 31)
}

// ExpiringMethods returns the active cards whose expiry falls between today
// and today plus withinDays (both included), for the "about to expire" email.
// A card expires at the end of its expiry month.
func (s State) ExpiringMethods(today domain.Date, withinDays int) []PaymentMethod {
	last := today.AddDays(withinDays)
	var out []PaymentMethod
	for _, m := range s.PaymentMethods {
		exp := m.ExpiresOn()
		if m.Status != MethodActive || exp.IsZero() || exp.Before(today) || exp.After(last) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// LapsedMethods returns the active cards whose expiry is before today: the
// ones a daily job should mark expired.
func (s State) LapsedMethods(today domain.Date) []PaymentMethod {
	var out []PaymentMethod
	for _, m := range s.PaymentMethods {
		exp := m.ExpiresOn()
		if m.Status == MethodActive && !exp.IsZero() && exp.Before(today) {
			out = append(out, m)
		}
	}
	return out
}

func (s State) contactIndex(id uuid.UUID) int {
	return slices.IndexFunc(s.Contacts, func(c Contact) bool { return c.ID == id })
}

func (s State) methodIndex(id uuid.UUID) int {
	return slices.IndexFunc(s.PaymentMethods, func(m PaymentMethod) bool { return m.ID == id })
}

// Fold evolves the zero State through events.
func Fold(events []domain.Event) State {
	var s State
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}

// Evolve returns the state after e. It never fails and never validates;
// events of other aggregates are ignored. Slices are copied before a change so
// that earlier states stay as they were.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case ClientCreated:
		s = State{
			ID:               e.ClientID,
			Name:             e.Name,
			Kind:             e.Kind,
			Contacts:         slices.Clone(e.Contacts),
			PrimaryContactID: e.PrimaryContactID,
			Address:          e.Address,
			TaxNumber:        e.TaxNumber,
			Currency:         e.Currency,
			PaymentTermsDays: e.PaymentTermsDays,
			CreatedAt:        e.At,
		}
	case ClientDetailsChanged:
		s.Name = e.Name
		s.Kind = e.Kind
		s.Address = e.Address
		s.TaxNumber = e.TaxNumber
		s.Currency = e.Currency
		s.PaymentTermsDays = e.PaymentTermsDays
	case ClientContactAdded:
		s.Contacts = append(slices.Clone(s.Contacts), e.Contact)
	case ClientContactChanged:
		if i := s.contactIndex(e.Contact.ID); i >= 0 {
			s.Contacts = slices.Clone(s.Contacts)
			s.Contacts[i] = e.Contact
		}
	case ClientContactRemoved:
		if i := s.contactIndex(e.ContactID); i >= 0 {
			s.Contacts = slices.Delete(slices.Clone(s.Contacts), i, i+1)
		}
		if s.PrimaryContactID == e.ContactID {
			s.PrimaryContactID = uuid.Nil
		}
	case ClientPrimaryContactChanged:
		s.PrimaryContactID = e.ContactID
	case ClientArchived:
		s.Archived = true
	case ClientRestored:
		s.Archived = false
	case ClientTagsChanged:
		s.Tags = e.Tags
	case ClientErased:
		s.Erased = true
	case ClientLinksRevoked:
		s.LinkGeneration = e.Generation
	case ClientPaymentDetailsRequested:
		s.PaymentDetailsRequests = append(slices.Clone(s.PaymentDetailsRequests), PaymentDetailsRequest{
			ID: e.RequestID, ContactID: e.ContactID, Name: e.Name, Email: e.Email, Note: e.Note, At: e.At,
		})
	case PaymentMethodAdded:
		s.PaymentMethods = append(slices.Clone(s.PaymentMethods), PaymentMethod{
			ID:                   e.PaymentMethodID,
			PaymentMethodDetails: e.Method,
			Status:               MethodActive,
			AddedAt:              e.At,
		})
		s = s.answerRequests(e.PaymentMethodID, e.At)
	case PaymentMethodSetAsDefault:
		s.DefaultPaymentMethodID = e.PaymentMethodID
	case PaymentMethodReplaced:
		m := PaymentMethod{
			ID:                   e.PaymentMethodID,
			PaymentMethodDetails: e.Method,
			Status:               MethodActive,
			Replaces:             e.ReplacedPaymentMethodID,
			AddedAt:              e.At,
		}
		s.PaymentMethods = slices.Clone(s.PaymentMethods)
		if i := s.methodIndex(e.ReplacedPaymentMethodID); i >= 0 {
			s.PaymentMethods[i] = m
		} else {
			s.PaymentMethods = append(s.PaymentMethods, m)
		}
		if s.DefaultPaymentMethodID == e.ReplacedPaymentMethodID {
			s.DefaultPaymentMethodID = e.PaymentMethodID
		}
		s = s.answerRequests(e.PaymentMethodID, e.At)
	case PaymentMethodRemoved:
		if i := s.methodIndex(e.PaymentMethodID); i >= 0 {
			s.PaymentMethods = slices.Delete(slices.Clone(s.PaymentMethods), i, i+1)
		}
		if s.DefaultPaymentMethodID == e.PaymentMethodID {
			s.DefaultPaymentMethodID = uuid.Nil
		}
	case PaymentMethodExpired:
		s = s.withMethod(e.PaymentMethodID, func(m *PaymentMethod) {
			m.Status = MethodExpired
			m.FailureReason = ""
		})
	case PaymentMethodFailed:
		s = s.withMethod(e.PaymentMethodID, func(m *PaymentMethod) {
			m.Status = MethodFailed
			m.FailureReason = e.Reason
		})
	}
	return s
}

func (s State) withMethod(id uuid.UUID, change func(*PaymentMethod)) State {
	i := s.methodIndex(id)
	if i < 0 {
		return s
	}
	s.PaymentMethods = slices.Clone(s.PaymentMethods)
	change(&s.PaymentMethods[i])
	return s
}
