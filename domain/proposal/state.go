package proposal

import (
	"slices"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// State is a proposal as of its last event. The zero State is a proposal not
// yet drafted.
type State struct {
	ID        uuid.UUID
	ClientID  uuid.UUID
	Title     string
	Currency  domain.Currency
	StartDate domain.Date // zero: none
	Lines     []Line      // once accepted, the lines as agreed
	Status    Status
	DraftedAt time.Time

	SentTo string    // the last recipient
	SentAt time.Time // the last time it was sent

	AcceptedByName  string
	AcceptedByEmail string
	SignatureName   string
	AcceptedOn      domain.Date
	PaymentMethodID uuid.UUID // chosen on acceptance; uuid.Nil: none

	DeclineReason  string
	WithdrawReason string
	ExpiresOn      domain.Date // set when it expired
	ClosedAt       time.Time   // when it was accepted, declined, withdrawn or expired
}

// Created reports whether the proposal exists.
func (s State) Created() bool { return s.ID != uuid.Nil }

// Line returns the line with the given id.
func (s State) Line(id uuid.UUID) (Line, bool) {
	i := slices.IndexFunc(s.Lines, func(l Line) bool { return l.ID == id })
	if i < 0 {
		return Line{}, false
	}
	return s.Lines[i], true
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
// events of other aggregates are ignored.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case ProposalDrafted:
		s = State{
			ID:        e.ProposalID,
			ClientID:  e.ClientID,
			Title:     e.Title,
			Currency:  e.Currency,
			StartDate: e.StartDate,
			Lines:     slices.Clone(e.Lines),
			Status:    StatusDraft,
			DraftedAt: e.At,
		}
	case ProposalDraftEdited:
		s.Title = e.Title
		s.StartDate = e.StartDate
		s.Lines = slices.Clone(e.Lines)
	case ProposalSent:
		s.Status = StatusSent
		s.SentTo = e.RecipientEmail
		s.SentAt = e.At
	case ProposalAccepted:
		s.Status = StatusAccepted
		s.AcceptedByName = e.AcceptedByName
		s.AcceptedByEmail = e.AcceptedByEmail
		s.SignatureName = e.SignatureName
		s.AcceptedOn = e.AcceptedOn
		s.PaymentMethodID = e.PaymentMethodID
		// The event is the record of agreement: its snapshot is what holds.
		s.ClientID = e.ClientID
		s.Currency = e.Currency
		s.StartDate = e.StartDate
		s.Lines = slices.Clone(e.Lines)
		s.ClosedAt = e.At
	case ProposalDeclined:
		s.Status = StatusDeclined
		s.DeclineReason = e.Reason
		s.ClosedAt = e.At
	case ProposalWithdrawn:
		s.Status = StatusWithdrawn
		s.WithdrawReason = e.Reason
		s.ClosedAt = e.At
	case ProposalExpired:
		s.Status = StatusExpired
		s.ExpiresOn = e.ExpiresOn
		s.ClosedAt = e.At
	}
	return s
}
