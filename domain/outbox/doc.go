// Package outbox records the emails Remit sends, one stream per email
// ("email-<uuid>"), so that a replayed or repeated trigger never sends twice.
// It is a pure decider like the other aggregates: Decide checks a command
// against the State folded from the email's events; Evolve never fails.
//
// Every email has a deterministic id (EmailID): derived from the id of the
// event that triggered it and the email's kind (a proposal, sent to several
// people, adds each recipient's place in the list), or, for emails the clock
// triggers (a card about to expire, an upcoming charge), from a key naming
// what it is about. The id is the email's stream name and its Message-ID.
//
// Events:
//   - EmailQueued: the email was decided on: kind, recipient, sender, subject,
//     Message-ID, what it is about (client, invoice, proposal, payment
//     method, date) and the event that triggered it. Always the first event;
//     appended with the expected revision "no stream", so two runs cannot
//     both queue it.
//   - EmailSent: the transport accepted the email.
//   - EmailFailed: the transport refused it for good (a permanent failure).
//
// Commands: Queue, RecordSent, RecordFailed. Recording a sent or failed email
// again records nothing.
//
// The boundary is at-least-once with a de-duplication key: the email is
// queued before it is handed to the transport and marked sent after, so a
// crash in between sends it again on restart, with the same Message-ID.
package outbox
