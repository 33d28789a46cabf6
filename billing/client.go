package billing

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/service"
	"remit/eventstore"
	"remit/projections/follow"
)

// ClientRequest creates a client (ClientID optional) or changes its details
// (ClientID required; Contacts and PrimaryContactID ignored). A contact
// without an id gets one derived from the command id. PrimaryContactID may
// be left empty when there is one contact.
type ClientRequest struct {
	ClientID         uuid.UUID        `json:"client_id,omitzero"`
	Name             string           `json:"name"`
	Kind             client.Kind      `json:"kind"`
	Contacts         []client.Contact `json:"contacts,omitempty"`
	PrimaryContactID uuid.UUID        `json:"primary_contact_id,omitzero"`
	Address          domain.Address   `json:"address"`
	TaxNumber        string           `json:"tax_number,omitempty"`
	Currency         string           `json:"currency,omitempty"` // ISO 4217; empty: the firm's base currency
	PaymentTermsDays *int             `json:"payment_terms_days,omitempty"`
}

// ClientRef names a client, with an optional reason (archiving).
type ClientRef struct {
	ClientID uuid.UUID `json:"client_id"`
	Reason   string    `json:"reason,omitempty"`
}

// ContactRequest adds a contact (Contact.ID optional) or changes one
// (Contact.ID required).
type ContactRequest struct {
	ClientID uuid.UUID      `json:"client_id"`
	Contact  client.Contact `json:"contact"`
}

// ContactRef names a contact. NewPrimaryContactID is needed to remove the
// primary billing contact.
type ContactRef struct {
	ClientID            uuid.UUID `json:"client_id"`
	ContactID           uuid.UUID `json:"contact_id"`
	NewPrimaryContactID uuid.UUID `json:"new_primary_contact_id,omitzero"`
}

// PaymentMethodRequest adds a payment method (PaymentMethodID optional) or
// replaces one (PaymentMethodID required, NewPaymentMethodID optional).
type PaymentMethodRequest struct {
	ClientID           uuid.UUID                   `json:"client_id"`
	PaymentMethodID    uuid.UUID                   `json:"payment_method_id,omitzero"`
	NewPaymentMethodID uuid.UUID                   `json:"new_payment_method_id,omitzero"`
	Method             client.PaymentMethodDetails `json:"method"`
}

// PaymentMethodRef names a payment method. NewDefaultPaymentMethodID may name
// the next default when the default is removed; Reason is why it failed.
type PaymentMethodRef struct {
	ClientID                  uuid.UUID `json:"client_id"`
	PaymentMethodID           uuid.UUID `json:"payment_method_id"`
	NewDefaultPaymentMethodID uuid.UUID `json:"new_default_payment_method_id,omitzero"`
	Reason                    string    `json:"reason,omitempty"`
}

func (s *Service) client(ctx context.Context, c client.Command, id uuid.UUID, meta Meta, created uuid.UUID) (Result, error) {
	return run(ctx, s, clientDecider, client.StreamName(id), c, meta, created)
}

// CreateClient creates a client; Result.ID is its id.
func (s *Service) CreateClient(ctx context.Context, r ClientRequest, meta Meta) (Result, error) {
	if r.ClientID == uuid.Nil && meta.CommandID == "" && s.newClientID != nil {
		// Nothing names the client yet (no id, no command id a retry
		// would repeat): any fresh id will do, and one with its key made
		// ahead saves the key commit.
		if id, ok := s.newClientID(); ok {
			r.ClientID = id
		}
	}
	meta = s.begin(meta)
	f, err := s.firm(ctx)
	if err != nil {
		return Result{}, err
	}
	var p domain.Problems
	cur := parseCurrency(&p, "currency", r.Currency, f.BaseCurrency)
	if err := p.Err(); err != nil {
		return Result{}, err
	}
	id := pick(r.ClientID, meta, "client")
	contacts := slices.Clone(r.Contacts)
	for i := range contacts {
		contacts[i].ID = pick(contacts[i].ID, meta, fmt.Sprintf("contact/%d", i))
	}
	return s.client(ctx, client.CreateClient{
		ClientID: id, Name: r.Name, Kind: r.Kind, Contacts: contacts, PrimaryContactID: r.PrimaryContactID,
		Address: r.Address, TaxNumber: r.TaxNumber, Currency: cur, PaymentTermsDays: r.PaymentTermsDays, Now: s.now(),
	}, id, meta, id)
}

