package ledgersync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain/catalog"
	"remit/domain/ledger"
	"remit/eventstore"
)

// Report is what Reconcile found.
type Report struct {
	// Connections are the connected providers checked.
	Connections []string
	// Invoices is how many invoices were in a connection's scope (counted
	// once per connection); Pushes how many acknowledged pushes were checked.
	Invoices, Pushes int
	// Differences says, one line each, where Remit and a ledger disagree.
	Differences []string
}

// OK reports whether every ledger agrees with Remit.
func (r Report) OK() bool { return len(r.Differences) == 0 }

// Summary is the differences one per line (the first 50), or "OK".
func (r Report) Summary() string {
	if r.OK() {
		return "OK"
	}
	lines := r.Differences
	more := ""
	if len(lines) > 50 {
		more = fmt.Sprintf("\n… and %d more", len(lines)-50)
		lines = lines[:50]
	}
	return strings.Join(lines, "\n") + more
}

// Reconcile compares what Remit issued, collected, credited, wrote off and
// voided with what each connected ledger acknowledged (the
// LedgerPushSucceeded events): every invoice in a connection's scope and
// everything after it pushed once at its current generation, each with the
// amount Remit holds, each payment, credit and void applied to the ledger
// invoice its invoice's push created, no push acknowledged twice, no ledger
// document acknowledged for two things, and nothing acknowledged that Remit
// did not issue. It reads the log only.
func Reconcile(ctx context.Context, store eventstore.Store) (Report, error) {
	b := newBook()
	if err := b.readAll(ctx, store, nil); err != nil {
		return Report{}, err
	}
	return b.reconcile(), nil
}

func (b *book) reconcile() Report {
	var rep Report
	providers := make([]string, 0, len(b.conns))
	for p, c := range b.conns {
		if c.Connection.Connected {
			providers = append(providers, p)
		}
	}
	slices.Sort(providers)
	rep.Connections = providers
	invoices := make([]*invoiceRec, 0, len(b.invoices))
	for _, inv := range b.invoices {
		invoices = append(invoices, inv)
	}
	slices.SortFunc(invoices, func(a, b *invoiceRec) int { return cmpU(a.issuedPos, b.issuedPos) })
	expected := map[uuid.UUID]bool{} // push ids that should exist at current generations
	for _, p := range providers {
		c := b.conns[p].Connection
		byLedgerID := map[string]uuid.UUID{}
		for _, inv := range invoices {
			if !inScope(c, inv) {
				continue
			}
			rep.Invoices++
			gen := b.gens[genKey{p, inv.id}]
			invoiceLedgerID := ""
			for _, src := range inv.sources {
				if !pushedIn(c, src) {
					continue
				}
				id := ledger.PushID(p, src.eventID, gen)
				expected[id] = true
				what := describe(p, inv, src)
				push := b.pushes[id]
				if push == nil || push.Status != ledger.PushSucceeded {
					state := "never pushed"
					if push != nil {
						switch push.Status {
						case ledger.PushRetrying:
							state = fmt.Sprintf("not pushed yet (retry %d queued for %s: %s)", push.Attempts, push.RetryAt.UTC().Format(time.RFC3339), push.Reason)
						case ledger.PushFailed:
							state = "not pushed: failed: " + push.Reason
						}
					}
					rep.Differences = append(rep.Differences, what+": "+state)
					continue
				}
				rep.Pushes++
				if push.Successes > 1 {
					rep.Differences = append(rep.Differences, fmt.Sprintf("%s: acknowledged %d times (pushed more than once)", what, push.Successes))
				}
				if !push.Amount.Equal(src.amount) {
					rep.Differences = append(rep.Differences, fmt.Sprintf("%s: amounts differ: Remit %s, the ledger acknowledged %s", what, src.amount, push.Amount))
				}
				if src.kind == ledger.KindInvoice {
					invoiceLedgerID = push.LedgerID
				} else if b.appliedTo(id) != invoiceLedgerID {
					rep.Differences = append(rep.Differences, fmt.Sprintf("%s: applied to ledger invoice %q, but the invoice is %q", what, b.appliedTo(id), invoiceLedgerID))
				}
				if src.kind != ledger.KindVoid {
					if other, dup := byLedgerID[string(src.kind)+"/"+push.LedgerID]; dup && other != id {
						rep.Differences = append(rep.Differences, fmt.Sprintf("%s: ledger document %s was also acknowledged for another %s", what, push.LedgerID, src.kind))
					}
					byLedgerID[string(src.kind)+"/"+push.LedgerID] = id
				}
			}
		}
	}
	b.reconcilePayouts(providers, expected, &rep)
	// Acknowledgements of things Remit did not issue, or outside a scope.
	for id, push := range b.pushes {
		if push.Status != ledger.PushSucceeded || expected[id] || !slices.Contains(providers, push.Provider) {
			continue
		}
		if push.Generation < b.gens[genKey{push.Provider, push.InvoiceID}] {
			continue // an earlier generation, re-created since
		}
		inv := b.invoices[push.InvoiceID]
		if inv == nil || !slices.ContainsFunc(inv.sources, func(s source) bool { return s.eventID == push.SourceEventID }) {
			rep.Differences = append(rep.Differences, fmt.Sprintf("%s: %s %s acknowledged as %s, but Remit issued no such thing", push.Provider, push.Kind, push.DocumentID, push.LedgerID))
		}
	}
	slices.Sort(rep.Differences)
	return rep
}

