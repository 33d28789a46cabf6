package priceincrease

import (
	"slices"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// State is a batch as folded from its stream. The zero State is a batch
// not yet applied.
type State struct {
	PriceIncreaseApplied
	// Notices are the notices sent, in order.
	Notices     []PriceIncreaseNoticeSent
	Cancelled   bool
	CancelledAt time.Time
	Reason      string
	// LeftAsChanged are the services the cancel left at the price set by
	// hand since the batch.
	LeftAsChanged []ServiceLeft
}

// LeftAlone reports whether the cancel left a service at a price changed
// by hand (it is not put back).
func (s State) LeftAlone(serviceID uuid.UUID) bool {
	return slices.ContainsFunc(s.LeftAsChanged, func(l ServiceLeft) bool { return l.ServiceID == serviceID })
}

// Applied reports whether the batch exists.
func (s State) Applied() bool { return s.BatchID != uuid.Nil }

// Clients returns the ids of the batch's clients, in the order their first
// service appears.
func (s State) Clients() []uuid.UUID {
	var out []uuid.UUID
	for _, c := range s.Services {
		if !slices.Contains(out, c.ClientID) {
			out = append(out, c.ClientID)
		}
	}
	return out
}

// ClientServices returns the batch's services of one client.
func (s State) ClientServices(clientID uuid.UUID) []ServiceChange {
	var out []ServiceChange
	for _, c := range s.Services {
		if c.ClientID == clientID {
			out = append(out, c)
		}
	}
	return out
}

// NoticeSent reports whether the client's notice was sent.
func (s State) NoticeSent(clientID uuid.UUID) bool {
	return slices.ContainsFunc(s.Notices, func(n PriceIncreaseNoticeSent) bool { return n.ClientID == clientID })
}

// Status is the batch's status on a day: "cancelled", "effective" (on or
// after the effective date), "notified" (every notice sent) or "scheduled".
func (s State) Status(today domain.Date) string {
	switch {
	case s.Cancelled:
		return "cancelled"
	case !today.Before(s.EffectiveFrom):
		return "effective"
	case len(s.Notices) >= len(s.Clients()):
		return "notified"
	}
	return "scheduled"
}

// Evolve returns the state after e. It never fails and never validates.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case PriceIncreaseApplied:
		s.PriceIncreaseApplied = e
	case PriceIncreaseNoticeSent:
		s.Notices = append(s.Notices[:len(s.Notices):len(s.Notices)], e)
	case PriceIncreaseCancelled:
		s.Cancelled, s.CancelledAt, s.Reason, s.LeftAsChanged = true, e.At, e.Reason, e.LeftAsChanged
	}
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
