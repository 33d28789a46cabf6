package web

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/projections"
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
	projections.ContactView
	ClientID uuid.UUID
	Revision uint64
}

func (s *Server) readContact(ctx context.Context, clientID, id uuid.UUID) (ContactResource, error) {
	c, err := s.readClient(ctx, clientID)
	if err != nil {
		return ContactResource{}, err
	}
	for _, ct := range c.Contacts {
		if ct.ID == id {
			return ContactResource{ContactView: ct, ClientID: clientID, Revision: c.Revision}, nil
		}
	}
	return ContactResource{}, domain.NotFound("Client %s has no contact %s.", clientID, id)
}

// contactCommand is a command on a client's stream that answers a contact.
func (s *Server) contactCommand(clientID, id uuid.UUID, created bool, run func(ctx context.Context, meta billing.Meta) (billing.Result, error)) command {
	base := "/api/clients/" + clientID.String() + "/contacts/"
	contactID := func(res billing.Result) uuid.UUID {
		if created {
			return res.ID
		}
		return id
	}
	return command{stream: client.StreamName(clientID), created: created, run: run, fieldPrefix: "contact.",
		location: func(res billing.Result) string { return base + contactID(res).String() },
		read: func(ctx context.Context, res billing.Result) (any, string, error) {
			c, err := s.readContact(ctx, clientID, contactID(res))
			return c, etag(c.Revision), err
		}}
}

// contactPath reads the client and contact ids of the path.
func contactPath(r *http.Request) (clientID, contactID uuid.UUID, err error) {
	if clientID, err = pathID(r, "id", "client"); err != nil {
		return
	}
	contactID, err = pathID(r, "contact_id", "contact")
	return
}

func (s *Server) handleContactList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "client")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p, err := paging(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := s.readClient(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeList(s, w, r, pageOf(c.Contacts, p))
}

func (s *Server) handleContactAdd(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "client")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, []string{"name"}, func(b client.Contact) (command, error) {
		return s.contactCommand(id, uuid.Nil, true, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.AddContact(ctx, billing.ContactRequest{ClientID: id, Contact: b}, meta)
		}), nil
	})
}

func (s *Server) handleContactView(w http.ResponseWriter, r *http.Request) {
	clientID, id, err := contactPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := s.readContact(r.Context(), clientID, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeResource(w, r, c, c.Revision)
}

func (s *Server) handleContactEdit(w http.ResponseWriter, r *http.Request) {
	clientID, id, err := contactPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, []string{"name"}, func(b ContactDetails) (command, error) {
		return s.contactCommand(clientID, id, false, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.EditContact(ctx, billing.ContactRequest{ClientID: clientID, Contact: client.Contact{
				ID: id, Name: b.Name, Email: b.Email, Phone: b.Phone, Role: b.Role,
			}}, meta)
		}), nil
	})
}

func (s *Server) handleContactRemove(w http.ResponseWriter, r *http.Request) {
	clientID, id, err := contactPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var next uuid.UUID
	if v := r.URL.Query().Get("new_primary_contact_id"); v != "" {
		if next, err = uuid.Parse(v); err != nil {
			s.Error(w, r, malformed(domain.Invalid("new_primary_contact_id", "must be an id (a UUID)")))
			return
		}
	}
	readCommand(s, w, r, nil, func(none) (command, error) {
		return s.clientCommand(clientID, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.RemoveContact(ctx, billing.ContactRef{ClientID: clientID, ContactID: id, NewPrimaryContactID: next}, meta)
		}), nil
	})
}

func (s *Server) handleContactMakePrimary(w http.ResponseWriter, r *http.Request) {
	clientID, id, err := contactPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, nil, func(none) (command, error) {
		return s.contactCommand(clientID, id, false, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.SetPrimaryContact(ctx, billing.ContactRef{ClientID: clientID, ContactID: id}, meta)
		}), nil
	})
}
