package library

import (
	"github.com/google/uuid"

	"remit/domain"
)

// Entry is one service as the library holds it.
type Entry struct {
	Service
	Archived bool
}

// State is the library as folded from its stream: every service ever added,
// in the order they were added.
type State struct {
	Services map[uuid.UUID]Entry
	Order    []uuid.UUID
}

// Evolve returns the state after e. It never fails and never validates;
// events of other aggregates are ignored. The state's map is copied on
// write, so a state once returned never changes.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case LibraryServiceAdded:
		s = s.with(e.ServiceID, Entry{Service: e.Service})
		s.Order = append(s.Order[:len(s.Order):len(s.Order)], e.ServiceID)
	case LibraryServiceChanged:
		if en, ok := s.Services[e.ServiceID]; ok {
			en.Service = e.Service
			s = s.with(e.ServiceID, en)
		}
	case LibraryServiceArchived:
		if en, ok := s.Services[e.ServiceID]; ok {
			en.Archived = true
			s = s.with(e.ServiceID, en)
		}
	case LibraryServiceRestored:
		if en, ok := s.Services[e.ServiceID]; ok {
			en.Archived = false
			s = s.with(e.ServiceID, en)
		}
	}
	return s
}

func (s State) with(id uuid.UUID, en Entry) State {
	m := make(map[uuid.UUID]Entry, len(s.Services)+1)
	for k, v := range s.Services {
		m[k] = v
	}
	m[id] = en
	s.Services = m
	return s
}

// Fold evolves the zero State through events.
func Fold(events []domain.Event) State {
	var s State
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}

// Active lists the services on offer (not archived), in the order they
// were added.
func (s State) Active() []Service {
	var out []Service
	for _, id := range s.Order {
		if en := s.Services[id]; !en.Archived {
			out = append(out, en.Service)
		}
	}
	return out
}
