package projections

import (
	"context"

	"remit/eventstore"
)

// Mismatch is one disagreement found by Reconcile.
type Mismatch struct {
	// Check is "replay" (a live projection differs from a fresh replay),
	// "invoice-balance" (an invoice's money does not add up) or
	// "invoice-number" (a number is not exactly one issued invoice or one
	// recorded void: a gap, a repeat, a number never given).
	Check string
	// Projection is the projection name, for replay mismatches.
	Projection string
	// Subject names what differs, e.g. "invoice 0190…",
	// "clients/0190…/name" or "INV-000042".
	Subject string
	// Detail says how, e.g. "live \"Acme\", replay \"Acme Ltd\"" or
	// "total 110.00 ≠ paid 50.00 + credited 0 + written off 0 + voided 0 + outstanding 50.00".
	Detail string
}

// Report is the result of Reconcile.
type Report struct {
	// Position is the global position both sides were compared at.
	Position uint64
	// Projections and Invoices count what was checked.
	Projections int
	Invoices    int
	// Numbers counts the invoice numbers checked (the first to the last
	// given), NumbersVoided those of them recorded as void.
	Numbers, NumbersVoided int
	Mismatches             []Mismatch
}

// OK reports whether nothing disagreed.
func (r Report) OK() bool { return len(r.Mismatches) == 0 }

// Reconcile checks the live models against the log: every table of every
// projection, read as one consistent state, is compared row by row with a
// fresh replay of the log into a temporary database to the same position; every
// invoice's total must equal payments + credit notes + write-offs + voided +
// outstanding; and every invoice number from the first to the last the
// numbering stream gave must be exactly one issued invoice or one recorded
// void (InvoiceNumberVoided), each mismatch naming the number. The live
// models may be fed by a running Runner (a billing run in progress then
// shows the numbers it reserved and has not issued yet).
func Reconcile(ctx context.Context, store eventstore.Store, live *Models) (Report, error) {
	return reconcile(ctx, store, live)
}
