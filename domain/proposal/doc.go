// Package proposal is the Proposal aggregate as a pure decider: a firm's offer
// of services to a client, drafted, sent, and then accepted, declined,
// withdrawn or expired. An accepted proposal is the immutable record of what
// was agreed; ServicesToActivate turns it into the services to start. Its
// stream is "proposal-<uuid>".
//
// # Events
//
//   - ProposalDrafted: client, title, currency, optional start date and the
//     service lines.
//   - ProposalDraftEdited: title, start date and lines, replaced whole.
//   - ProposalSent: to whom (emitted again on each re-send).
//   - ProposalAccepted: who accepted (name, email, signature name), the
//     acceptance date, the payment method chosen (or none) and a snapshot of
//     the lines as agreed.
//   - ProposalDeclined (with an optional reason), ProposalWithdrawn,
//     ProposalExpired (with the expiry date).
//
// # Commands
//
// DraftProposal, EditDraft, SendProposal, AcceptProposal, DeclineProposal,
// WithdrawProposal and ExpireProposal. Each carries the time (Now) and any new
// id; calendar dates (the acceptance date, today and the expiry date for
// ExpireProposal) come from the caller, who knows the firm's time zone.
//
// # State and lifecycle
//
// State is the proposal as of its last event. Its Status moves
//
//	draft ──send──▶ sent ──accept──▶ accepted
//	  │               ├──decline──▶ declined
//	  │               ├──expire───▶ expired   (on or after the expiry date)
//	  └──withdraw─────┴──withdraw─▶ withdrawn
//
// Only a draft can be edited; a sent proposal can be re-sent; only a sent
// proposal can be accepted, declined or expired. Accepted, declined, withdrawn
// and expired proposals are final: every further change is refused with
// ECONFLICT (accepting twice included), except that repeating a decline,
// withdrawal or expiry changes nothing and returns no events.
//
// # Services to activate
//
// ServicesToActivate(State) lists one ServiceSpec per accepted line, with its
// billing rule's start resolved to a date (BillingRule.FirstDate of the
// acceptance date and the proposal's start date) and a deterministic service
// id, ServiceID(proposal id, line id) = uuid.NewSHA1(proposal id, line id
// bytes), so a command handler that activates them twice activates nothing
// new. AcceptProposal refuses an acceptance whose lines could not be resolved.
package proposal
