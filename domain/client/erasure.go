package client

import (
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// ClientErased records that the client's personal data was erased: their
// key was destroyed (package pii) before this event was appended, so every
// sealed personal field of theirs now reads as erased. It carries no
// personal data; read models rebuild from the log when they see it.
type ClientErased struct {
	ClientID uuid.UUID `json:"client_id"`
	At       time.Time `json:"at"`
}

// ClientLinksRevoked records that every signed link sent to the client so
// far stops working: links carry the generation they were signed under, and
// only links of the current Generation are honoured.
type ClientLinksRevoked struct {
	ClientID   uuid.UUID `json:"client_id"`
	Generation int       `json:"generation"`
	At         time.Time `json:"at"`
}

// EventType implements domain.Event.
func (ClientErased) EventType() string { return "ClientErased" }

// EventType implements domain.Event.
func (ClientLinksRevoked) EventType() string { return "ClientLinksRevoked" }

// RecordErasure records that the client's key was destroyed. Erasing an
// erased client changes nothing.
type RecordErasure struct {
	ClientID uuid.UUID
	Now      time.Time
}

// RevokeLinks ends every client link sent so far.
type RevokeLinks struct {
	ClientID uuid.UUID
	Now      time.Time
}

func (RecordErasure) isClientCommand() {}
func (RevokeLinks) isClientCommand()   {}

func recordErasure(s State, c RecordErasure) ([]domain.Event, error) {
	if err := requireClient(s); err != nil {
		return nil, err
	}
	if s.Erased {
		return nil, nil
	}
	return []domain.Event{ClientErased{ClientID: s.ID, At: c.Now}}, nil
}

func revokeLinks(s State, c RevokeLinks) ([]domain.Event, error) {
	if err := requireClient(s); err != nil {
		return nil, err
	}
	return []domain.Event{ClientLinksRevoked{ClientID: s.ID, Generation: s.LinkGeneration + 1, At: c.Now}}, nil
}
