// Package numbering hands out invoice numbers: the firm's prefix followed by a
// sequence number (INV-000123), sequential and gapless.
//
// It is a singleton aggregate (stream "numbering-invoices").
//
//   - Command Reserve{InvoiceID, Prefix, Now} records InvoiceNumberReserved
//     {number, sequence, invoice_id, at} with the next sequence number. Reserving
//     again for an invoice that already has a number records nothing: the
//     number stays the one first given (look it up with State.NumberOf), so a
//     billing run that crashed between reserving a number and issuing the
//     invoice reuses it on the next run rather than leaving a gap.
//   - Command ReserveBlock{InvoiceIDs, Prefix, Now} numbers many invoices at
//     once, in order (those without a number yet): one InvoiceNumbersReserved
//     {prefix, first, invoice_ids, at}, where invoice_ids[i] has sequence
//     first+i. A billing run reserves its numbers in blocks this way. A block
//     with one new number is recorded as Reserve records it.
//   - Command Void{InvoiceID, Reason, Now} records InvoiceNumberVoided
//     {number, sequence, invoice_id, reason, at}: the number reserved for an
//     invoice that was never issued will never be used. It is refused while
//     the reservation is younger than VoidAfter (10 minutes: the request that
//     reserved it may still be issuing the invoice) and records nothing when
//     the number is voided already. The caller first records InvoiceAbandoned
//     on the invoice's stream, which settles a race with a late issue there
//     (see billing.Service.VoidStrandedNumber). A voided number is never
//     given again.
//   - State is the last sequence number given and the number of each invoice
//     (with its reservation time and whether it was voided), folded from the
//     events.
//
// Gaplessness under concurrent billing comes from the caller, not from this
// package: the command handler appends the decided event with the stream's
// expected revision (the revision it folded State from), so of two runs that
// decide the same next sequence only one append succeeds; the other gets a
// wrong-expected-version error, reloads and decides again. The invoice is then
// issued with the reserved number. A number is reserved only after every
// check of its invoice has passed (its issue decided with a stand-in number,
// its events within the store's size limit), so a refusal burns none. A
// number whose invoice can still be completed (a billing run's interrupted
// invoice) is used by the next run; one whose request died with nothing in
// the log to complete it is voided with its reason. Every number from the
// first to the last is thus one issued invoice or one void, which `remit
// reconcile` checks.
package numbering
