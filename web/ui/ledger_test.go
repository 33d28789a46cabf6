package ui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"remit/billing"
	"remit/domain/ledger"
	"remit/processes/ledgersync"
)

func TestInvoicePageShowsLedgerSyncAndRecreates(t *testing.T) {
	a := newApp(t)
	c := a.mustClient("Harbour Cafe")
	inv := a.mustInvoice(c, "100")
	p := a.get("/invoices/" + inv.String())
	mustContain(t, p, "No ledger is connected.")
	if strings.Contains(p.Body, "Re-create in ledger") {
		t.Error("the re-create button shows with no ledger connected")
	}
	// With no ledger, the button's action is refused with the reason.
	if r := a.post("/invoices/"+inv.String()+"/ledger-recreate", nil); r.Status != http.StatusSeeOther {
		t.Errorf("re-create without a ledger = %d", r.Status)
	}

	res, err := ledgersync.Connect(context.Background(), a.store, t.TempDir(), ledgersync.ConnectRequest{Provider: "xero", TenantID: "t-1", History: true,
		Mapping: ledger.Mapping{RevenueAccount: "200", ClearingAccount: "610"}, Secrets: ledgersync.Secrets{ClientID: "a", ClientSecret: "b"}, Now: now},
		billing.Meta{Actor: "test", CommandID: "connect"})
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)
	p = a.get("/invoices/" + inv.String())
	mustContain(t, p, `id="h-ledger"`, "Xero", "Re-create in ledger", `action="/invoices/`+inv.String()+`/ledger-recreate"`)
	a.mustPost("/invoices/"+inv.String()+"/ledger-recreate", nil, "Re-create in the ledger requested.")
}

func TestLedgerPageShowsConnectionsAndReconciliations(t *testing.T) {
	a := newApp(t)
	p := a.get("/ledger")
	mustContain(t, p, "No ledger is connected.", "No reconciliation has been recorded yet")
	ctx := context.Background()
	res, err := ledgersync.Connect(ctx, a.store, t.TempDir(), ledgersync.ConnectRequest{Provider: "qbo", TenantID: "realm-9", History: true,
		Mapping: ledger.Mapping{RevenueAccount: "1", ClearingAccount: "35"}, Secrets: ledgersync.Secrets{ClientID: "a", ClientSecret: "b"}, Now: now},
		billing.Meta{Actor: "test", CommandID: "connect"})
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)
	c := a.mustClient("Harbour Cafe")
	a.mustInvoice(c, "100")
	rep, err := ledgersync.Reconcile(ctx, a.store)
	if err != nil {
		t.Fatal(err)
	}
	if err := ledgersync.RecordReconciled(ctx, a.store, rep, "2026-03-02", now); err != nil {
		t.Fatal(err)
	}
	p = a.get("/ledger")
	mustContain(t, p, "QuickBooks Online", "Connected", "realm-9", "Reconciliations")
	if strings.Contains(p.Body, "No reconciliation has been recorded yet") {
		t.Error("a recorded reconciliation is not shown")
	}
}
