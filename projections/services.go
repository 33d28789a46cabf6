package projections

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/service"
)

// Services is the "services" projection: every service folded with
// service.Evolve. Schedules are derived from the folded state on demand, so
// they agree with the billing run by construction. Because service.State
// keeps what the schedule is derived from unexported, a snapshot keeps each
// service's events and restoring folds them again.
type Services struct {
	guard
	byID     map[uuid.UUID]*serviceRecord
	byClient map[uuid.UUID][]uuid.UUID // in activation order
	catalog  *catalog.Catalog
}

type serviceRecord struct {
	state    service.State
	revision uint64
	events   []domain.Event
}

func newServices() *Services {
	return &Services{byID: map[uuid.UUID]*serviceRecord{}, byClient: map[uuid.UUID][]uuid.UUID{}, catalog: catalog.New()}
}

// Name implements Projection.
func (s *Services) Name() string { return "services" }

// Apply implements Projection.
func (s *Services) Apply(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkpoint = max(s.checkpoint, e.Position)
	switch e.Data.(type) {
	case service.ServiceActivated, service.ServiceEdited, service.ServiceSwitchedToManual,
		service.ServiceSwitchedToAutomatic, service.ServiceEnded, service.ScheduleItemEdited,
		service.ScheduleItemSwitchedToManual, service.ScheduleItemSwitchedToAutomatic,
		service.ScheduleItemSkipped, service.ScheduleItemIssueScheduled, service.ScheduleItemBilled:
	default:
		return
	}
	id, ok := streamID(e.Stream, "service-")
	if !ok {
		return
	}
	s.apply(id, e.Revision, e.Data)
}

func (s *Services) apply(id uuid.UUID, revision uint64, data domain.Event) {
	r := s.byID[id]
	if r == nil {
		r = &serviceRecord{}
		s.byID[id] = r
	}
	before := r.state.ClientID
	r.state = service.Evolve(r.state, data)
	r.revision = revision
	r.events = append(r.events, data)
	if before == uuid.Nil && r.state.ClientID != uuid.Nil {
		s.byClient[r.state.ClientID] = append(s.byClient[r.state.ClientID], id)
	}
}

// Reset implements Projection.
func (s *Services) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID = map[uuid.UUID]*serviceRecord{}
	s.byClient = map[uuid.UUID][]uuid.UUID{}
	s.checkpoint = 0
}

type servicesSnapshot struct {
	Services map[uuid.UUID]serviceSnapshot `json:"services"`
}

type serviceSnapshot struct {
	Revision uint64          `json:"revision"`
	Events   []snapshotEvent `json:"events"`
}

type snapshotEvent struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// MarshalSnapshot implements Projection.
func (s *Services) MarshalSnapshot() ([]byte, uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	snap := servicesSnapshot{Services: make(map[uuid.UUID]serviceSnapshot, len(s.byID))}
	for id, r := range s.byID {
		ss := serviceSnapshot{Revision: r.revision, Events: make([]snapshotEvent, len(r.events))}
		for i, e := range r.events {
			data, err := json.Marshal(e)
			if err != nil {
				return nil, 0, fmt.Errorf("services snapshot: %w", err)
			}
			ss.Events[i] = snapshotEvent{Type: e.EventType(), Data: data}
		}
		snap.Services[id] = ss
	}
	data, err := json.Marshal(snap)
	return data, s.checkpoint, err
}

// UnmarshalSnapshot implements Projection.
func (s *Services) UnmarshalSnapshot(data []byte, checkpoint uint64) error {
	var snap servicesSnapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("services snapshot: %w", err)
	}
	fresh := newServices()
	// Activation order per client is kept by folding in revision-0 order of
	// activation time.
	ids := make([]uuid.UUID, 0, len(snap.Services))
	for id := range snap.Services {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return cmp.Compare(a.String(), b.String()) })
	for _, id := range ids {
		ss := snap.Services[id]
		for _, se := range ss.Events {
			e, err := s.catalog.Decode(se.Type, s.catalog.SchemaVersion(se.Type), se.Data) // re-encoded in the current shape
			if err != nil {
				return fmt.Errorf("services snapshot: service %s: %w", id, err)
			}
			fresh.apply(id, ss.Revision, e)
		}
	}
	for cid, list := range fresh.byClient {
		slices.SortStableFunc(list, func(a, b uuid.UUID) int {
			return fresh.byID[a].state.ActivatedAt.Compare(fresh.byID[b].state.ActivatedAt)
		})
		fresh.byClient[cid] = list
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID, s.byClient, s.checkpoint = fresh.byID, fresh.byClient, checkpoint
	return nil
}

// horizon is how far ahead NextBilling looks.
const horizonYears = 10

// viewOf renders one service; the caller holds the read lock.
func viewOf(r *serviceRecord, today domain.Date) ServiceView {
	st := r.state
	v := ServiceView{
		ID:              st.ID,
		ClientID:        st.ClientID,
		Name:            st.Name,
		Description:     st.Terms.Description,
		Unit:            st.Unit,
		Source:          st.Source,
		Currency:        st.Currency,
		UnitPrice:       money(st.Terms.UnitPrice, st.Currency),
		Quantity:        st.Terms.Quantity,
		Discount:        st.Terms.Discount,
		TaxRate:         st.Terms.TaxRate,
		Mode:            st.Terms.Mode,
		BillingRule:     st.BillingRule,
		PaymentMethodID: st.Terms.PaymentMethodID,
		ActivatedAt:     st.ActivatedAt,
		Ended:           st.Ended,
		EndDate:         st.EndDate,
		EndReason:       st.EndReason,
		Revision:        r.revision,
	}
	for _, it := range st.Schedule(today.AddMonthsClamped(12*horizonYears, today.Day())) {
		if pending(it) && (it.Date.IsZero() || !it.Date.Before(today)) {
			v.NextBilling = &it
			break
		}
	}
	return v
}

// pending reports whether an item still waits to be billed.
func pending(it service.Item) bool {
	return it.Status == service.ItemScheduled || it.Status == service.ItemScheduledToIssue
}

func (s *Services) view(id uuid.UUID, today domain.Date) (ServiceView, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.byID[id]
	if !ok || !r.state.Activated() {
		return ServiceView{}, domain.NotFound("service %s not found", id)
	}
	return viewOf(r, today), nil
}

// ofClient returns views of a client's services.
func (s *Services) ofClient(clientID uuid.UUID, today domain.Date) []ServiceView {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []ServiceView
	for _, id := range s.byClient[clientID] {
		if r := s.byID[id]; r != nil && r.state.Activated() {
			out = append(out, viewOf(r, today))
		}
	}
	return out
}

// states returns the folded states of a client's services (service.State
// values are copy-on-write, so they stay valid after the lock is released).
func (s *Services) states(clientID uuid.UUID) []service.State {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []service.State
	for _, id := range s.byClient[clientID] {
		if r := s.byID[id]; r != nil && r.state.Activated() {
			out = append(out, r.state)
		}
	}
	return out
}

// state returns one service's folded state.
func (s *Services) state(id uuid.UUID) (service.State, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.byID[id]
	if !ok || !r.state.Activated() {
		return service.State{}, false
	}
	return r.state, true
}
