// Package proposal is the Proposal aggregate as a pure decider: a firm's offer
// of services to a client, drafted, sent, and then accepted, declined,
// withdrawn or expired. An accepted proposal is the immutable record of what
// was agreed; ServicesToActivate turns it into the services to start. Its
// stream is "proposal-<uuid>".
//
// # Events
//
//   - ProposalDrafted: client, title, currency, optional start date, the
//     core service lines, and the offer: the engagement letter, packages,
//     add-ons, signatories, expiry date, template and the proposal renewed.
//   - ProposalDraftEdited: all of that but the client and currency,
//     replaced whole.
//   - ProposalSent: to whom (emitted again on each re-send).
//   - ProposalViewed: the first view by a signatory (or the link's visitor)
//     since the last send, with IP address and user agent.
//   - ProposalSigned: one signature with its evidence (typed name, email,
//     IP, user agent, hash of the document shown) and the choice.
//   - ProposalReminderSent: reminder number n to whoever has yet to sign.
//   - ProposalAccepted: who accepted (name, email, signature name), the
//     acceptance date, the payment method chosen (or none), a snapshot of
//     the lines as agreed (core + chosen package + add-ons ticked), the
//     choice, and when signed, every signature and the final document with
//     its hash.
//   - ProposalSignedDocumentFiled: the signed-proposal PDF kept with an
//     accepted proposal (its SHA-256 and size); the PDF is rendered
//     deterministically from ProposalAccepted (formats/pdf.SignedProposal).
//   - ProposalDeclined (with an optional reason), ProposalWithdrawn,
//     ProposalExpired (with the expiry date).
//
// # Commands
//
// DraftProposal, EditDraft, SendProposal, RecordView, SignProposal,
// RemindProposal, FileSignedDocument, AcceptProposal, DeclineProposal, WithdrawProposal and
// ExpireProposal. Each carries the time (Now) and any new
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
// # Offer, letter and signatures
//
// Lines are the core services, always included. Packages (none, or two or
// three, each named with at least one line) are options the client chooses
// exactly one of; AddOns are lines the client may tick. Line ids are unique
// across all three. Signatories (at most ten, each a name and a unique
// email) must all sign; a proposal without signatories is signed once by
// whoever holds its link. The letter is Markdown with placeholders
// (Placeholders: {{client_name}}, {{firm_name}}, … ; an unknown one is
// refused, naming it, on the field "letter").
//
// Document(State, DocumentFacts) renders, purely, the document the client
// reads and signs: the letter (DefaultLetter when none) with placeholders
// replaced as plain strings in one pass (user text is never executed as a
// template), the services table (core lines, each package, add-ons, with
// prices per billing), each service's terms, and once a first signature
// fixed it, "Chosen: <package>, add-ons: …". DocumentHash is its SHA-256 in
// lowercase hex. SignProposal carries the hash the signer was shown and the
// DocumentFacts; decide renders the document itself and refuses a
// different hash (document_hash: the proposal changed since it was
// opened), so a signature always covers exactly what was on screen. The
// first signature fixes the choice (a package is required when there are
// packages); later signers must make the same choice (ECONFLICT naming it);
// signing twice does nothing. The signature completing the set is followed
// in the same append by ProposalAccepted, whose lines are
// State.ChosenLines, so ServicesToActivate works unchanged. AcceptProposal
// (staff recording an acceptance) is refused for a proposal with
// signatories.
//
// # Services to activate
//
// ServicesToActivate(State) lists one ServiceSpec per accepted line, with its
// billing rule's start resolved to a date (BillingRule.FirstDate of the
// acceptance date and the proposal's start date) and a deterministic service
// id, ServiceID(proposal id, line id) = uuid.NewSHA1(proposal id, line id
// bytes), so a command handler that activates them twice activates nothing
// new. AcceptProposal refuses an acceptance whose lines could not be resolved.
//
// # Renewals
//
// Renew(old, RenewalTerms, …) turns an accepted proposal into the
// DraftProposal of its renewal: RenewalOf the old one, id RenewalID(old,
// batch) = uuid.NewSHA1(batch, old id), the accepted lines that recur
// (one-off lines are not renewed), each with id RenewalLineID(renewal, old
// line) and a rule starting on the renewal's start date (default:
// Anniversary, twelve months after the old services' first billing), at
// prices changed by a PriceChange (a percent, an amount, or per-line
// prices; rounded to the cent or dollar). No new event: the renewal is an
// ordinary draft. Carried(old, renewal) lists the old lines an accepted
// renewal carries over, whose services the command handler ends the day
// before the renewal starts (no gap, no overlap).
package proposal
