// Package billingrun is Remit's unattended side: the billing run, which
// invoices due schedule items, and the collection process manager, which
// charges invoices on their collection dates and retries rejected payments
// by the firm's policy. Scheduler runs both every day inside `remit serve`;
// `remit bill` runs them on demand.
//
// # Design
//
// Both runs decide what to try from an Index: the firm, clients, services and
// invoices folded with the aggregates' own Evolve from ReadAll of the store
// (never from projections), read incrementally. Every effect then goes
// through billing.Service, which re-reads the stream and decides there, so a
// stale Index can make a run try something useless but never do something
// twice.
//
// Exactly once comes from deterministic ids, never from remembering what was
// done:
//
//   - A billing group (one client's due items of one date and payment method)
//     becomes the invoice billing.InvoiceIDForItems names, issued with a
//     command id derived from the items (and how often each was released by
//     a void) and the issue date. Two runs, or a run and its re-run, send the
//     same command; billing's numbering keeps numbers gapless. A run killed
//     after marking items billed and before issuing is completed by the next
//     one, which finds those items in the Index and re-sends the command.
//   - Collection of an invoice issued by a run is scheduled with a command id
//     derived from the invoice.
//   - The n-th collection attempt on an invoice has id AttemptID(invoice, n),
//     which is the gateway's idempotency key: asking again (after a crash
//     between the charge and recording it, or to poll a pending bank debit)
//     never charges twice. Retries are scheduled with a command id derived
//     from the rejected attempt.
//
// Known limit: between the gateway's answer and recording it, staff could
// record an offline payment; the next run then sees nothing to collect while
// the gateway has the money. Closing that window needs an "attempt started"
// event on the invoice recorded before the charge.
package billingrun
