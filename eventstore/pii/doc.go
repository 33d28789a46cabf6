// Package pii keeps clients' personal data erasable in an immutable log. Its
// one job: encrypt the personal fields of client events (names, emails,
// phones, address lines, tax numbers) with a key per client that lives
// outside the event log, and destroy that key on request (crypto-shredding).
//
// # Design
//
// Keys is where the keys live, outside the event log. KeyStore keeps one
// random 256-bit key per client as a row of a SQLite file in the key folder
// (DataDir/keys/keys.db, or the --keys folder's; mode 0600), each commit
// synced before the key seals anything; the keys of clients created at the
// same moment share one commit (one writer goroutine takes every key
// waiting). KeyStore.NewClientID (through Store.NewClientID) hands out ids
// of clients whose keys were made ahead, in batches of up to 256, synced
// before any is handed out: billing names a new client with one when
// nothing else names it, so creating a client waits for no key commit.
// Spares never handed out are deleted at Close. Key files of earlier versions (<client id>.key, <client
// id>.forgotten) are moved into the table when it opens, then overwritten
// and removed. PGKeyStore keeps them in a
// table (remit_pii_keys) of the PostgreSQL database that holds the log, so
// every process on that database shares them. Forget destroys the key and
// leaves a tombstone (the row with its key emptied, under SQLite's
// secure_delete, and the embedded file's WAL emptied; on PostgreSQL then
// VACUUMed):
// from then on the client's fields cannot be decrypted by anyone, in any
// copy of the log, and new personal data for the client is refused.
// Erase is the whole erasure: destroy the key, then append
// client.ClientErased, on which every projections runner rebuilds its read
// models (and the Store drops any cached key of the client).
//
// The HTTP API's idempotency records are not in the log (package
// eventstore/idempotency keeps them, and deletes them when they expire).
// Old logs still hold the ones written before: "request-" streams of
// APIRequestCompleted events, sealed whole under day keys. Those keys are
// destroyed when a key store opens, so the records read as the ciphertext
// they are; the projections pass them over.
//
// Store wraps any eventstore.Store at the encoding boundary: Append seals
// the personal fields of the events it is given, and every read
// (ReadStream, ReadAll, Subscribe) opens them again, so billing, the
// catalogue, projections, replays and exports see plaintext — or, once
// the client is forgotten, the erased markers (Erased for names, "" for
// the rest). Amounts, dates, ids and event order are never encrypted, and
// the store's hash chain covers the ciphertext, which never changes: after
// a Forget, `remit audit verify` still verifies. SubscribeSealed and
// OpenEvent let a follower with a filter (projections/follow) open only the
// events it keeps.
//
// A sealed field is the string "pii:v1:" + base64(nonce ‖ AES-256-GCM
// ciphertext), with the client id, event type and field path as additional
// data, so a sealed value cannot be moved to another client or field. The
// nonce is derived from the key and the plaintext (HMAC-SHA256, SIV-like),
// so sealing is deterministic: an append retried with the same event ids
// carries the same bytes, as the store's idempotent retries require. The
// price is that equal values of one client look equal in the log.
//
// Which fields are personal is a table here (Fields), by event type; the
// client id is the event's "client_id". Every event with personal data
// carries one: ProposalSent and InvoiceSent gained theirs for this (events
// recorded before then have none and were never sealed), and the outbox's
// EmailQueued seals its recipient. What else holds personal data, and how it
// is erased, is in docs/security.md ("Erasure").
package pii
