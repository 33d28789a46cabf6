// Package journal turns the event log into double-entry bookkeeping: one
// balanced transaction per event that moved money on an invoice, written as a
// plain-text journal for hledger or beancount. It is the ledger a firm has
// with no set-up, and the books Reconcile proves against what Remit shows.
//
// # Design
//
// Build reads the log in order through the one log follower
// (projections/follow, which decodes by type and schema version), only the
// event types it needs (the firm's settings, clients' names, the invoice
// events that move money, and the gateway's payouts), and
// keeps, per invoice, what it has booked so far. Each money event becomes one
// Transaction:
//
//	InvoiceIssued            Dr receivable:<client>  gross  / Cr revenue net, Cr tax payable tax
//	InvoicePaymentSucceeded  Dr clearing:gateway            / Cr receivable:<client>
//	InvoicePaymentRecorded   Dr bank (cash; clearing for "other") / Cr receivable:<client>
//	InvoiceWrittenOff        Dr expenses:bad-debts          / Cr receivable:<client>
//	InvoiceCreditNoteIssued  Dr revenue, Dr tax payable     / Cr receivable:<client>
//	InvoiceVoided            the reverse of what is still booked for the invoice
//	PayoutRecorded           Dr bank net, Dr expenses:payment-fees fees / Cr clearing:gateway
//	PayoutFailed             Dr clearing:gateway / Cr bank net
//	InvoicePaymentRefunded   Dr receivable:<client>         / Cr clearing:gateway
//	                         (its InvoiceCreditNoteIssued follows: Dr revenue, Dr tax / Cr receivable)
//	InvoicePaymentDisputed   Dr receivable:<client>         / Cr clearing:gateway
//	InvoiceDisputeClosed     won: Dr clearing:gateway / Cr receivable:<client>;
//	                         lost: Dr expenses:payment-fees (the dispute fee) / Cr clearing:gateway
//	InvoiceSurchargeAdded    Dr receivable:<client> gross / Cr revenue net, Cr tax payable tax
//	                         (its InvoicePaymentSucceeded follows, for the balance and the surcharge)
//
// A credit note carries one gross amount; its tax share is the invoice's
// tax/gross ratio applied to everything credited so far, less the tax
// already credited, so the credited tax never drifts from the invoice's by a
// rounding cent and a full credit reverses the tax exactly. A void reverses
// the revenue and tax the invoice still has on the books (an invoice can be
// voided after a credit note, never after a payment), which leaves its
// receivable at zero, as Remit's read models show it.
//
// Every amount is in the invoice's own currency (the commodity is the ISO
// 4217 code, written with the currency's minor units); currencies never mix
// and nothing is converted. A transaction is dated on the firm's calendar
// date: the event's own date where it has one (issue date, the date an
// offline payment was received, the date of a gateway collection: its run's
// as-of date), otherwise the moment it was recorded as a date in the firm's
// time zone of that moment. Transactions are written in
// date order (then log order), so `hledger check ordereddates` holds.
//
// Every transaction names the invoice number and the client in its
// description and carries the event id, event type, invoice id and client id
// as hledger tags or beancount metadata (and the invoice id as a beancount
// link), so an auditor can trace each posting back to the event that caused
// it with `remit audit stream`.
//
// Each client has its own receivable account, named after the client's
// current name as a slug plus the first 8 hex digits of its id
// (Assets:Receivable:Acme-Pty-Ltd-1a2b3c4d), so two clients of the same name
// never share an account and an erased client ("[erased]", see package pii)
// still has one (Erased-1a2b3c4d). Account names use only ASCII letters,
// digits and hyphens, capitalised, which both hledger and beancount accept;
// hledger gets them lower-cased.
//
// Reconcile rebuilds the journal from the log and checks it: every
// transaction sums to zero in each commodity, each client's receivable
// balance per currency equals the outstanding amount the read models show,
// and the gateway's clearing account equals collected − fees − refunds −
// paid out, with every charge a payout settles one Remit collected
// (CheckClearing; see payouts.go).
package journal
