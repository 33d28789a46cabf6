package projections

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"remit/domain/client"
	"remit/domain/proposal"
)

// Clients is the "clients" projection: each client's details, contacts and
// payment methods (client.State, folded with client.Evolve) and its
// proposals (proposal.State).
type Clients struct {
	guard
	s clientsState
}

type clientsState struct {
	Clients   map[uuid.UUID]*clientRecord   `json:"clients"`
	Proposals map[uuid.UUID]*proposalRecord `json:"proposals"`
}

type clientRecord struct {
	State     client.State `json:"state"`
	Revision  uint64       `json:"revision"`
	Proposals []uuid.UUID  `json:"proposals,omitempty"` // in drafting order
}

type proposalRecord struct {
	State    proposal.State `json:"state"`
	Revision uint64         `json:"revision"`
}

func newClients() *Clients {
	c := &Clients{}
	c.s = emptyClientsState()
	return c
}

func emptyClientsState() clientsState {
	return clientsState{Clients: map[uuid.UUID]*clientRecord{}, Proposals: map[uuid.UUID]*proposalRecord{}}
}

// Name implements Projection.
func (c *Clients) Name() string { return "clients" }

// Apply implements Projection.
func (c *Clients) Apply(e Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checkpoint = max(c.checkpoint, e.Position)
	switch e.Data.(type) {
	case client.ClientCreated, client.ClientDetailsChanged, client.ClientContactAdded,
		client.ClientContactChanged, client.ClientContactRemoved, client.ClientPrimaryContactChanged,
		client.ClientArchived, client.ClientRestored, client.PaymentMethodAdded,
		client.PaymentMethodSetAsDefault, client.PaymentMethodReplaced, client.PaymentMethodRemoved,
		client.PaymentMethodExpired, client.PaymentMethodFailed:
		id, ok := streamID(e.Stream, "client-")
		if !ok {
			return
		}
		r := c.s.Clients[id]
		if r == nil {
			r = &clientRecord{}
			c.s.Clients[id] = r
		}
		r.State = client.Evolve(r.State, e.Data)
		r.Revision = e.Revision
	case proposal.ProposalDrafted, proposal.ProposalDraftEdited, proposal.ProposalSent,
		proposal.ProposalAccepted, proposal.ProposalDeclined, proposal.ProposalWithdrawn,
		proposal.ProposalExpired:
		id, ok := streamID(e.Stream, "proposal-")
		if !ok {
			return
		}
		r := c.s.Proposals[id]
		if r == nil {
			r = &proposalRecord{}
			c.s.Proposals[id] = r
		}
		before := r.State.ClientID
		r.State = proposal.Evolve(r.State, e.Data)
		r.Revision = e.Revision
		if before == uuid.Nil && r.State.ClientID != uuid.Nil {
			cr := c.s.Clients[r.State.ClientID]
			if cr == nil { // a proposal for a client not (yet) seen
				cr = &clientRecord{}
				c.s.Clients[r.State.ClientID] = cr
			}
			cr.Proposals = append(cr.Proposals, id)
		}
	}
}

// Reset implements Projection.
func (c *Clients) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s = emptyClientsState()
	c.checkpoint = 0
}

// MarshalSnapshot implements Projection.
func (c *Clients) MarshalSnapshot() ([]byte, uint64, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	data, err := json.Marshal(c.s)
	return data, c.checkpoint, err
}

// UnmarshalSnapshot implements Projection.
func (c *Clients) UnmarshalSnapshot(data []byte, checkpoint uint64) error {
	s := emptyClientsState()
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("clients snapshot: %w", err)
	}
	if s.Clients == nil || s.Proposals == nil {
		return fmt.Errorf("clients snapshot: missing maps")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s = s
	c.checkpoint = checkpoint
	return nil
}

// get returns a copy of a created client's record. The slices inside are
// never written in place (client.Evolve copies on write), so sharing them is
// safe.
func (c *Clients) get(id uuid.UUID) (clientRecord, []proposalRecord, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.s.Clients[id]
	if !ok || !r.State.Created() {
		return clientRecord{}, nil, false
	}
	props := make([]proposalRecord, 0, len(r.Proposals))
	for _, pid := range r.Proposals {
		if p := c.s.Proposals[pid]; p != nil {
			props = append(props, *p)
		}
	}
	return *r, props, true
}

// all returns copies of every created client's state.
func (c *Clients) all() []client.State {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]client.State, 0, len(c.s.Clients))
	for _, r := range c.s.Clients {
		if r.State.Created() {
			out = append(out, r.State)
		}
	}
	return out
}

// names returns the names of the given clients.
func (c *Clients) names(ids map[uuid.UUID]string) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for id := range ids {
		if r := c.s.Clients[id]; r != nil {
			ids[id] = r.State.Name
		}
	}
}

// exists reports whether the client was created.
func (c *Clients) exists(id uuid.UUID) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r := c.s.Clients[id]
	return r != nil && r.State.Created()
}

// defaultMethod returns the client's default payment method id.
func (c *Clients) defaultMethod(id uuid.UUID) uuid.UUID {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if r := c.s.Clients[id]; r != nil {
		return r.State.DefaultPaymentMethodID
	}
	return uuid.Nil
}