// EditClient replaces a client's details (not its contacts).
func (s *Service) EditClient(ctx context.Context, r ClientRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	var p domain.Problems
	if r.ClientID == uuid.Nil {
		p.Add("client_id", "choose the client to change")
	}
	var cur domain.Currency
	if r.Currency != "" {
		cur = parseCurrency(&p, "currency", r.Currency, domain.Currency{})
	} else if st, _, _, err := fold(ctx, s.env, clientDecider, client.StreamName(r.ClientID)); err != nil {
		return Result{}, err
	} else {
		cur = st.Currency
	}
	if err := p.Err(); err != nil {
		return Result{}, err
	}
	return s.client(ctx, client.ChangeClientDetails{
		ClientID: r.ClientID, Name: r.Name, Kind: r.Kind, Address: r.Address, TaxNumber: r.TaxNumber,
		Currency: cur, PaymentTermsDays: r.PaymentTermsDays, Now: s.now(),
	}, r.ClientID, meta, uuid.Nil)
}

// ArchiveClient archives a client; refused while it has active services.
func (s *Service) ArchiveClient(ctx context.Context, r ClientRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	services, err := s.clientServices(ctx, r.ClientID)
	if err != nil {
		return Result{}, err
	}
	var active []uuid.UUID
	for _, sv := range services {
		if !sv.Ended {
			active = append(active, sv.ID)
		}
	}
	return s.client(ctx, client.ArchiveClient{ClientID: r.ClientID, Reason: r.Reason, ActiveServices: active, Now: s.now()}, r.ClientID, meta, uuid.Nil)
}

// RestoreClient restores an archived client.
func (s *Service) RestoreClient(ctx context.Context, r ClientRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.client(ctx, client.RestoreClient{ClientID: r.ClientID, Now: s.now()}, r.ClientID, meta, uuid.Nil)
}

// AddContact adds a contact; Result.ID is its id.
func (s *Service) AddContact(ctx context.Context, r ContactRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	c := r.Contact
	c.ID = pick(c.ID, meta, "contact")
	return s.client(ctx, client.AddContact{ClientID: r.ClientID, Contact: c, Now: s.now()}, r.ClientID, meta, c.ID)
}

// EditContact replaces a contact's details.
func (s *Service) EditContact(ctx context.Context, r ContactRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.client(ctx, client.ChangeContact{ClientID: r.ClientID, Contact: r.Contact, Now: s.now()}, r.ClientID, meta, uuid.Nil)
}

// RemoveContact removes a contact.
func (s *Service) RemoveContact(ctx context.Context, r ContactRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.client(ctx, client.RemoveContact{ClientID: r.ClientID, ContactID: r.ContactID, NewPrimaryContactID: r.NewPrimaryContactID, Now: s.now()}, r.ClientID, meta, uuid.Nil)
}

// SetPrimaryContact makes a contact the primary billing contact.
func (s *Service) SetPrimaryContact(ctx context.Context, r ContactRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.client(ctx, client.SetPrimaryContact{ClientID: r.ClientID, ContactID: r.ContactID, Now: s.now()}, r.ClientID, meta, uuid.Nil)
}

// AddPaymentMethod puts a card or bank account on file; Result.ID is its id.
func (s *Service) AddPaymentMethod(ctx context.Context, r PaymentMethodRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	id := pick(r.PaymentMethodID, meta, "payment-method")
	return s.client(ctx, client.AddPaymentMethod{ClientID: r.ClientID, PaymentMethodID: id, Method: r.Method, Now: s.now()}, r.ClientID, meta, id)
}

// SetDefaultPaymentMethod makes a method the client's default.
func (s *Service) SetDefaultPaymentMethod(ctx context.Context, r PaymentMethodRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.client(ctx, client.SetDefaultPaymentMethod{ClientID: r.ClientID, PaymentMethodID: r.PaymentMethodID, Now: s.now()}, r.ClientID, meta, uuid.Nil)
}

// ReplacePaymentMethod replaces a stored method with a new one; Result.ID is
// the new method's id.
func (s *Service) ReplacePaymentMethod(ctx context.Context, r PaymentMethodRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	id := pick(r.NewPaymentMethodID, meta, "payment-method")
	return s.client(ctx, client.ReplacePaymentMethod{ClientID: r.ClientID, PaymentMethodID: r.PaymentMethodID, NewPaymentMethodID: id, Method: r.Method, Now: s.now()}, r.ClientID, meta, id)
}

// RemovePaymentMethod takes a method off file. The automatic services that
// pay with it are gathered from the client's service streams.
func (s *Service) RemovePaymentMethod(ctx context.Context, r PaymentMethodRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	services, err := s.clientServices(ctx, r.ClientID)
	if err != nil {
		return Result{}, err
	}
	var dependent []uuid.UUID
	for _, sv := range services {
		if !sv.Ended && sv.Terms.Mode == service.Automatic && sv.Terms.PaymentMethodID == r.PaymentMethodID {
			dependent = append(dependent, sv.ID)
		}
	}
	return s.client(ctx, client.RemovePaymentMethod{
		ClientID: r.ClientID, PaymentMethodID: r.PaymentMethodID, DependentAutomaticServices: dependent,
		NewDefaultPaymentMethodID: r.NewDefaultPaymentMethodID, Now: s.now(),
	}, r.ClientID, meta, uuid.Nil)
}