// appliedTo is the ledger invoice a payment, credit or void was applied to.
func (b *book) appliedTo(pushID uuid.UUID) string {
	if p := b.pushes[pushID]; p != nil {
		return p.appliedTo
	}
	return ""
}

func describe(provider string, inv *invoiceRec, src source) string {
	what := "invoice"
	switch src.typ {
	case "InvoicePaymentSucceeded", "InvoicePaymentRecorded":
		what = "payment " + src.remitID.String()
	case "InvoiceCreditNoteIssued":
		what = "credit note " + src.remitID.String()
	case "InvoicePaymentRefunded":
		what = "refund " + src.remitID.String()
	case "InvoicePaymentDisputed":
		what = "dispute " + src.remitID.String()
	case "InvoiceDisputeClosed":
		what = string(src.kind) + " " + src.eventID.String()
	case "InvoiceWrittenOff":
		what = "write-off " + src.eventID.String()
	case "InvoiceVoided":
		what = "void"
	}
	return fmt.Sprintf("%s: %s %s", provider, inv.number, what)
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// RecordReconciled appends a reconciliation run's LedgerReconciled. Its
// event id is derived from key, so recording the same key again (the same
// day's scheduled run, on two processes) records nothing.
func RecordReconciled(ctx context.Context, store eventstore.Store, rep Report, key string, now time.Time) error {
	e := ledger.LedgerReconciled{Invoices: rep.Invoices, Pushes: rep.Pushes, Differences: len(rep.Differences), Summary: rep.Summary(), At: now}
	events, err := ledger.Decide(ledger.State{}, ledger.RecordReconciled{Event: e})
	if err != nil {
		return err
	}
	id := ledger.ReconciliationID()
	_, err = billing.Record(ctx, billing.Env{Store: store, Catalog: catalog.New()}, ledger.StreamName(id), eventstore.Any, uuid.NewSHA1(id, []byte(key)), events[0],
		billing.Meta{Actor: "system:ledgersync", CommandID: "reconcile/" + key})
	return err
}

// reconcileDaily reconciles and records the run once per UTC day, when a
// ledger is connected.
func (s *Sync) reconcileDaily(ctx context.Context) (Report, error) {
	s.mu.Lock()
	connected := false
	for _, c := range s.b.conns {
		connected = connected || c.Connection.Connected
	}
	s.mu.Unlock()
	if !connected {
		return Report{}, nil
	}
	return s.ReconcileNow(ctx, "daily/"+s.cfg.Now().UTC().Format(time.DateOnly))
}

// ReconcileNow reconciles and records the run as LedgerReconciled (once per
// key).
func (s *Sync) ReconcileNow(ctx context.Context, key string) (Report, error) {
	rep, err := Reconcile(ctx, s.cfg.Store)
	if err != nil {
		return rep, err
	}
	if !rep.OK() {
		s.log.Warn("ledgersync: the ledgers and Remit disagree", "differences", len(rep.Differences), "first", rep.Differences[0])
	}
	return rep, RecordReconciled(ctx, s.cfg.Store, rep, key, s.cfg.Now())
}
