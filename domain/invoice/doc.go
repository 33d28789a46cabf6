// Package invoice decides what may happen to one invoice, from its issue to its
// last payment, write-off, credit or void. It is a pure decider: Decide checks
// a command against the State folded from the invoice's events and returns new
// events; Evolve applies an event to State and never fails.
//
// Stream: "invoice-<uuid>" (StreamName).
//
// Events:
//   - InvoiceIssued: number, client, currency, dates, tax mode, computed lines and totals.
//   - InvoiceSent: sent or re-sent to a recipient.
//   - InvoiceCollectionScheduled: collect from a payment method on a date;
//     Issue with a CollectionDate records it with the issue, so an invoice
//     with a method is never left uncollected.
//   - InvoicePaymentSucceeded: a collection attempt took money (gateway reference, amount).
//   - InvoicePaymentRejected: a collection attempt was declined (decline code, message).
//   - InvoiceRetryScheduled: a rejected collection is retried on a date (it
//     replaces a retry still pending).
//   - InvoiceCollectionCancelled: staff cancelled the scheduled collection or
//     retry; nothing schedules one again by itself.
//   - InvoicePaymentRecorded: an offline payment (bank transfer, cash, cheque, other).
//   - InvoiceWrittenOff: the outstanding balance is written off, with a reason.
//   - InvoiceVoided: the invoice is void, with a reason; nothing happens after.
//   - InvoiceCreditNoteIssued: a credit note reduces the balance.
//   - InvoiceAbandoned: an invoice begun (items marked, number reserved) was
//     never issued and never will be; its number is voided. The only event
//     of its stream: after it, Issue is refused (abandon.go).
//   - InvoicePaymentRefunded: the gateway refunded part or all of a collected
//     charge; always appended with the InvoiceCreditNoteIssued of its credit
//     note, for the same amount (refund.go).
//   - InvoicePaymentDisputed: the client's bank disputed a collected charge
//     and took the amount back; the invoice awaits payment again.
//   - InvoiceDisputeClosed: the dispute was won (the payment is restored) or
//     lost (it stays reversed; the gateway's dispute fee is recorded).
//   - InvoiceSurchargeAdded: a card (or bank debit) surcharge line added to
//     the invoice with the successful payment that carried it, always in
//     the same append as its InvoicePaymentSucceeded (surcharge.go): a
//     rejected attempt adds none.
//   - InvoiceReminderSent, InvoiceDunningExhausted, InvoiceRemindersPaused,
//     InvoiceRemindersResumed: the steps of the firm's dunning policy
//     (dunning.go): a reminder sent, the retries run out and the final
//     action taken, staff pausing and resuming the dunning. An invoice that
//     owes nothing takes none.
//
// Commands: Issue, Send, ScheduleCollection, CancelCollection,
// RecordCollectionAttempt, ScheduleRetry, RecordOfflinePayment, WriteOff,
// Void, IssueCreditNote, Abandon, RefundPayment, RecordDispute, CloseDispute,
// SendReminder, ExhaustDunning, PauseReminders, ResumeReminders.
//
// State: the issued facts (number, client, currency, dates, lines, totals), the
// stored Status (awaiting payment, payment scheduled, paid, partly paid,
// payment rejected, written off, void), the scheduled collection, the money
// paid, credited and written off, and the ids of attempts, payments and credit
// notes already recorded (so recording one twice yields no new events).
// Balance() is total − payments − credits − write-offs; StatusOn(today) adds
// the derived "overdue", which is never stored.
package invoice
