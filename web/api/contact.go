package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/billing"
	"remit/domain/client"
)

func (s *Server) registerContactRoutes(r *mux.Router) {
	r.HandleFunc("/api/clients/{id}/contacts", s.handleContactList).Methods(http.MethodGet)
	r.HandleFunc("/api/clients/{id}/contacts", s.handleContactAdd).Methods(http.MethodPost)
	r.HandleFunc("/api/clients/{id}/contacts/{contact_id}", s.handleContactView).Methods(http.MethodGet)
	r.HandleFunc("/api/clients/{id}/contacts/{contact_id}", s.handleContactEdit).Methods(http.MethodPut)
	r.HandleFunc("/api/clients/{id}/contacts/{contact_id}", s.handleContactRemove).Methods(http.MethodDelete)
	r.HandleFunc("/api/clients/{id}/contacts/{contact_id}/make-primary", s.handleContactMakePrimary).Methods(http.MethodPost)
}

// ContactDetails are a contact's details.
type ContactDetails struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	Role  string `json:"role,omitempty"`
}

// ContactResource is a contact with its client's stream revision.
type ContactResource struct {
	ContactView
	ClientID ID     `json:"client_id"`
	Revision uint64 `json:"revision"`
}

// contacts are a client's contacts.
func (s *Server) contacts() child[ClientSummary, ContactView, ContactResource] {
	return child[ClientSummary, ContactView, ContactResource]{
		parent: s.clients(), what: "contact", segment: "contacts", idVar: "contact_id", fieldPrefix: "contact.",
		items: func(c ClientSummary) []ContactView { return c.Contacts },
		idOf:  func(v ContactView) uuid.UUID { return uuid.UUID(v.ID) },
		resource: func(v ContactView, clientID uuid.UUID, rev uint64) ContactResource {
			return ContactResource{ContactView: v, ClientID: ID(clientID), Revision: rev}
		}}
}

func (s *Server) handleContactList(w http.ResponseWriter, r *http.Request) {
	s.contacts().list(s, w, r)
}

func (s *Server) handleContactAdd(w http.ResponseWriter, r *http.Request) {
	addChild(s, w, r, s.contacts(), []string{"name"}, func(ctx context.Context, clientID uuid.UUID, b client.Contact, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.AddContact(ctx, billing.ContactRequest{ClientID: clientID, Contact: b}, meta)
	})
}

func (s *Server) handleContactView(w http.ResponseWriter, r *http.Request) {
	s.contacts().view(s, w, r)
}

func (s *Server) handleContactEdit(w http.ResponseWriter, r *http.Request) {
	actOnChild(s, w, r, s.contacts(), false, []string{"name"}, func(ctx context.Context, clientID, id uuid.UUID, b ContactDetails, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.EditContact(ctx, billing.ContactRequest{ClientID: clientID, Contact: client.Contact{
			ID: id, Name: b.Name, Email: b.Email, Phone: b.Phone, Role: b.Role,
		}}, meta)
	})
}

func (s *Server) handleContactRemove(w http.ResponseWriter, r *http.Request) {
	removeChild(s, w, r, s.contacts(), "new_primary_contact_id", func(ctx context.Context, clientID, id, next uuid.UUID, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.RemoveContact(ctx, billing.ContactRef{ClientID: clientID, ContactID: id, NewPrimaryContactID: next}, meta)
	})
}

func (s *Server) handleContactMakePrimary(w http.ResponseWriter, r *http.Request) {
	actOnChild(s, w, r, s.contacts(), false, nil, func(ctx context.Context, clientID, id uuid.UUID, _ none, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.SetPrimaryContact(ctx, billing.ContactRef{ClientID: clientID, ContactID: id}, meta)
	})
}
