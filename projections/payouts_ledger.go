package projections

import (
	"cmp"
	"context"
	"slices"

	"github.com/google/uuid"

	"remit/domain/ledger"
	"remit/projections/rmdb"
)

// A payout's sync status in each connected ledger, kept by the payouts
// projection beside the payout: its transfer and fees pushes' outcomes
// (LedgerPushSucceeded / LedgerPushFailed with a payout_id), and the
// connections (table "payout_ledger_connections", a handful of rows), so
// that a payout recorded after a ledger was connected reads "pending" until
// it is pushed. Derived when read, as an invoice's is.

func newPayoutConnections(gen int64) *rmdb.Docs[ledgerConnection] {
	return rmdb.NewDocs(rmdb.DocsSpec[ledgerConnection]{Name: "payout_ledger_connections"}, gen)
}

// applyLedger folds the ledger events the payouts projection watches.
func (p *Payouts) applyLedger(tx *rmdb.Tx, e Event) {
	switch ev := e.Data.(type) {
	case ledger.LedgerConnected:
		c := p.conns.Get(tx, ev.Provider)
		if c == nil {
			c = &ledgerConnection{Provider: ev.Provider, FromPosition: ev.FromPosition}
		}
		c.Connected = true
		p.conns.Put(ev.Provider, c)
	case ledger.LedgerDisconnected:
		if c := p.conns.Get(tx, ev.Provider); c != nil {
			c.Connected = false
			p.conns.Put(ev.Provider, c)
		}
	case ledger.LedgerPushSucceeded:
		if ev.PayoutID == uuid.Nil {
			return
		}
		p.pushOutcome(tx, ev.PayoutID, ev.Provider, func(r *ledgerInvoice, v *LedgerSync) {
			v.Pushed++
			if ev.Kind == ledger.KindTransfer || v.LedgerID == "" {
				v.LedgerID = ev.LedgerID
			}
			v.At = ev.At
			delete(r.Failing[ev.Provider], ev.PushID)
		})
	case ledger.LedgerPushFailed:
		if ev.PayoutID == uuid.Nil {
			return
		}
		p.pushOutcome(tx, ev.PayoutID, ev.Provider, func(r *ledgerInvoice, v *LedgerSync) {
			if r.Failing == nil {
				r.Failing = map[string]map[uuid.UUID]bool{}
			}
			if r.Failing[ev.Provider] == nil {
				r.Failing[ev.Provider] = map[uuid.UUID]bool{}
			}
			r.Failing[ev.Provider][ev.PushID] = !ev.Temporary
			v.Reason, v.Attempts, v.RetryAt, v.At = ev.Reason, ev.Attempt, ev.RetryAt, ev.At
		})
	}
}

// pushOutcome applies one push outcome to a payout's sync record.
func (p *Payouts) pushOutcome(tx *rmdb.Tx, id uuid.UUID, provider string, apply func(r *ledgerInvoice, v *LedgerSync)) {
	key := id.String()
	pv := p.docs.Get(tx, key)
	if pv == nil {
		return
	}
	if pv.Sync == nil {
		pv.Sync = &ledgerInvoice{IssuedAt: pv.Seq}
	}
	v := pv.Sync.provider(provider)
	apply(pv.Sync, v)
	settleLedgerSync(pv.Sync, v)
	if v.Status == LedgerSynced && v.Pushed < pv.pushes() {
		v.Status = LedgerPending // the fees are still to go
	}
	p.docs.Put(key, pv)
}

// pushes is how many documents the payout makes in a ledger: its transfer
// and its fees, each when not zero.
func (v *PayoutView) pushes() int {
	n := 0
	if !v.Amount.Amount.IsZero() {
		n++
	}
	if !v.Fees.Amount.IsZero() {
		n++
	}
	return n
}

// withLedger fills in the payouts' sync status from their records and the
// connections.
func (m *Models) withLedger(ctx context.Context, views []PayoutView) error {
	conns, err := m.Payouts.conns.Find(ctx, m.db, "")
	if err != nil {
		return err
	}
	slices.SortFunc(conns, func(a, b ledgerConnection) int { return cmp.Compare(a.Provider, b.Provider) })
	for i := range views {
		views[i].Ledger = payoutLedger(conns, &views[i])
	}
	return nil
}

func payoutLedger(conns []ledgerConnection, pv *PayoutView) InvoiceLedger {
	out := InvoiceLedger{Status: LedgerNotConnected, Providers: []LedgerSync{}}
	for _, c := range conns {
		var v LedgerSync
		switch {
		case pv.Sync != nil && pv.Sync.Providers[c.Provider] != nil:
			v = *pv.Sync.Providers[c.Provider]
		case pv.pushes() == 0:
			v = LedgerSync{Provider: c.Provider, Status: LedgerSynced}
		case c.FromPosition == 0 || pv.Seq > c.FromPosition:
			v = LedgerSync{Provider: c.Provider, Status: LedgerPending}
		default:
			v = LedgerSync{Provider: c.Provider, Status: LedgerBeforeConnection}
		}
		if !c.Connected && v.Status != LedgerSynced {
			v.Status = LedgerNotConnected
		}
		out.Providers = append(out.Providers, v)
		if c.Connected && (out.Status == LedgerNotConnected || ledgerStatusRank(v.Status) > ledgerStatusRank(out.Status)) {
			out.Status = v.Status
		}
	}
	return out
}
