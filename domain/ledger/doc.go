// Package ledger records Remit's connections to accounting ledgers (Xero,
// QuickBooks Online) and the outcome of every push to them, so that each
// invoice, payment, credit note and void reaches a ledger exactly once and
// anyone can see, replay and reconcile what was sent. It is a pure decider
// like the other aggregates: Decide checks a command against the State
// folded from one stream's events; Evolve never fails.
//
// # Streams
//
// Every stream is "ledger-<uuid>" (StreamName); the uuid says what it holds,
// derived in Namespace so that every process names the same stream:
//
//   - a connection, one per provider (ConnectionID("xero")): LedgerConnected,
//     LedgerMappingChanged, LedgerContactMapped, LedgerDisconnected;
//   - a push, one per thing pushed (PushID(provider, source event id,
//     generation)): LedgerPushFailed (temporary, any number, each with its
//     retry time; or permanent, last) and at most one LedgerPushSucceeded;
//     a payout's transfer and fees are pushes too (PayoutPushID(provider,
//     payout, kind), kinds KindTransfer and KindFees, the events naming the
//     payout instead of an invoice; a payout has no generations);
//   - an invoice's re-creations in one ledger (RecreateID(provider,
//     invoice)): LedgerRecreateRequested, each raising the invoice's
//     generation by one;
//   - the reconciliation runs (ReconciliationID()): LedgerReconciled.
//
// # Exactly once
//
// A push's id is derived from the provider, the id of the event that caused
// it (InvoiceIssued, InvoicePaymentSucceeded, InvoicePaymentRecorded,
// InvoiceCreditNoteIssued, InvoiceWrittenOff, InvoiceVoided) and the
// invoice's generation. A replayed log, a restart or a second process
// derives the same id and finds its stream; the process manager appends
// each outcome with the stream's exact expected revision and a deterministic
// event id, so an outcome is recorded once. The id the ledger itself
// de-duplicates on is DocumentID: Remit's own id of the thing at generation
// 0, and a derived id after a re-create, which is what makes a re-create a
// new document in the ledger.
//
// # Secrets
//
// OAuth client secrets and tokens never enter these events (the log is
// immutable and copied to auditors): the process manager keeps them in a
// file beside the store (see package ledgersync and docs/ledger.md).
package ledger
