package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"remit/billing"
	"remit/domain/ledger"
	"remit/domain/user"
	"remit/processes/ledgersync"
)

func TestInvoiceLedgerStatusAndRecreate(t *testing.T) {
	s := newSecured(t)
	owner, staff, auditor := s.login(user.RoleOwner), s.login(user.RoleStaff), s.login(user.RoleAuditor)
	s.setUpFirm(owner)
	r := s.send(staff, http.MethodPost, "/api/clients", `{"name":"Harbour Cafe","kind":"business","contacts":[{"name":"Ana","email":"ana@harbour.test"}]}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create client: %d %s", r.status, r.body)
	}
	var c struct{ ID string }
	_ = json.Unmarshal(r.body, &c)
	issue := func() string {
		r := s.send(staff, http.MethodPost, "/api/invoices", `{"client_id":"`+c.ID+`","lines":[{"description":"Fee","quantity":"1","unit_price":"100","tax_rate":"10"}]}`)
		if r.status != http.StatusCreated {
			t.Fatalf("issue: %d %s", r.status, r.body)
		}
		var inv struct{ ID string }
		_ = json.Unmarshal(r.body, &inv)
		return inv.ID
	}
	ledgerOf := func(id string) map[string]any {
		r := s.send(auditor, http.MethodGet, "/api/invoices/"+id, "")
		var v map[string]any
		if err := json.Unmarshal(r.body, &v); err != nil || r.status != http.StatusOK {
			t.Fatalf("get invoice: %d %s", r.status, r.body)
		}
		l, ok := v["ledger"].(map[string]any)
		if !ok {
			t.Fatalf("the invoice has no ledger field: %s", r.body)
		}
		return l
	}

	id := issue()
	if l := ledgerOf(id); l["status"] != "not_connected" {
		t.Errorf("before connecting: %v", l)
	}
	if r := s.send(staff, http.MethodPost, "/api/invoices/"+id+"/ledger/recreate", `{}`); r.status != http.StatusConflict {
		t.Errorf("re-create with no ledger: %d %s", r.status, r.body)
	}

	if _, err := ledgersync.Connect(context.Background(), s.store, t.TempDir(), ledgersync.ConnectRequest{Provider: "xero", TenantID: "t-1",
		Mapping: ledger.Mapping{RevenueAccount: "200", ClearingAccount: "610"}, Secrets: ledgersync.Secrets{ClientID: "a", ClientSecret: "b"}, Now: s.clock.Now()},
		billing.Meta{Actor: "test", CommandID: "connect"}); err != nil {
		t.Fatal(err)
	}
	id2 := issue()
	l := ledgerOf(id2)
	providers, _ := l["providers"].([]any)
	if l["status"] != "pending" || len(providers) != 1 || providers[0].(map[string]any)["provider"] != "xero" {
		t.Errorf("after connecting: %v", l)
	}
	if l := ledgerOf(id); l["status"] != "before_connection" {
		t.Errorf("an invoice from before the connection: %v", l)
	}

	if r := s.send(auditor, http.MethodPost, "/api/invoices/"+id2+"/ledger/recreate", `{"reason":"deleted"}`); r.status != http.StatusForbidden {
		t.Errorf("auditor re-create: %d %s", r.status, r.body)
	}
	if r := s.send(staff, http.MethodPost, "/api/invoices/"+id2+"/ledger/recreate", `{"provider":"sage"}`); r.status != http.StatusUnprocessableEntity && r.status != http.StatusBadRequest {
		t.Errorf("unknown provider: %d %s", r.status, r.body)
	}
	if r := s.send(staff, http.MethodPost, "/api/invoices/00000000-0000-0000-0000-0000000000aa/ledger/recreate", `{}`); r.status != http.StatusNotFound {
		t.Errorf("unknown invoice: %d %s", r.status, r.body)
	}
	r = s.send(staff, http.MethodPost, "/api/invoices/"+id2+"/ledger/recreate", `{"reason":"deleted in Xero"}`)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"generation":1`) {
		t.Errorf("staff re-create: %d %s", r.status, r.body)
	}
}

// Auditors see the ledger connections and every recorded reconciliation.
func TestLedgerViewShowsConnectionsAndReconciliations(t *testing.T) {
	s := newSecured(t)
	owner, auditor := s.login(user.RoleOwner), s.login(user.RoleAuditor)
	s.setUpFirm(owner)
	get := func() LedgerBody {
		r := s.send(auditor, http.MethodGet, "/api/ledger", "")
		if r.status != http.StatusOK {
			t.Fatalf("GET /api/ledger: %d %s", r.status, r.body)
		}
		var v LedgerBody
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := get(); len(v.Connections) != 0 || len(v.Reconciliations) != 0 {
		t.Fatalf("with nothing connected: %+v", v)
	}
	ctx := context.Background()
	if _, err := ledgersync.Connect(ctx, s.store, t.TempDir(), ledgersync.ConnectRequest{Provider: "xero", TenantID: "t-1",
		Mapping: ledger.Mapping{RevenueAccount: "200", ClearingAccount: "610"}, Secrets: ledgersync.Secrets{ClientID: "a", ClientSecret: "b"}, Now: s.clock.Now()},
		billing.Meta{Actor: "test", CommandID: "connect"}); err != nil {
		t.Fatal(err)
	}
	rep, err := ledgersync.Reconcile(ctx, s.store)
	if err != nil {
		t.Fatal(err)
	}
	if err := ledgersync.RecordReconciled(ctx, s.store, rep, "2026-03-02", s.clock.Now()); err != nil {
		t.Fatal(err)
	}
	v := get()
	if len(v.Connections) != 1 || v.Connections[0].Provider != "xero" || v.Connections[0].TenantID != "t-1" {
		t.Errorf("connections: %+v", v.Connections)
	}
	if len(v.Reconciliations) != 1 || v.Reconciliations[0].Differences != 0 {
		t.Errorf("reconciliations: %+v", v.Reconciliations)
	}
}

type LedgerBody struct {
	Connections []struct {
		Provider string `json:"provider"`
		TenantID string `json:"tenant_id"`
	} `json:"connections"`
	Reconciliations []struct {
		Differences int    `json:"differences"`
		Summary     string `json:"summary"`
	} `json:"reconciliations"`
}
