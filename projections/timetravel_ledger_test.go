package projections

import (
	"context"
	"testing"

	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/eventstore"
)

// TestTimeTravelClientLedgerStatus: an invoice as of a moment shows its
// ledger sync status as it was then (the connection and the push of the
// invoice are part of the client's rebuild): pending before the push,
// synced after, as a full replay says.
func TestTimeTravelClientLedgerStatus(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	ctx := context.Background()
	recs, err := e.store.ReadStream(ctx, invoice.StreamName(inv1), 0, eventstore.Forward, 0)
	if err != nil || len(recs) == 0 {
		t.Fatalf("read invoice 1: %v", err)
	}
	xero := ledger.ProviderXero
	e.MustAppend(ledger.StreamName(ledger.ConnectionID(xero)), "user:alice", ledger.LedgerConnected{Provider: xero, TenantID: "t1"})
	before := e.MustAppend(ledger.StreamName(id("unrelated")), "user:alice", ledger.LedgerConnected{Provider: ledger.ProviderQBO, TenantID: "r1"})
	pushed := e.MustAppend(ledger.StreamName(ledger.PushID(xero, recs[0].ID, 0)), "system:ledger",
		ledger.LedgerPushSucceeded{PushID: ledger.PushID(xero, recs[0].ID, 0), Provider: xero, Kind: ledger.KindInvoice, InvoiceID: inv1, LedgerID: "XERO-1"})
	live := e.MustModels()
	tt := NewTimeTravel(e.store, live, 4)
	defer tt.Close()
	for _, tc := range []struct {
		pos  uint64
		want string
	}{{before, LedgerPending}, {pushed, LedgerSynced}} {
		mo, err := tt.Resolve(ctx, Bound{Position: tc.pos})
		if err != nil {
			t.Fatal(err)
		}
		m, release, err := tt.Client(ctx, acme, mo)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.Ledger.of(ctx, inv1)
		release()
		if err != nil {
			t.Fatal(err)
		}
		var xeroStatus string
		for _, p := range got.Providers {
			if p.Provider == xero {
				xeroStatus = p.Status
			}
		}
		if xeroStatus != tc.want {
			t.Errorf("invoice 1 in Xero as of position %d: %+v, want %s", tc.pos, got, tc.want)
		}
	}
}
