package billing

import (
	"context"
	"strconv"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/proposal"
)

// The daily proposals job (processes/reminders) sends reminders and expires
// proposals for a date it is given (--as-of), not for the clock's today,
// under command ids derived from what it does, so that a re-run, or the job
// on two nodes, records each reminder and each expiry once.

// ReminderCommandID is the command id of reminder number n of a proposal:
// every run that sends it names it the same.
func ReminderCommandID(proposalID uuid.UUID, n int) string {
	return "proposal-reminder/" + proposalID.String() + "/" + strconv.Itoa(n)
}

// ExpiryCommandID is the command id of a proposal's expiry on a date.
func ExpiryCommandID(proposalID uuid.UUID, on domain.Date) string {
	return "proposal-expiry/" + proposalID.String() + "/" + on.String()
}

// RemindProposalOn sends reminder number n of a proposal as of today (the
// job's date in the firm's time zone), under ReminderCommandID unless meta
// names a command id. A reminder already sent appends nothing.
func (s *Service) RemindProposalOn(ctx context.Context, proposalID uuid.UUID, n int, today domain.Date, meta Meta) (Result, error) {
	if meta.CommandID == "" {
		meta.CommandID = ReminderCommandID(proposalID, n)
	}
	return s.proposal(ctx, proposal.RemindProposal{ProposalID: proposalID, Reminder: n, Today: today, Now: s.now()}, proposalID, meta, uuid.Nil)
}

// ExpireProposalOn expires a sent proposal whose expiry date (expiresOn)
// has come by today, under ExpiryCommandID unless meta names a command id.
// An expired proposal appends nothing.
func (s *Service) ExpireProposalOn(ctx context.Context, proposalID uuid.UUID, expiresOn, today domain.Date, meta Meta) (Result, error) {
	if meta.CommandID == "" {
		meta.CommandID = ExpiryCommandID(proposalID, expiresOn)
	}
	return s.proposal(ctx, proposal.ExpireProposal{ProposalID: proposalID, ExpiresOn: expiresOn, Today: today, Now: s.now()}, proposalID, meta, uuid.Nil)
}