// MarkPaymentMethodExpired records that a method expired.
func (s *Service) MarkPaymentMethodExpired(ctx context.Context, r PaymentMethodRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.client(ctx, client.MarkPaymentMethodExpired{ClientID: r.ClientID, PaymentMethodID: r.PaymentMethodID, Now: s.now()}, r.ClientID, meta, uuid.Nil)
}

// MarkPaymentMethodFailed records that a method can no longer be charged.
func (s *Service) MarkPaymentMethodFailed(ctx context.Context, r PaymentMethodRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.client(ctx, client.MarkPaymentMethodFailed{ClientID: r.ClientID, PaymentMethodID: r.PaymentMethodID, Reason: r.Reason, Now: s.now()}, r.ClientID, meta, uuid.Nil)
}

// serviceIndex maps clients to their services' ids, from the
// ServiceActivated events of the global log, read through the one log
// follower (projections/follow). Each lookup first catches the follower up
// with the head (reading only what was appended since the last lookup), so
// it stays cheap and is never stale, and a service activated a moment ago
// is already in it. With a ServiceDirectory (the read models), it holds only
// the activations after the position the read models were complete up to
// when it started, and starts again from the read models' position once they
// are reindexAfter positions further on: a lookup reads the read models'
// ids and adds those, and the index neither reads the log from its start nor
// grows with it.
type serviceIndex struct {
	mu       sync.Mutex
	f        *follow.Follower
	from     uint64 // the follower's start: the activations after it are in byClient
	byClient map[uuid.UUID][]uuid.UUID
}

// reindexAfter is how far the read models move past the index's start
// before the index starts again from their position (and forgets what they
// now hold).
const reindexAfter = 10_000

func (x *serviceIndex) servicesOf(ctx context.Context, store eventstore.Store, dir ServiceDirectory, clientID uuid.UUID) ([]uuid.UUID, error) {
	var listed []uuid.UUID
	var upTo uint64
	if dir != nil {
		var err error
		if listed, upTo, err = dir.ClientServiceIDs(ctx, clientID); err != nil {
			return nil, fmt.Errorf("list the client's services: %w", err)
		}
	}
	x.mu.Lock()
	if x.f == nil || upTo < x.from || upTo-x.from > reindexAfter {
		x.from, x.byClient = upTo, map[uuid.UUID][]uuid.UUID{}
		x.f = follow.New(store, x.apply, follow.Options{From: upTo,
			Filter: eventstore.Filter{EventTypes: []string{service.ServiceActivated{}.EventType()}}})
	}
	f := x.f
	x.mu.Unlock()
	if err := f.CatchUp(ctx); err != nil {
		return nil, fmt.Errorf("read service activations: %w", err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	out := slices.Clone(listed)
	for _, id := range x.byClient[clientID] {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func (x *serviceIndex) apply(_ context.Context, e follow.Event) error {
	a, ok := e.Data.(service.ServiceActivated)
	if !ok {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if !slices.Contains(x.byClient[a.ClientID], a.ServiceID) {
		x.byClient[a.ClientID] = append(x.byClient[a.ClientID], a.ServiceID)
	}
	return nil
}

// clientServices folds every service of a client.
func (s *Service) clientServices(ctx context.Context, clientID uuid.UUID) ([]service.State, error) {
	ids, err := s.index.servicesOf(ctx, s.env.Store, s.dir, clientID)
	if err != nil {
		return nil, err
	}
	out := make([]service.State, 0, len(ids))
	for _, id := range ids {
		st, _, _, err := fold(ctx, s.env, s.serviceDecider, service.StreamName(id))
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// ValidateClient checks a new client's details by the same rules as
// CreateClient, without appending anything: importers use it to check every
// row before creating any client.
func (s *Service) ValidateClient(ctx context.Context, r ClientRequest) error {
	f, err := s.firm(ctx)
	if err != nil {
		return err
	}
	var p domain.Problems
	cur := parseCurrency(&p, "currency", r.Currency, f.BaseCurrency)
	if err := p.Err(); err != nil {
		return err
	}
	id := r.ClientID
	if id == uuid.Nil {
		id = uuid.NewSHA1(EventNamespace, []byte("validate/client"))
	}
	contacts := slices.Clone(r.Contacts)
	for i := range contacts {
		if contacts[i].ID == uuid.Nil {
			contacts[i].ID = uuid.NewSHA1(EventNamespace, fmt.Appendf(nil, "validate/contact/%d", i))
		}
	}
	_, err = client.Decide(client.State{}, client.CreateClient{
		ClientID: id, Name: r.Name, Kind: r.Kind, Contacts: contacts, PrimaryContactID: r.PrimaryContactID,
		Address: r.Address, TaxNumber: r.TaxNumber, Currency: cur, PaymentTermsDays: r.PaymentTermsDays, Now: s.now(),
	})
	return err
}
