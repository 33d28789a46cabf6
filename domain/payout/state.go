package payout

import (
	"slices"

	"remit/domain"
)

// State is one payout as folded from its stream.
type State struct {
	Recorded bool
	Payout   PayoutRecorded
	Failed   bool
	Reason   string
}

// Evolve returns the state after e. It never fails and never validates;
// events of other aggregates are ignored.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case PayoutRecorded:
		s.Recorded, s.Payout = true, e
		s.Payout.Lines = slices.Clip(e.Lines)
	case PayoutLinesRecorded:
		s.Payout.Lines = append(s.Payout.Lines, e.Lines...)
	case PayoutFailed:
		s.Failed, s.Reason = true, e.Reason
		s.Payout.Status = StatusFailed
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
