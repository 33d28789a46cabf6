package proposaltemplate

import (
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// State is one template as folded from its stream.
type State struct {
	ID uuid.UUID
	Content
	Archived  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Created reports whether the template exists.
func (s State) Created() bool { return s.ID != uuid.Nil }

// Evolve returns the state after e. It never fails and never validates;
// events of other aggregates are ignored.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case ProposalTemplateCreated:
		s.ID, s.Content, s.CreatedAt, s.UpdatedAt = e.TemplateID, e.Content, e.At, e.At
	case ProposalTemplateEdited:
		s.Content, s.UpdatedAt = e.Content, e.At
	case ProposalTemplateArchived:
		s.Archived, s.UpdatedAt = true, e.At
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
