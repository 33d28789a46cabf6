package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain/ledger"
	"remit/eventstore"
	"remit/integrations/accounting"
	"remit/processes/ledgersync"
)

// TestLedgerPageOwnerActions: what an owner does with a connected ledger is
// on the Ledger page, not in CLI hints: map a client to a ledger contact,
// see what failed and re-create it, disconnect. Staff see no actions and
// are refused with a page in the app's layout; nothing is appended.
func TestLedgerPageOwnerActions(t *testing.T) {
	c := newConnectApp(t, nil, nil)
	ctx := context.Background()
	res, err := ledgersync.Connect(ctx, c.store, c.dataDir, ledgersync.ConnectRequest{Provider: "xero", TenantID: "t-1", History: true,
		Mapping: ledger.Mapping{RevenueAccount: "200", ClearingAccount: "610"}, Secrets: ledgersync.Secrets{ClientID: "a", ClientSecret: "b"}, Now: now},
		billing.Meta{Actor: "test", CommandID: "connect"})
	if err != nil {
		t.Fatal(err)
	}
	c.wait(res)
	acme := c.mustClient("Acme")
	inv := c.mustInvoice(acme, "100")
	mustFailPush(t, c.app, inv)

	staff, staffCSRF := c.browser(t, "staff@firm.example", "staff-password-1")
	p := do(t, staff, http.MethodGet, c.url+"/ledger", nil)
	if p.Status != http.StatusOK || strings.Contains(p.Body, "Disconnect") || strings.Contains(p.Body, "Map client") {
		t.Errorf("staff see an owner's ledger actions (%d)", p.Status)
	}
	before := c.head()
	for _, path := range []string{"/ledger/connections/xero/contacts", "/ledger/connections/xero/disconnect", "/ledger/connections/xero/invoices/" + inv.String() + "/recreate"} {
		p := do(t, staff, http.MethodPost, c.url+path, url.Values{"csrf_token": {staffCSRF}, "_token": {newToken()}, "client_id": {acme.String()}, "contact_id": {"c-1"}, "confirm": {"on"}})
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Only an owner") || !strings.Contains(p.Body, `href="/clients"`) {
			t.Errorf("staff POST %s = %d, want 403 on a page in the app's layout:\n%s", path, p.Status, p.Body)
		}
	}
	if c.head() != before {
		t.Fatal("refused actions appended events")
	}

	owner, csrf := c.browser(t, "owner@firm.example", "owner-password-1")
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf_token": {csrf}, "_token": {newToken()}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	p = do(t, owner, http.MethodGet, c.url+"/ledger", nil)
	for _, want := range []string{"Map client", "Disconnect", `href="/invoices/` + inv.String() + `"`, "INV-000001", "Re-create in ledger", "the mapping lacks"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the owner's Ledger page lacks %q", want)
		}
	}
	if strings.Contains(p.Body, "remit ledger") || strings.Contains(p.Body, "<code>remit") {
		t.Error("the Ledger page still tells people to run CLI commands")
	}

	// Map a contact: a missing contact id comes back beside its field.
	if p := do(t, owner, http.MethodPost, c.url+"/ledger/connections/xero/contacts", form("client_id", acme.String())); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "name the ledger contact") {
		t.Fatalf("map without a contact = %d: %s", p.Status, errorsOf(p.Body))
	}
	if p := do(t, owner, http.MethodPost, c.url+"/ledger/connections/xero/contacts", form("client_id", acme.String(), "contact_id", "xero-contact-9")); p.Status != http.StatusSeeOther {
		t.Fatalf("map = %d: %s", p.Status, errorsOf(p.Body))
	}
	c.wait(billing.Result{Position: c.head()})
	p = do(t, owner, http.MethodGet, c.url+"/ledger", nil)
	if !strings.Contains(p.Body, "xero-contact-9") || !strings.Contains(p.Body, ">Acme</a>") {
		t.Error("the mapped contact is not shown")
	}

	// Re-create the failed invoice.
	before = c.head()
	if p := do(t, owner, http.MethodPost, c.url+"/ledger/connections/xero/invoices/"+inv.String()+"/recreate", form()); p.Status != http.StatusSeeOther {
		t.Fatalf("re-create = %d: %s", p.Status, errorsOf(p.Body))
	}
	if !hasEvent(t, c.app, before, "LedgerRecreateRequested") {
		t.Error("re-create recorded no LedgerRecreateRequested")
	}

	// Disconnect asks for confirmation, then disconnects.
	if p := do(t, owner, http.MethodPost, c.url+"/ledger/connections/xero/disconnect", form()); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Tick this to confirm") {
		t.Fatalf("disconnect unconfirmed = %d", p.Status)
	}
	if p := do(t, owner, http.MethodPost, c.url+"/ledger/connections/xero/disconnect", form("confirm", "on", "reason", "moving ledgers")); p.Status != http.StatusSeeOther {
		t.Fatalf("disconnect = %d: %s", p.Status, errorsOf(p.Body))
	}
	conns, err := ledgersync.Status(ctx, c.store)
	if err != nil || len(conns) != 1 || conns[0].Connected {
		t.Fatalf("after disconnect: %+v, %v", conns, err)
	}
}

func newToken() string { return uuid.NewString() }

// refusingLedger refuses every push for good, as a ledger does when the
// mapping lacks an account.
type refusingLedger struct{}

func (refusingLedger) Name() string { return "xero" }
func (refusingLedger) PushInvoice(context.Context, accounting.Invoice) (accounting.Ack, error) {
	return accounting.Ack{}, &accounting.Error{Status: 400, Message: "the mapping lacks an account for tax rate 10"}
}
func (refusingLedger) PushPayment(context.Context, accounting.Payment) (accounting.Ack, error) {
	return accounting.Ack{}, &accounting.Error{Status: 400, Message: "refused"}
}
func (refusingLedger) PushCreditNote(context.Context, accounting.CreditNote) (accounting.Ack, error) {
	return accounting.Ack{}, &accounting.Error{Status: 400, Message: "refused"}
}
func (refusingLedger) PushVoid(context.Context, accounting.Void) (accounting.Ack, error) {
	return accounting.Ack{}, &accounting.Error{Status: 400, Message: "refused"}
}

// mustFailPush runs the ledger sync against a ledger that refuses the
// invoice, so it waits for staff.
func mustFailPush(t *testing.T, a *app, inv uuid.UUID) {
	t.Helper()
	s, err := ledgersync.Open(ledgersync.Config{Store: a.store, DataDir: t.TempDir(), Now: func() time.Time { return now }, Ledgers: map[string]accounting.Ledger{"xero": refusingLedger{}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !hasEvent(t, a, 0, "LedgerPushFailed") {
		t.Fatalf("the push of invoice %s did not fail", inv)
	}
	a.wait(billing.Result{Position: a.head()})
}

// hasEvent reports whether an event of the type was appended after position
// from.
func hasEvent(t *testing.T, a *app, from uint64, eventType string) bool {
	t.Helper()
	recs, err := a.store.ReadAll(context.Background(), from+1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{eventType}})
	if err != nil {
		t.Fatal(err)
	}
	return len(recs) > 0
}
