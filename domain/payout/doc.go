// Package payout records what the payment gateway did with the money it
// collected for the firm: each payout to the firm's bank account, with every
// balance transaction it settles (charges, refunds, disputes, their fees).
// It is a pure decider like the other aggregates: Decide checks a command
// against the State folded from one payout's stream; Evolve never fails.
//
// # How fees and payouts enter the log
//
// A payout's stream is "payout-<uuid>" (StreamName), the uuid derived from
// the gateway's name and its payout reference (ID: "stripe" + "po_…"), so
// the daily sync, an operator's `remit payouts sync` and a Stripe
// `payout.paid` webhook all name the same stream, and recording the same
// payout twice appends nothing (Decide answers no events for a payout
// already recorded).
//
// PayoutRecorded carries the payout (currency, the net amount paid out, its
// arrival date, its status) and one Line per balance transaction in it:
// kind (charge, refund, dispute, dispute_fee, adjustment), the gateway's
// reference of the charge, refund or dispute, the invoice when Remit knows
// it, and gross, fee and net (gross − fee = net; the lines' nets sum to the
// payout's amount). A payout of more than MaxLinesPerEvent lines (a day's
// thousands of card charges) is recorded in one append of its
// PayoutRecorded, with the first lines and every total, followed by
// PayoutLinesRecorded events with the rest, so no event passes the event
// store's size limit. PayoutFailed records a payout the bank returned.
//
// A charge's fee is recorded with the payout that settles it, not when the
// charge succeeds: the gateway only knows a charge's fee once its balance
// transaction exists (Stripe computes it asynchronously, and a bank debit's
// fee is only final when it settles), and the payout is the one document
// that lists, for every charge and refund, gross, fee and net together.
// Until its payout, a collected payment's gross sits in the clearing
// account; the payout moves the fees to the fee expense and the net to the
// bank (see formats/journal).
package payout
