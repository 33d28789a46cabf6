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
//   - State is the last sequence number given and the number of each invoice,
//     folded from both events.
//
// Gaplessness under concurrent billing comes from the caller, not from this
// package: the command handler appends the decided event with the stream's
// expected revision (the revision it folded State from), so of two runs that
// decide the same next sequence only one append succeeds; the other gets a
// wrong-expected-version error, reloads and decides again. The invoice is then
// issued with the reserved number.
package numbering
